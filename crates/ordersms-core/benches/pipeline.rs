//! What one webhook costs: the whole pipeline (verify the signature, parse and normalize the
//! body, plan, render the templates) on the published fixtures, beside the floor for the same
//! bytes.
//!
//! - `hmac`: HMAC-SHA256 of the body and the constant-time compare, nothing else.
//! - `floor`: `hmac` plus one validating pass over the JSON that builds nothing
//!   (`serde::de::IgnoredAny`). No correct implementation can skip either: this is the strict
//!   floor.
//! - `value_hmac`: `hmac` plus parsing into a generic `serde_json::Value`, what a hand-written
//!   handler usually does before reading a single field.
//! - `pipeline`: `ordersms_core::plan` with the secret, i.e. everything the Worker runs per
//!   webhook except I/O.
//!
//! Criterion measures each (`cargo bench -p ordersms-core`); afterwards a small interleaved
//! timing pass prints the two ratios the project tracks (pipeline / floor, target ≤ 1.5×, and
//! pipeline / Value+HMAC). Set `ORDERSMS_BENCH_RATIOS_ONLY=1` to skip criterion and print the
//! ratios alone (a few seconds). Figures and how to read them: BENCHMARKS.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ordersms_core::signature::{sign, signature_header, verify_value};
use ordersms_core::{OrderContext, Plan, Platform, ShopConfig, WebhookInput, plan};
use serde_json::{Value, json};

/// 2026-06-01T10:00:00Z: a Monday morning, outside any quiet hours (as in the tests).
const NOW: i64 = 1_780_308_000;
const SECRET: &[u8] = b"bench-webhook-secret";
const SHOP: &str = "maison.myshopify.com";

/// One webhook as it arrives: signed bytes plus what the Worker would have stored before.
struct Case {
    name: &'static str,
    platform: Platform,
    topic: &'static str,
    body: Vec<u8>,
    signature: String,
    context: Option<OrderContext>,
}

impl Case {
    fn new(
        name: &'static str,
        platform: Platform,
        topic: &'static str,
        body: &Value,
        context: Option<OrderContext>,
    ) -> Case {
        // Pretty-printed like the published files, so the sizes stay those of the fixtures
        // (orders/create ≈ 15 KB).
        let body = serde_json::to_vec_pretty(body).expect("a Value serializes");
        let signature = sign(&body, SECRET);
        Case {
            name,
            platform,
            topic,
            body,
            signature,
            context,
        }
    }

    /// The full pipeline, exactly as the Worker calls it.
    fn pipeline(&self, config: &ShopConfig) -> Plan {
        let topic_header = match self.platform {
            Platform::Shopify => "X-Shopify-Topic",
            Platform::WooCommerce => "X-WC-Webhook-Topic",
        };
        let headers = [
            (signature_header(self.platform), self.signature.as_str()),
            (topic_header, self.topic),
            ("X-Shopify-Shop-Domain", SHOP),
        ];
        let input = WebhookInput::new(self.platform, &headers, &self.body).with_secret(SECRET);
        match plan(&input, config, self.context.as_ref(), NOW) {
            Ok(plan) => plan,
            Err(error) => panic!("{}: {error}", self.name),
        }
    }

    fn hmac(&self) -> bool {
        verify_value(&self.signature, &self.body, SECRET)
    }

    /// The strict floor: authenticate and validate the bytes, build nothing.
    fn floor(&self) -> bool {
        self.hmac() && serde_json::from_slice::<serde::de::IgnoredAny>(&self.body).is_ok()
    }

    fn value_hmac(&self) -> Option<Value> {
        if !self.hmac() {
            return None;
        }
        serde_json::from_slice::<Value>(&self.body).ok()
    }
}

fn fixture(path: &str) -> Value {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The published examples, edited like the tests do into what a real customer's order looks
/// like (the originals are test orders with no usable phone, which would plan nothing and
/// render no template).
fn cases(config: &ShopConfig) -> Vec<Case> {
    let mut order = fixture("shopify/orders_create.json");
    order["test"] = json!(false);
    order["id"] = json!(820_982_911_946_154_508_u64);
    order["phone"] = json!("+32 470 12 34 56");
    order["customer_locale"] = json!("fr");
    order["currency"] = json!("EUR");
    order["customer"]["first_name"] = json!("Camille");
    order["customer"]["last_name"] = json!("Durand");
    order["shipping_address"]["country_code"] = json!("BE");
    order["shipping_address"]["phone"] = json!("0470 12 34 56");
    order["billing_address"]["country_code"] = json!("BE");
    let created = Case::new(
        "shopify orders/create",
        Platform::Shopify,
        "orders/create",
        &order,
        None,
    );
    let context = created.pipeline(config).store;

    let mut fulfillment = fixture("shopify/fulfillments_create.json");
    fulfillment["order_id"] = json!(820_982_911_946_154_508_u64);
    fulfillment["destination"]["phone"] = json!(null);
    fulfillment["status"] = json!("success"); // shipped by the merchant, not a 3PL's pending
    let shipped = Case::new(
        "shopify fulfillments/create",
        Platform::Shopify,
        "fulfillments/create",
        &fulfillment,
        context.clone(),
    );

    let mut refund = fixture("shopify/refunds_create.json");
    refund["order_id"] = json!(820_982_911_946_154_508_u64);
    let refunded = Case::new(
        "shopify refunds/create",
        Platform::Shopify,
        "refunds/create",
        &refund,
        context,
    );

    let mut woo = fixture("woocommerce/order_create_response_v3.json");
    woo["billing"]["phone"] = json!("06 12 34 56 78");
    woo["billing"]["country"] = json!("FR");
    woo["shipping"]["country"] = json!("FR");
    woo["currency"] = json!("EUR");
    let woo = Case::new(
        "woocommerce order.created",
        Platform::WooCommerce,
        "order.created",
        &woo,
        None,
    );

    let cases = vec![created, shipped, refunded, woo];
    for case in &cases {
        // A benchmark of a pipeline that plans nothing would measure the wrong thing.
        let plan = case.pipeline(config);
        assert!(
            !plan.messages.is_empty(),
            "{}: no message planned: {:?}",
            case.name,
            plan.skipped
        );
        assert!(case.floor() && case.value_hmac().is_some(), "{}", case.name);
    }
    cases
}

fn criterion_benches(c: &mut Criterion, cases: &[Case], config: &ShopConfig) {
    for case in cases {
        let mut group = c.benchmark_group(case.name);
        group.throughput(Throughput::Bytes(case.body.len() as u64));
        group.bench_function("pipeline", |b| b.iter(|| black_box(case.pipeline(config))));
        group.bench_function("floor (hmac + IgnoredAny)", |b| {
            b.iter(|| black_box(case.floor()))
        });
        group.bench_function("value + hmac", |b| b.iter(|| black_box(case.value_hmac())));
        group.bench_function("hmac", |b| b.iter(|| black_box(case.hmac())));
        group.finish();
    }
}

/// Nanoseconds per call: the best of several rounds, so a neighbour's compile burst on a
/// shared machine inflates no figure (the best round is the least disturbed one).
fn best_ns(rounds: usize, round: Duration, f: impl FnMut()) -> f64 {
    let mut f = f;
    best_ns_interleaved(rounds, round, &mut [&mut f])[0]
}

/// [`best_ns`] of several parts, their rounds taken in turn (one round of each, then the next
/// round of each): a burst of load that lasts a few rounds costs every part a round, instead
/// of all the rounds of whichever part was measuring then, so their ratios hold on a busy
/// machine.
fn best_ns_interleaved(rounds: usize, round: Duration, parts: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    // Calibrate how many calls of each part fill one round.
    let per_round: Vec<u64> = parts
        .iter_mut()
        .map(|f| {
            let start = Instant::now();
            let mut calls = 0_u64;
            while start.elapsed() < round / 4 {
                f();
                calls += 1;
            }
            (calls * 4).max(1)
        })
        .collect();
    let mut best = vec![f64::INFINITY; parts.len()];
    for _ in 0..rounds {
        for ((f, &calls), best) in parts.iter_mut().zip(&per_round).zip(&mut best) {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            *best = best.min(start.elapsed().as_nanos() as f64 / calls as f64);
        }
    }
    best
}

fn ratios(cases: &[Case], config: &ShopConfig) {
    const ROUNDS: usize = 7;
    const ROUND: Duration = Duration::from_millis(60);
    println!();
    println!(
        "ordersms-core: pipeline vs floor, µs per webhook (best of {ROUNDS} interleaved rounds)"
    );
    println!(
        "{:<28} {:>7} {:>7} {:>7} {:>11} {:>9} {:>11} {:>11}",
        "webhook", "bytes", "hmac", "floor", "value+hmac", "pipeline", "pipe/floor", "pipe/value"
    );
    let mut worst: f64 = 0.0;
    for case in cases {
        let ns = best_ns_interleaved(
            ROUNDS,
            ROUND,
            &mut [
                &mut || {
                    black_box(case.hmac());
                },
                &mut || {
                    black_box(case.floor());
                },
                &mut || {
                    black_box(case.value_hmac());
                },
                &mut || {
                    black_box(case.pipeline(config));
                },
            ],
        );
        let [hmac, floor, value, pipeline] = [ns[0], ns[1], ns[2], ns[3]].map(|ns| ns / 1000.0);
        worst = worst.max(pipeline / floor);
        println!(
            "{:<28} {:>7} {:>7.1} {:>7.1} {:>11.1} {:>9.1} {:>10.2}× {:>10.2}×",
            case.name,
            case.body.len(),
            hmac,
            floor,
            value,
            pipeline,
            pipeline / floor,
            pipeline / value
        );
    }
    let verdict = if worst <= 1.5 { "within" } else { "ABOVE" };
    println!("worst pipeline / floor: {worst:.2}× ({verdict} the 1.5× target)");
    first_webhook(&cases[0]);
}

/// What the first webhook of a fresh Worker isolate (or of a new npm `Shop`) pays before the
/// pipeline above: loading the configuration, which compiles its templates.
fn first_webhook(case: &Case) {
    let load = best_ns(5, Duration::from_millis(200), || {
        black_box(ShopConfig::default());
    });
    let first = best_ns(5, Duration::from_millis(200), || {
        black_box(case.pipeline(&ShopConfig::default()));
    });
    println!(
        "first webhook of a fresh isolate ({}): configuration load {:.1} µs, load + pipeline {:.1} µs",
        case.name,
        load / 1000.0,
        first / 1000.0
    );
}

/// Only the pipeline of one case, many times: something for `perf record` or
/// `valgrind --tool=callgrind` to look at (`ORDERSMS_BENCH_PROFILE="orders/create"`,
/// `ORDERSMS_BENCH_ITERATIONS`, default 2000). `ORDERSMS_BENCH_PROFILE_PART=floor` (or
/// `hmac`, `value`) runs that part instead, to compare instruction counts with the floor's.
fn profile(cases: &[Case], config: &ShopConfig, name: &str) {
    let Some(case) = cases.iter().find(|c| c.name.contains(name)) else {
        let names: Vec<_> = cases.iter().map(|c| c.name).collect();
        panic!("ORDERSMS_BENCH_PROFILE={name:?} matches none of {names:?}");
    };
    let iterations: u32 = std::env::var("ORDERSMS_BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let part = std::env::var("ORDERSMS_BENCH_PROFILE_PART").unwrap_or_default();
    let start = Instant::now();
    for _ in 0..iterations {
        match part.as_str() {
            "floor" => {
                black_box(case.floor());
            }
            "hmac" => {
                black_box(case.hmac());
            }
            "value" => {
                black_box(case.value_hmac());
            }
            _ => {
                black_box(case.pipeline(config));
            }
        }
    }
    let per_call = start.elapsed() / iterations.max(1);
    let part = if part.is_empty() { "pipeline" } else { &part };
    println!("{}: {iterations} x {part}, {per_call:?} each", case.name);
}

fn main() {
    let config = ShopConfig::default();
    let cases = cases(&config);
    if let Ok(name) = std::env::var("ORDERSMS_BENCH_PROFILE") {
        profile(&cases, &config, &name);
        return;
    }
    let ratios_only = std::env::var_os("ORDERSMS_BENCH_RATIOS_ONLY").is_some();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: there, run each
    // benchmark once as a smoke test and skip the timing pass.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    if !ratios_only {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        criterion_benches(&mut c, &cases, &config);
        c.final_summary();
    }
    if benchmarking || ratios_only {
        ratios(&cases, &config);
    }
}
