// Load + fault run of the real Worker (`wrangler dev`, workerd) against `ordersms sandbox`,
// on loopback only, bounded in count and time. Started by bench/load-fault (which builds
// both); see BENCHMARKS.md.
//
// N signed Shopify orders/create webhooks (a share of them exact redeliveries of an earlier
// one, as Shopify retries do, often while the first is still in flight) go out at a fixed
// concurrency while the sandbox fails a share of SMSMobileAPI calls (500, 429 with
// Retry-After, slow answers, ambiguous "accepted but answered 500"). Every distinct order has
// its own phone, so after the queue drains the sandbox's record says exactly how many
// messages were delivered once, twice or never.
//
// Before that, the same requests go to two trivial Workers under the same `wrangler dev`: one
// that does nothing (reads the body, answers 200), the ack latency the local runtime alone
// gives at that concurrency; and one that answers once a queue has stored the body, the least
// a Worker that never loses an acknowledged webhook can do. Both are printed beside ordersms's.
//
// Env: N (10000), CONCURRENCY (50), DUP_RATE (0.2), FAULT_RATE (0.2, split evenly over
// 500/429/slow/ambiguous), SLOW_MS (300), SEED (42), DRAIN_TIMEOUT_S (600),
// LOAD_TIMEOUT_S (600), FLOOR=0 (skip the two floor Workers' runs), KEEP_LOGS=1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childProcesses, freePort, sleep, until } from '../cloudflare/test/harness.mjs';

const root = path.resolve(import.meta.dirname, '..');
const cf = path.join(root, 'cloudflare');
const env = (name, fallback) => (process.env[name] === undefined || process.env[name] === '' ? fallback : process.env[name]);
const N = Number(env('N', 10000));
const CONCURRENCY = Number(env('CONCURRENCY', 50));
const DUP_RATE = Number(env('DUP_RATE', 0.2));
const FAULT_RATE = Number(env('FAULT_RATE', 0.2));
const SLOW_MS = Number(env('SLOW_MS', 300));
const SEED = Number(env('SEED', 42));
const DRAIN_TIMEOUT_S = Number(env('DRAIN_TIMEOUT_S', 600));
const LOAD_TIMEOUT_S = Number(env('LOAD_TIMEOUT_S', 600));
const FLOOR = env('FLOOR', '1') !== '0';
const ordersms = env('ORDERSMS_BIN', path.join(process.env.CARGO_TARGET_DIR || path.join(root, 'target'), 'debug', 'ordersms'));
if (!(N > 0 && N <= 100000 && CONCURRENCY > 0 && CONCURRENCY <= 500)) {
  throw new Error('N must be in 1..=100000 and CONCURRENCY in 1..=500');
}

// ---- secrets: the same as the Worker's cloudflare/.dev.vars (or its .example) ----
function devVars() {
  const file = fs.existsSync(path.join(cf, '.dev.vars')) ? '.dev.vars' : '.dev.vars.example';
  const vars = {};
  for (const line of fs.readFileSync(path.join(cf, file), 'utf8').split('\n')) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}
const secrets = devVars();
const SHOPIFY_SECRET = secrets.SHOPIFY_WEBHOOK_SECRET;
const API_KEY = secrets.SMSMOBILEAPI_KEY || 'sandbox-key';
if (!SHOPIFY_SECRET) throw new Error('SHOPIFY_WEBHOOK_SECRET missing from cloudflare/.dev.vars');

// ---- small helpers ----
// A seeded PRNG (mulberry32): the same SEED sends the same webhooks in the same order.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const digits = (s) => String(s).replace(/\D/g, '');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ordersms-load-'));
const processes = childProcesses(() => tmp);
const startChild = processes.start;
const stopChildren = processes.stopAll;
process.on('exit', stopChildren);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopChildren(); process.exit(130); });

// ---- the webhooks ----
const rand = rng(SEED);
const unique = Math.max(1, Math.round(N * (1 - DUP_RATE)));
const template = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'webhooks', 'shopify_orders_create.json'), 'utf8'));
function order(i) {
  const o = structuredClone(template);
  const id = 9_100_000_000 + i;
  // A French mobile per order: +33 6 then 8 digits, unique for i < 10^8.
  const phone = `+336${String(i).padStart(8, '0')}`;
  o.id = id;
  o.name = `#L${i}`;
  o.order_number = i;
  o.test = false;
  o.phone = phone;
  if (o.customer) o.customer.phone = phone;
  if (o.shipping_address) o.shipping_address.phone = phone;
  if (o.billing_address) o.billing_address.phone = phone;
  const body = JSON.stringify(o);
  const headers = {
    'Content-Type': 'application/json',
    'X-Shopify-Topic': 'orders/create',
    'X-Shopify-Shop-Domain': 'load-shop.myshopify.com',
    'X-Shopify-Hmac-Sha256': crypto.createHmac('sha256', SHOPIFY_SECRET).update(body).digest('base64'),
    'X-Shopify-Event-Id': `load-event-${SEED}-${i}`,
    'X-Shopify-Webhook-Id': `load-webhook-${SEED}-${i}`,
    'X-Shopify-Api-Version': '2026-04',
  };
  return { i, phone, body, headers };
}
const orders = Array.from({ length: unique }, (_, i) => order(i + 1));
// Redeliveries: a random earlier order, sent again soon after (often while the first is in
// flight), with the same event id and body, as Shopify's retries are.
const sends = orders.map((o, k) => ({ key: k, o }));
for (let d = 0; d < N - unique; d++) {
  const k = Math.floor(rand() * unique);
  sends.push({ key: k + 0.5 + rand() * 3 * CONCURRENCY, o: orders[k] });
}
sends.sort((a, b) => a.key - b.key);

// ---- start the sandbox and the Worker ----
const faultEach = (FAULT_RATE / 4).toFixed(4);
const sb = startChild('sandbox', ordersms, [
  'sandbox', '--port', '0', '--seed', String(SEED), '--quiet',
  '--fail-rate-500', faultEach, '--fail-rate-429', faultEach, '--retry-after', '1',
  '--slow-rate', faultEach, '--slow-ms', String(SLOW_MS), '--ambiguous-rate', faultEach,
], { env: { ...process.env, SMSMOBILEAPI_KEY: API_KEY } });
const sandboxPort = await until('the sandbox start line', async () => {
  if (sb.exitCode !== null) throw new Error(`sandbox exited (${sb.exitCode}); log: ${sb.logFile}`);
  const m = fs.readFileSync(sb.logFile, 'utf8').match(/http:\/\/127\.0\.0\.1:(\d+)/);
  return m && Number(m[1]);
}, 30000);
const sandbox = `http://127.0.0.1:${sandboxPort}`;

const workerPort = await freePort();
const inspectorPort = await freePort();
const vars = {
  ...secrets,
  SMSMOBILEAPI_KEY: API_KEY,
  SMSMOBILEAPI_URL: sandbox,
  // Short backoff so the drain takes seconds, not the production minutes.
  RETRY_BASE_SECONDS: '1',
  RETRY_MAX_SECONDS: '5',
  SEND_TIMEOUT_SECONDS: '5',
  // The cron's safety net, on the same compressed clock: a message untouched for 30 s is
  // handed to the queue again (production: 30 minutes, the cron every 10).
  REQUEUE_AFTER_SECONDS: '30',
};
// wrangler dev reloads the Worker whenever a file under [build] watch_dir or the bundle in
// cloudflare/build changes (an edit, a `scripts/worker-build` in the same tree), and a reload
// throws away the local queue: miniflare keeps queued and delayed messages in memory only.
// Delivery then stops dead with messages left `queued` in the Ledger (the N=10000 "stall").
// So the run serves a frozen copy: the built bundle and wrangler.toml minus [build].
const frozen = path.join(tmp, 'worker');
fs.cpSync(path.join(cf, 'build'), path.join(frozen, 'build'), { recursive: true });
fs.writeFileSync(path.join(frozen, 'wrangler.toml'),
  fs.readFileSync(path.join(cf, 'wrangler.toml'), 'utf8').replace(/^\[build\]\n(?:(?!\[)[^\n]*\n)*/m, ''));
const args = ['dev', '--ip', '127.0.0.1', '--port', String(workerPort),
  '--inspector-port', String(inspectorPort), '--persist-to', path.join(tmp, 'state'),
  '--log-level', process.env.KEEP_LOGS ? 'log' : 'warn', '--test-scheduled'];
for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
const bin = path.join(cf, 'node_modules', '.bin');
const wrangler = startChild('wrangler', path.join(bin, 'wrangler'), args, {
  cwd: frozen,
  env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, WRANGLER_SEND_METRICS: 'false', ORDERSMS_WORKER_PREBUILT: '1', CI: 'true' },
});
const worker = `http://127.0.0.1:${workerPort}`;
await until('the Worker /healthz', async () => {
  if (wrangler.exitCode !== null) throw new Error(`wrangler exited (${wrangler.exitCode}); log: ${wrangler.logFile}`);
  return (await fetch(`${worker}/healthz`)).ok;
}, 120000);
// One webhook first, so the first timed requests do not pay the Durable Object's cold start.
{
  const w = order(0);
  await fetch(`${worker}/webhooks/shopify`, { method: 'POST', headers: w.headers, body: w.body }).then((r) => r.text());
  await until('the warm-up message at the sandbox', async () => {
    const res = await fetch(`${sandbox}/_sandbox/messages`);
    return (await res.json()).messages.some((m) => digits(m.recipients) === digits(w.phone));
  }, 60000);
  await fetch(`${sandbox}/_sandbox/messages`, { method: 'DELETE' });
}

console.log(`load-fault: ${N} webhooks (${unique} orders + ${N - unique} redeliveries) at concurrency ${CONCURRENCY}; sandbox faults ${(FAULT_RATE * 100).toFixed(0)}% (500/429/slow ${SLOW_MS} ms/ambiguous, ${faultEach} each), seed ${SEED}`);

// ---- the load ----
/** Sends every webhook of `sends` to `url` at CONCURRENCY; non-2xx answers are retried
 * like Shopify would (here quickly, up to 5 times). */
async function load(url, sends) {
  const run = { latencies: [], statuses: {}, retries: 0, failedForGood: 0, sent: 0, seconds: 0 };
  let next = 0;
  const deadline = Date.now() + LOAD_TIMEOUT_S * 1000;
  async function deliver(s) {
    for (let attempt = 0; attempt < 6; attempt++) {
      const t0 = performance.now();
      let status = 0;
      try {
        const res = await fetch(url, { method: 'POST', headers: s.o.headers, body: s.o.body });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 0;
      }
      run.latencies.push(performance.now() - t0);
      run.statuses[status] = (run.statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) return;
      run.retries++;
      await sleep(100 * (attempt + 1));
    }
    run.failedForGood++;
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < sends.length && Date.now() < deadline) {
      await deliver(sends[next++]);
    }
  }));
  run.seconds = (performance.now() - started) / 1000;
  run.sent = Math.min(next, sends.length);
  run.latencies.sort((a, b) => a - b);
  return run;
}
const latencySummary = (l) =>
  `p50 ${percentile(l, 50).toFixed(1)} ms, p90 ${percentile(l, 90).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${l[l.length - 1].toFixed(1)} ms`;

// ---- the floors: the same requests to two trivial Workers, same runtime ----
// "no-op" reads the body and answers 200: what the local runtime alone costs. "queue" also
// waits for a queue to store the body before answering, as ordersms does so that nothing
// acknowledged is lost: the least any Worker with that promise can cost here.
const FLOOR_WORKERS = {
  'no-op': {
    label: 'a no-op Worker',
    source: 'export default { async fetch(req) { await req.arrayBuffer(); return new Response("ok"); } };\n',
    config: '',
  },
  queue: {
    label: 'a Worker that only queues the body before answering',
    source: [
      'export default {',
      '  async fetch(req, env) { await env.INBOX.send(await req.text(), { contentType: "text" }); return new Response("ok"); },',
      '  async queue(batch) { batch.ackAll(); },',
      '};',
      '',
    ].join('\n'),
    config: '[[queues.producers]]\nbinding = "INBOX"\nqueue = "floor-inbox"\n[[queues.consumers]]\nqueue = "floor-inbox"\nmax_batch_size = 10\nmax_batch_timeout = 1\n',
  },
};
async function floorRun(name) {
  const { source, config } = FLOOR_WORKERS[name];
  const dir = path.join(tmp, `floor-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.js'), source);
  fs.writeFileSync(path.join(dir, 'wrangler.toml'),
    `name = "floor-${name}"\nmain = "index.js"\ncompatibility_date = "2025-09-01"\n${config}`);
  const port = await freePort();
  const child = startChild(`floor-${name}`, path.join(bin, 'wrangler'), ['dev', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(await freePort()), '--persist-to', path.join(dir, 'state'), '--log-level', 'warn'], {
    cwd: dir,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  });
  const url = `http://127.0.0.1:${port}/`;
  await until(`the ${name} floor Worker`, async () => (await fetch(url, { method: 'POST', body: 'x' })).ok, 120000);
  const run = await load(url, sends);
  child.kill('SIGTERM');
  return run;
}
const floors = {};
if (FLOOR) {
  for (const name of Object.keys(FLOOR_WORKERS)) floors[name] = await floorRun(name);
}

const { latencies, statuses, retries, failedForGood, sent, seconds: loadSeconds } =
  await load(`${worker}/webhooks/shopify`, sends);

// ---- drain: poll the sandbox until every order has its message, or no progress ----
const expected = new Set(orders.slice(0, unique).map((o) => digits(o.phone)));
let perPhone = new Map();
const drainStart = Date.now();
let lastCount = -1;
let lastChange = Date.now();
let cronRuns = 0;
let lastCron = Date.now();
while (Date.now() - drainStart < DRAIN_TIMEOUT_S * 1000) {
  const res = await fetch(`${sandbox}/_sandbox/messages`);
  const { messages } = await res.json();
  perPhone = new Map();
  for (const m of messages) {
    const p = digits(m.recipients);
    perPhone.set(p, (perPhone.get(p) ?? 0) + 1);
  }
  const have = [...expected].filter((p) => perPhone.has(p)).length;
  if (messages.length !== lastCount) {
    lastCount = messages.length;
    lastChange = Date.now();
  }
  // Done when all arrived and nothing new came for 5 s (late duplicates would show up there).
  if (have === expected.size && Date.now() - lastChange > 5000) break;
  // The cron runs every 10 minutes in production; `wrangler dev` only runs it on request.
  // When nothing has arrived for 20 s, run it (at most every 20 s): its sweep hands back to
  // the queue whatever the queue went quiet on. A healthy drain never needs it.
  if (have < expected.size && Date.now() - lastChange > 20000 && Date.now() - lastCron > 20000) {
    lastCron = Date.now();
    cronRuns++;
    await fetch(`${worker}/__scheduled?cron=*/10+*+*+*+*`).then((r) => r.arrayBuffer()).catch(() => {});
  }
  // Give up early when nothing has moved for a long while.
  if (Date.now() - lastChange > Math.min(120000, DRAIN_TIMEOUT_S * 1000)) break;
  await sleep(1000);
}
const drainSeconds = (Date.now() - drainStart) / 1000;
let delivered = 0;
let duplicated = 0;
let unexpected = 0;
for (const [p, count] of perPhone) {
  if (expected.has(p)) {
    delivered++;
    duplicated += count - 1;
  } else {
    unexpected += count;
  }
}
const lost = expected.size - delivered;
const stats = await (await fetch(`${sandbox}/_sandbox/stats`)).json();

console.log(`sent ${sent} webhooks in ${loadSeconds.toFixed(1)} s: ${(sent / loadSeconds).toFixed(0)} webhooks/s; answers ${JSON.stringify(statuses)}; ${retries} retried, ${failedForGood} never acknowledged`);
console.log(`ack latency: ${latencySummary(latencies)}`);
for (const [name, floor] of Object.entries(floors)) {
  console.log(`floor, ${FLOOR_WORKERS[name].label}, same wrangler dev, same ${floor.sent} requests at concurrency ${CONCURRENCY}: ${(floor.sent / floor.seconds).toFixed(0)} requests/s; ${latencySummary(floor.latencies)}`);
}
console.log(`queue drained in ${drainSeconds.toFixed(1)} s after the load (cron run ${cronRuns} times on stalls); sandbox saw ${JSON.stringify(stats.requests)} with faults ${JSON.stringify(stats.faults)}`);
console.log(`messages: expected ${expected.size}, delivered ${delivered}, duplicated ${duplicated}, lost ${lost}${unexpected ? `, unexpected ${unexpected}` : ''}`);
const p99 = percentile(latencies, 99);
const ok = duplicated === 0 && lost === 0 && failedForGood === 0 && sent === sends.length;
console.log(`targets: 0 duplicated ${duplicated === 0 ? 'OK' : 'MISSED'}, 0 lost ${lost === 0 ? 'OK' : 'MISSED'}, p99 ack <= 20 ms ${p99 <= 20 ? 'OK' : `MISSED (${p99.toFixed(1)} ms)`}`);
if (process.env.KEEP_LOGS) console.log(`logs kept in ${tmp}`);
else fs.rmSync(tmp, { recursive: true, force: true });
stopChildren();
process.exit(ok ? 0 : 1);
