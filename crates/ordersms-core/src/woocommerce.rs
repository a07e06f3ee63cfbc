//! WooCommerce webhook bodies (the REST API v3 order object) into `OrderEvent`.
//!
//! A WooCommerce order webhook says what the order *is*, never what changed: there is no
//! previous status. So this module records the facts (status, refunds) and `resolve` judges
//! them against the stored context's last status and refund count:
//!
//! | status       | after                         | event                              |
//! |--------------|-------------------------------|------------------------------------|
//! | `pending`    | anything                      | none (awaiting payment)            |
//! | `processing` | nothing, `pending`, `failed`, `on-hold` | placed + paid (for `on-hold`: the bank transfer arrived; the order is confirmed only now, and `on_hold` is off by default) |
//! | `on-hold`    | anything else                 | on_hold                            |
//! | `completed`  | `pending`, `failed`, `checkout-draft`, `on-hold`; nothing on `order.created` | placed + paid + shipped (paid at once with nothing to ship: never confirmed) |
//! | `completed`  | anything else                 | shipped (Woo "completed" = fulfilled; delivery is not tracked by Woo) |
//! | `cancelled`  | `pending`, `checkout-draft`   | none (an unpaid order expired)     |
//! | `cancelled`  | anything else                 | cancelled                          |
//! | `failed`     | anything else                 | payment_failed                     |
//! | `refunded`   | anything else                 | refunded (full)                    |
//! | any          | more `refunds[]` than before  | partially_refunded (newest refund; amount: the sum of the new ones) |
//!
//! Without a context every status counts as new; the dedupe keys (status or refund id) keep
//! a re-sent order from producing the message twice.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::context::OrderContext;
use crate::event::{
    Item, Micros, OrderEvent, PhoneCandidate, Refund, RefundScope, Tracking, Transition,
};
use crate::json::text;
use crate::model::{EventKind, Platform};
use crate::record::record;
use crate::shopify::{raw_decimal, upper};

/// The WooCommerce topics ordersms handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // named after WooCommerce's topics: order.created, ...
pub(crate) enum Topic {
    OrderCreated,
    OrderUpdated,
    OrderDeleted,
    OrderRestored,
}

pub(crate) const SUPPORTED: &str = "order.created, order.updated, order.deleted, order.restored";

impl Topic {
    pub fn parse(name: &str) -> Option<Topic> {
        Some(match name.trim() {
            "order.created" => Topic::OrderCreated,
            "order.updated" => Topic::OrderUpdated,
            "order.deleted" => Topic::OrderDeleted,
            "order.restored" => Topic::OrderRestored,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::OrderCreated => "order.created",
            Topic::OrderUpdated => "order.updated",
            Topic::OrderDeleted => "order.deleted",
            Topic::OrderRestored => "order.restored",
        }
    }
}

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Order<'a> {
    id: u64,
    #[serde(borrow, default)]
    number: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "text")]
    status: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    currency: Text<'a>,
    #[serde(borrow, default)]
    total: Option<&'a RawValue>,
    /// In the site's time zone, without an offset: with `date_created_gmt` it gives the
    /// offset, so `{{date order.created_at}}` is the shop's day, not UTC's.
    #[serde(borrow, default, deserialize_with = "text")]
    date_created: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    date_created_gmt: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    date_paid_gmt: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    date_completed_gmt: Text<'a>,
    #[serde(borrow, default)]
    billing: Option<Address<'a>>,
    #[serde(borrow, default)]
    shipping: Option<Address<'a>>,
    #[serde(borrow, default)]
    line_items: Option<Vec<LineItem<'a>>>,
    #[serde(borrow, default)]
    meta_data: Option<Vec<Meta<'a>>>,
    #[serde(borrow, default)]
    refunds: Option<Vec<RefundEntry<'a>>>,
    /// `_links.self[0].href` names the shop when no `X-WC-Webhook-Source` header does.
    #[serde(borrow, default, rename = "_links")]
    links: Option<Links<'a>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Links<'a> {
    #[serde(borrow, default, rename = "self")]
    this: Option<Vec<Link<'a>>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Link<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    href: Text<'a>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Address<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    first_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    last_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    phone: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    country: Text<'a>,
    /// Only read for the Shipment Tracking links that name the parcel by postcode too.
    #[serde(borrow, default, deserialize_with = "text")]
    postcode: Text<'a>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct LineItem<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    name: Text<'a>,
    #[serde(default)]
    quantity: Option<u32>,
}

/// `meta_data[]` values are any JSON: kept raw, parsed only for the keys read below.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Meta<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    key: Text<'a>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct RefundEntry<'a> {
    id: u64,
    #[serde(borrow, default)]
    total: Option<&'a RawValue>,
}

// The Worker's reader of the structs above (crate::record), field for field as the derive.
record!(Order<'de> as "Order", [
    id: U64 Req,
    number: Raw Default,
    status: Text Default,
    currency: Text Default,
    total: Raw Default,
    date_created: Text Default,
    date_created_gmt: Text Default,
    date_paid_gmt: Text Default,
    date_completed_gmt: Text Default,
    billing: WooAddress Default,
    shipping: WooAddress Default,
    line_items: WooLineItems Default,
    meta_data: WooMeta Default,
    refunds: WooRefunds Default,
    links as "_links": WooLinks Default,
]);
record!(Links<'de> as "Links", [this as "self": WooLink Default]);
record!(Link<'de> as "Link", [href: Text Default]);
record!(Address<'de> as "Address", [
    first_name: Text Default,
    last_name: Text Default,
    phone: Text Default,
    country: Text Default,
    postcode: Text Default,
]);
record!(LineItem<'de> as "LineItem", [
    name: Text Default,
    quantity: OptU32 Default,
]);
record!(Meta<'de> as "Meta", [
    key: Text Default,
    value: Raw Default,
]);
record!(RefundEntry<'de> as "RefundEntry", [
    id: U64 Req,
    total: Raw Default,
]);
record!(TrackingItem<'de> as "TrackingItem", [
    tracking_provider: Text Default,
    custom_tracking_provider: Text Default,
    tracking_number: Text Default,
    custom_tracking_link: Text Default,
]);

/// One item of the WooCommerce Shipment Tracking extension's `_wc_shipment_tracking_items`.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct TrackingItem<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    tracking_provider: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    custom_tracking_provider: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    tracking_number: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    custom_tracking_link: Text<'a>,
}

/// The providers the Shipment Tracking extension offers in its menu
/// (`WC_Shipment_Tracking_Actions::get_providers()` of its releases with HPOS support), one
/// `slug|name|pattern` a line: the slug it stores for each (WordPress `sanitize_title` of its
/// menu label), the name a customer knows the carrier by, and the tracking page, where
/// `{number}`, `{postcode}` (the shipping postcode, else the billing one, upper-cased without
/// spaces or dashes) and `{country}` (the shipping country) are filled in, as the extension
/// does for its own emails. The menu labels that only tell an admin apart ("DPD.de", "UPS
/// Germany", "TNT Express (reference)") are named by brand. Providers a shop adds through the
/// extension's filter are not here: their name is shown as stored, without a link, as before.
// One string, not an array of tuples: a `&str` array adds 8 bytes of pointers per entry that
// barely compress, and the Worker bundle has little room (BENCHMARKS.md §3).
const TRACKING_PROVIDERS: &str = "\
australia-post|Australia Post|https://auspost.com.au/mypost/track/#/details/{number}
fastway-couriers|Fastway Couriers|https://www.fastway.com.au/tools/track/?l={number}
post-at|Österreichische Post|https://www.post.at/sv/sendungsdetails?snr={number}
dhl-at|DHL|https://www.dhl.at/content/at/de/express/sendungsverfolgung.html?brand=DHL&AWB={number}
dpd-at|DPD|https://tracking.dpd.de/parcelstatus?locale=de_AT&query={number}
correios|Correios|http://websro.correios.com.br/sro_bin/txect01$.QueryList?P_LINGUA=001&P_TIPO=001&P_COD_UNI={number}
bpost|bpost|https://track.bpost.be/btr/web/#/search?itemCode={number}
canada-post|Canada Post|https://www.canadapost-postescanada.ca/track-reperage/en#/resultList?searchFor={number}
purolator|Purolator|https://www.purolator.com/purolator/ship-track/tracking-summary.page?pin={number}
ppl-cz|PPL|https://www.ppl.cz/main2.aspx?cls=Package&idSearch={number}
ceska-posta|Česká pošta|https://www.postaonline.cz/trackandtrace/-/zasilka/cislo?parcelNumbers={number}
dhl-cz|DHL|https://www.dhl.cz/cs/express/sledovani_zasilek.html?AWB={number}
dpd-cz|DPD|https://tracking.dpd.de/parcelstatus?locale=cs_CZ&query={number}
itella|Posti|https://www.posti.fi/itemtracking/posti/search_by_shipment_id?lang=en&ShipmentId={number}
colissimo|Colissimo|https://www.laposte.fr/outils/suivre-vos-envois?code={number}
dhl-intraship-de|DHL|https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?lang=de&idc={number}&rfn=&extendedSearch=true
hermes|Hermes|https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation/#{number}
deutsche-post-dhl|Deutsche Post DHL|https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?lang=de&idc={number}
ups-germany|UPS|https://wwwapps.ups.com/WebTracking?sort_by=status&tracknums_displayed=1&TypeOfInquiryNumber=T&loc=de_DE&InquiryNumber1={number}
dpd-de|DPD|https://tracking.dpd.de/parcelstatus?query={number}&locale=en_DE
dpd-ie|DPD|https://dpd.ie/tracking?deviceType=5&consignmentNumber={number}
an-post|An Post|https://track.anpost.ie/TrackingResults.aspx?rtt=1&items={number}
brt-bartolini|BRT|https://as777.brt.it/vas/sped_det_show.hsm?referer=sped_numspe_par.htm&Nspediz={number}
dhl-express|DHL Express|https://www.dhl.it/it/express/ricerca.html?AWB={number}&brand=DHL
dtdc|DTDC|https://www.dtdc.in/tracking/tracking_results.asp?Ttype=awb_no&strCnno={number}&TrkType2=awb_no
postnl|PostNL|https://postnl.nl/tracktrace/?B={number}&P={postcode}&D={country}&T=C
dpd-nl|DPD|https://tracking.dpd.de/status/en_US/parcel/{number}
ups-netherlands|UPS|https://wwwapps.ups.com/WebTracking?sort_by=status&tracknums_displayed=1&TypeOfInquiryNumber=T&loc=nl_NL&InquiryNumber1={number}
courier-post|CourierPost|https://trackandtrace.courierpost.co.nz/Search/{number}
nz-post|NZ Post|https://www.nzpost.co.nz/tools/tracking?trackid={number}
aramex|Aramex|https://www.aramex.co.nz/tools/track?l={number}
pbt-couriers|PBT Couriers|http://www.pbt.com/nick/results.cfm?ticketNo={number}
inpost|InPost|https://inpost.pl/sledzenie-przesylek?number={number}
dpd-pl|DPD|https://tracktrace.dpd.com.pl/parcelDetails?p1={number}
poczta-polska|Poczta Polska|https://emonitoring.poczta-polska.pl/?numer={number}
fan-courier|Fan Courier|https://www.fancourier.ro/awb-tracking/?xawb={number}
dpd-romania|DPD|https://tracking.dpd.de/parcelstatus?query={number}&locale=ro_RO
urgent-cargus|Urgent Cargus|https://app.urgentcargus.ro/Private/Tracking.aspx?CodBara={number}
sapo|SAPO|http://sms.postoffice.co.za/TrackingParcels/Parcel.aspx?id={number}
fastway|Fastway|https://fastway.co.za/our-services/track-your-parcel?l={number}
postnord-sverige-ab|PostNord|https://portal.postnord.com/tracking/details/{number}
dhl-se|DHL|https://www.dhl.com/se-sv/home/tracking.html?submit=1&tracking-id={number}
bring-se|Bring|https://tracking.bring.se/tracking/{number}
ups-se|UPS|https://www.ups.com/track?loc=sv_SE&tracknum={number}&requester=WT/
db-schenker|DB Schenker|http://privpakportal.schenker.nu/TrackAndTrace/packagesearch.aspx?packageId={number}
dhl|DHL|https://www.dhl.com/content/g0/en/express/tracking.shtml?brand=DHL&AWB={number}
dpd-co-uk|DPD|https://www.dpd.co.uk/apps/tracking/?reference={number}#results
dpd-local|DPD Local|https://apis.track.dpdlocal.co.uk/v1/track?postcode={postcode}&parcel={number}
evri|Evri|https://www.evri.com/track/parcel/{number}
evri-international|Evri|https://international.evri.com/tracking/{number}
parcelforce|Parcelforce|https://www.parcelforce.com/track-trace?trackNumber={number}
royal-mail|Royal Mail|https://www3.royalmail.com/track-your-item#/tracking-results/{number}
tnt-express-consignment|TNT|https://www.tnt.com/express/en_gb/site/shipping-tools/tracking.html?searchType=con&cons={number}
tnt-express-reference|TNT|https://www.tnt.com/express/en_gb/site/shipping-tools/tracking.html?searchType=ref&cons={number}
dhl-parcel-uk|DHL Parcel UK|https://track.dhlparcel.co.uk/?con={number}
dhl-us|DHL|https://www.logistics.dhl/us-en/home/tracking/tracking-ecommerce.html?tracking-id={number}
dhl-ecommerce|DHL eCommerce|https://webtrack.dhlecs.com/orders?trackingNumber={number}
fedex|FedEx|https://www.fedex.com/apps/fedextrack/?action=track&tracknumbers={number}
fedex-sameday|FedEx SameDay|https://www.fedexsameday.com/fdx_dotracking_ua.aspx?tracknum={number}
globalpost|GlobalPost|https://www.goglobalpost.com/track-detail/?t={number}
ontrac|OnTrac|https://www.ontrac.com/tracking/?number={number}
ups|UPS|https://www.ups.com/track?loc=en_US&tracknum={number}
usps|USPS|https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1={number}
";

/// A stored `tracking_provider` as the extension's slug. Older versions of the extension
/// store the slug; newer ones store the menu label ("Royal Mail", "DPD.de") and match either,
/// so the stored value is slugged as `sanitize_title` does for these labels: lower case, `.`
/// and spaces to `-`, other punctuation dropped, accents of "Česká pošta" removed.
fn provider_slug(stored: &str) -> String {
    let mut slug = String::with_capacity(stored.len());
    for c in stored.trim().chars() {
        let c = match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            'á' | 'Á' => 'a',
            'č' | 'Č' => 'c',
            'š' | 'Š' => 's',
            '-' | '.' => '-',
            c if c.is_whitespace() => '-',
            _ => continue,
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
    }
    if slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// What a tracking link's number, postcode or country is written with: every byte but
/// `A-Z a-z 0-9 - . _ ~` (RFC 3986's unreserved characters) as `%XX`.
const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The carrier's name and tracking link for a provider picked from the extension's menu;
/// `None` for a provider ordersms does not know. The link is left out when the pattern needs
/// a postcode or country the order does not have.
fn predefined_tracking(
    provider: &str,
    number: Option<&str>,
    postcode: Option<&str>,
    country: Option<&str>,
) -> Option<(String, Option<String>)> {
    let slug = provider_slug(provider);
    let (name, pattern) = TRACKING_PROVIDERS.lines().find_map(|row| {
        let (row_slug, rest) = row.split_once('|')?;
        (row_slug == slug).then(|| rest.split_once('|'))?
    })?;
    let postcode = postcode.map(|p| {
        let mut p: String = p
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        p.make_ascii_uppercase();
        p
    });
    let mut url = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    let link = loop {
        let Some(start) = rest.find('{') else {
            url.push_str(rest);
            break Some(url);
        };
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        let value = match &rest[start..end] {
            "{number}" => number,
            "{postcode}" => postcode.as_deref(),
            "{country}" => country,
            _ => None,
        };
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            break None;
        };
        url.push_str(&rest[..start]);
        url.extend(utf8_percent_encode(value, URL_VALUE));
        rest = &rest[end..];
    };
    Some((name.to_owned(), link))
}

/// What `resolve` needs from a WooCommerce order: its status and refunds (id, amount), and
/// for an `order.updated` when it was created, paid and completed (UNIX seconds), for
/// `drop_old_news`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facts {
    pub status: String,
    pub refunds: Vec<(u64, Option<Micros>)>,
    pub created_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// A WooCommerce `*_gmt` date ("2017-03-22T19:28:02", UTC without an offset) in UNIX seconds.
fn gmt_seconds(text: Option<&str>) -> Option<i64> {
    let text = text?.trim();
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let two = |at: usize| text.get(at..at + 2)?.parse::<i8>().ok();
    let year = text.get(..4)?.parse::<i16>().ok()?;
    let datetime =
        jiff::civil::DateTime::new(year, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?, 0).ok()?;
    let instant = jiff::tz::TimeZone::UTC.to_timestamp(datetime).ok()?;
    Some(instant.as_second())
}

/// `order.created_at` as RFC 3339 in the site's offset ("2026-01-15T00:30:00+01:00"): the
/// local `date_created` with the offset it has from `date_created_gmt`, else the UTC one.
/// WooCommerce's dates carry no offset; the pair is the only place the site's zone shows.
fn site_created_at(local: Option<&str>, gmt: Option<&str>) -> Option<String> {
    let gmt = gmt.map(str::trim).filter(|t| !t.is_empty());
    let local = local.map(str::trim).filter(|t| !t.is_empty());
    if let (Some(local), Some(gmt_text)) = (local, gmt)
        && let (Some(at_local), Some(at_gmt)) =
            (gmt_seconds(Some(local)), gmt_seconds(Some(gmt_text)))
    {
        let offset = at_local - at_gmt;
        // Real offsets are whole minutes within ±14 h; anything else is not a time zone.
        if offset % 60 == 0 && offset.abs() <= 14 * 3600 {
            let (sign, minutes) = (if offset < 0 { '-' } else { '+' }, offset.abs() / 60);
            return Some(format!(
                "{local}{sign}{:02}:{:02}",
                minutes / 60,
                minutes % 60
            ));
        }
    }
    // The *_gmt date alone (or in another shape): UTC.
    gmt.map(|t| {
        let zone = if t.len() == 19 { "Z" } else { "" };
        [t, zone].concat()
    })
}

fn own(text: Text<'_>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// WooCommerce stores names HTML-escaped ("Ship Your Idea &ndash; Color: Black"); an SMS is
/// plain text, so references are decoded once here (see `entities`) and never re-escaped.
fn decoded(text: Text<'_>) -> Option<String> {
    let text = text?;
    let text = text.trim();
    (!text.is_empty()).then(|| crate::entities::decode(text).into_owned())
}

/// The text of a JSON string or number ("727" or 727), trimmed; `None` when empty or null.
/// Borrowed from the body unless the string holds an escape.
fn raw_text(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = raw?;
    let text = raw.get().trim();
    if text.starts_with('"') {
        // serde_json checked the raw value: a string without a backslash is its own text.
        let text = match text.get(1..text.len() - 1) {
            Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner.trim()),
            _ => Cow::Owned(serde_json::from_str::<String>(text).ok()?.trim().to_owned()),
        };
        (!text.is_empty()).then_some(text)
    } else if text == "null" {
        None
    } else {
        Some(Cow::Borrowed(text))
    }
}

/// The order id of any WooCommerce body (`order.deleted` sends only `{"id": N}`).
pub(crate) fn order_id(body: &[u8]) -> Result<u64, serde_json::Error> {
    crate::record::from_body::<Id>(body).map(|id| id.id)
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Id {
    id: u64,
}

record!(Id as "Id", [id: U64 Req]);

/// The shop host from `X-WC-Webhook-Source` ("https://shop.example.com/").
pub(crate) fn shop_from_source(source: &str) -> Option<String> {
    // Byte searches: `split_once("://")` built a two-way searcher per webhook (≈ 1k
    // instructions with the rest).
    let bytes = source.as_bytes();
    let rest = match bytes.windows(3).position(|w| w == b"://") {
        Some(at) => &source[at + 3..],
        None => source,
    };
    let end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#'));
    let host = rest[..end.unwrap_or(rest.len())].trim();
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

pub(crate) fn normalize(
    topic: Topic,
    body: &[u8],
    shop: Option<String>,
) -> Result<OrderEvent, serde_json::Error> {
    let order: Order = crate::record::from_body(body)?;
    Ok(from_order(topic, order, shop))
}

fn from_order(topic: Topic, order: Order<'_>, shop: Option<String>) -> OrderEvent {
    let shipping_country = order
        .shipping
        .as_ref()
        .and_then(|a| own(a.country.clone()))
        .map(upper);
    let billing_country = order
        .billing
        .as_ref()
        .and_then(|a| own(a.country.clone()))
        .map(upper);

    let mut phones = Vec::new();
    for (source, address, country) in [
        ("billing.phone", &order.billing, &billing_country),
        ("shipping.phone", &order.shipping, &shipping_country),
    ] {
        if let Some(raw) = address.as_ref().and_then(|a| own(a.phone.clone())) {
            phones.push(PhoneCandidate {
                source,
                raw,
                country: country.as_ref().or(billing_country.as_ref()).cloned(),
            });
        }
    }

    let mut locale = None;
    let mut tracking = Tracking::default();
    for meta in order.meta_data.unwrap_or_default() {
        let (Some(key), Some(value)) = (meta.key.as_deref(), meta.value) else {
            continue;
        };
        match key {
            // WPML and plugins that follow it store the order's language; `_locale` is the
            // WordPress locale some multilingual plugins keep per order.
            "wpml_language" | "_wpml_language" | "_locale" | "locale" if locale.is_none() => {
                locale = raw_text(Some(value)).map(Cow::into_owned);
            }
            "_wc_shipment_tracking_items" => {
                if let Ok(items) = crate::record::list_from_raw::<TrackingItem>(value)
                    && let Some(last) = items.into_iter().last()
                {
                    let custom = own(last.custom_tracking_provider);
                    let provider = own(last.tracking_provider);
                    let number = own(last.tracking_number);
                    let link = own(last.custom_tracking_link);
                    // A custom provider carries its own name and link; a provider from the
                    // extension's menu carries only its slug, and the extension builds the
                    // link from its pattern.
                    let known = match (&custom, &provider) {
                        (None, Some(provider)) => {
                            let postcode = [&order.shipping, &order.billing]
                                .into_iter()
                                .flatten()
                                .find_map(|a| own(a.postcode.clone()));
                            let country = shipping_country.as_ref().or(billing_country.as_ref());
                            predefined_tracking(
                                provider,
                                number.as_deref(),
                                postcode.as_deref(),
                                country.map(String::as_str),
                            )
                        }
                        _ => None,
                    };
                    tracking = match known {
                        Some((name, url)) => Tracking {
                            company: Some(name),
                            number,
                            url: url.or(link),
                        },
                        None => Tracking {
                            company: custom.or(provider),
                            number,
                            url: link,
                        },
                    };
                }
            }
            _ => {}
        }
    }

    let refunds: Vec<(u64, Option<Micros>)> = order
        .refunds
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.id, r.total.and_then(raw_decimal).map(Micros::abs)))
        .collect();
    let refunded_total = refunds
        .iter()
        .filter_map(|(_, amount)| *amount)
        .fold(None, |sum: Option<Micros>, amount| {
            Some(sum.unwrap_or_default() + amount)
        });
    let status = own(order.status).unwrap_or_default();
    // Only `drop_old_news` reads them, and only for updates: not parsed for the rest.
    let dates = |text: &Text<'_>| match topic {
        Topic::OrderUpdated => gmt_seconds(text.as_deref()),
        _ => None,
    };
    let created_at = dates(&order.date_created_gmt);
    let paid_at = dates(&order.date_paid_gmt);
    let completed_at = dates(&order.date_completed_gmt);
    let (first_name, last_name) = [&order.billing, &order.shipping]
        .into_iter()
        .flatten()
        .map(|a| (decoded(a.first_name.clone()), decoded(a.last_name.clone())))
        .find(|(first, last)| first.is_some() || last.is_some())
        .unwrap_or((None, None));

    let mut event = OrderEvent {
        platform: Platform::WooCommerce,
        topic: topic.as_str(),
        shop: shop
            .or_else(|| {
                let links = order.links?.this?;
                shop_from_source(links.first()?.href.as_deref()?)
            })
            .unwrap_or_else(|| "unknown".to_owned()),
        order_id: order.id,
        // WooCommerce shows orders as "#727" everywhere a customer sees them.
        order_name: Some(match raw_text(order.number) {
            Some(number) => ["#", &number].concat(),
            None => format!("#{}", order.id),
        }),
        transitions: Vec::new(),
        note: None,
        test: false,
        in_store: false,
        first_name,
        last_name,
        locale,
        country: shipping_country.or(billing_country),
        currency: own(order.currency),
        total: order.total.and_then(raw_decimal).map(Micros::to_decimal),
        items: order
            .line_items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| {
                Some(Item {
                    name: decoded(item.name)?,
                    quantity: item.quantity.unwrap_or(1),
                })
            })
            .collect(),
        tracking,
        refund: None,
        status_url: None,
        created_at: site_created_at(
            order.date_created.as_deref(),
            order.date_created_gmt.as_deref(),
        ),
        status: (!status.is_empty()).then(|| status.clone()),
        refund_count: Some(u32::try_from(refunds.len()).unwrap_or(u32::MAX)),
        refunded_total: refunded_total.map(Micros::to_decimal),
        phones,
        woo: Some(Facts {
            status,
            refunds,
            created_at,
            paid_at,
            completed_at,
        }),
    };
    resolve(&mut event, None);
    event
}

/// How long after a payment or a completion an `order.updated` without stored context may
/// still announce it. WooCommerce delivers webhooks within minutes (hours on a quiet site
/// whose WP-Cron waits for a visitor), and an edit of an older order is not news.
const OLD_NEWS_AFTER_SECONDS: i64 = 24 * 60 * 60;

/// WooCommerce sends `order.updated` on every save of an order (an address edit, a note, a
/// refund), with the whole order and never the previous status. Without a stored context,
/// an update of an order from before ordersms would thank its customer for an order placed
/// weeks ago, or tell them again that it shipped: when the order's payment (processing) or
/// completion (completed) is over a day old, that part is dropped. Refunds stay: each is
/// news when it is made.
pub(crate) fn drop_old_news(event: &mut OrderEvent, now_unix: i64) {
    let Some(facts) = &event.woo else {
        return;
    };
    if event.topic != Topic::OrderUpdated.as_str() {
        return;
    }
    // A cash-on-delivery order is processing unpaid: its creation is the news then.
    let happened = match facts.status.as_str() {
        "processing" => facts
            .paid_at
            .map(|at| (at, "paid"))
            .or(facts.created_at.map(|at| (at, "placed"))),
        "completed" => facts.completed_at.map(|at| (at, "completed")),
        _ => return,
    };
    let Some((happened, what)) =
        happened.filter(|(at, _)| now_unix.saturating_sub(*at) > OLD_NEWS_AFTER_SECONDS)
    else {
        return;
    };
    event.drop_transitions(
        |kind| {
            matches!(
                kind,
                EventKind::Placed | EventKind::Paid | EventKind::Shipped
            )
        },
        || {
            // Formatted by hand: jiff's timestamp printer costs the Worker ≈ 3 KB gzipped.
            let day = jiff::Timestamp::from_second(happened)
                .map(|t| {
                    let date = jiff::tz::TimeZone::UTC.to_datetime(t).date();
                    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
                })
                .unwrap_or_default();
            format!(
                "the order was {what} on {day}, over a day ago, and ordersms has no record of it \
                 (an edit of an order from before ordersms): nothing to announce"
            )
        },
    );
}

/// Statuses before which the customer was not confirmed the order (`on-hold` is announced
/// as such only when the shop turns `on_hold` on, and says nothing of payment).
const UNCONFIRMED: [&str; 4] = ["pending", "failed", "checkout-draft", "on-hold"];

/// The event's tracking number when the context has kept the order's numbers and this one is
/// not among them.
fn new_tracking_number<'a>(
    event: &'a OrderEvent,
    context: Option<&OrderContext>,
) -> Option<&'a str> {
    let number = event.tracking.number.as_deref().filter(|n| !n.is_empty())?;
    let seen = context?.tracking_numbers.as_ref()?;
    (!seen.iter().any(|s| s == number)).then_some(number)
}

/// Decides what a WooCommerce order webhook announces, given what was stored before.
pub(crate) fn resolve(event: &mut OrderEvent, context: Option<&OrderContext>) {
    // Taken, not cloned, and put back at the end.
    let Some(facts) = event.woo.take() else {
        return;
    };
    let context =
        context.filter(|c| c.platform == Platform::WooCommerce && c.order_id == event.order_id);
    let previous = context.and_then(|c| c.last_status.as_deref());
    let status = facts.status.as_str();
    let fact = ["status:", status].concat();
    let newest_refund = facts.refunds.iter().max_by_key(|(id, _)| *id).copied();
    let mut transitions = Vec::new();
    let mut notes = Vec::new();
    let mut refund_announced = false;

    if previous == Some(status) {
        match new_tracking_number(event, context) {
            // The Shipment Tracking extension lets a number be added after the order was
            // completed (and its `shipped` sent, without one): that number is news.
            Some(number) if status == "completed" => transitions.push(Transition::new(
                EventKind::Shipped,
                ["tracking:", number].concat(),
            )),
            _ => notes.push(format!("status is still {status}")),
        }
    } else {
        match status {
            "pending" => notes.push("order is pending payment: nothing to announce yet".to_owned()),
            "processing" => match previous {
                Some(other) if !UNCONFIRMED.contains(&other) => {
                    notes.push(format!("order went back from {other} to processing"));
                }
                _ => {
                    transitions.push(Transition::new(EventKind::Placed, fact.clone()));
                    transitions.push(Transition::new(EventKind::Paid, fact));
                }
            },
            "on-hold" => transitions.push(Transition::new(EventKind::OnHold, fact)),
            // Nothing to ship, paid by card: WooCommerce completes the order at payment
            // (`pending` → `completed`), and an async `order.created` built after that
            // arrives completed. Its customer was never confirmed the order: confirm it too.
            // An update without context is an order from before ordersms: only shipped.
            "completed" => {
                let unconfirmed = match previous {
                    None => event.topic == Topic::OrderCreated.as_str(),
                    Some(before) => UNCONFIRMED.contains(&before),
                };
                if unconfirmed {
                    transitions.push(Transition::new(EventKind::Placed, fact.clone()));
                    transitions.push(Transition::new(EventKind::Paid, fact.clone()));
                }
                transitions.push(Transition::new(EventKind::Shipped, fact));
            }
            // WooCommerce cancels an unpaid order itself when its hold-stock time runs out:
            // its customer was never told of it, so a cancellation would be news of an
            // order they do not know they made.
            "cancelled" if matches!(previous, Some("pending" | "checkout-draft")) => notes.push(
                "an unpaid order was cancelled; its customer was never sent a confirmation: nothing to announce"
                    .to_owned(),
            ),
            "cancelled" => transitions.push(Transition::new(EventKind::Cancelled, fact)),
            "failed" => transitions.push(Transition::new(EventKind::PaymentFailed, fact)),
            "refunded" => {
                let fact = newest_refund.map_or(fact, |(id, _)| format!("refund:{id}"));
                transitions.push(Transition::new(EventKind::Refunded, fact));
                refund_announced = true;
            }
            "" => notes.push("the order has no status".to_owned()),
            other => notes.push(format!("status `{other}` has no message")),
        }
    }

    let count = facts.refunds.len();
    let known = context.map_or(0, |c| c.refund_count as usize);
    // The refunds this webhook brings: those beyond the stored count (WooCommerce builds an
    // async webhook's body at delivery and queues one delivery per order, so two refunds
    // made a minute apart can arrive together), else the newest. Their sum is what the
    // customer got back; unknown when one of them has no amount.
    let fresh = if context.is_some() {
        count.saturating_sub(known).max(1)
    } else {
        1
    };
    // The `fresh` highest ids, found by counting (an order has a handful of refunds; a sort
    // here cost the Worker ≈ 2 KB of WASM).
    let newer_than = |id: u64| {
        facts
            .refunds
            .iter()
            .filter(|(other, _)| *other > id)
            .count()
    };
    let fresh_amount = facts
        .refunds
        .iter()
        .filter(|(id, _)| newer_than(*id) < fresh)
        .try_fold(Micros::default(), |sum, (_, amount)| Some(sum + (*amount)?));
    if !refund_announced
        && count > known
        && let Some((id, _)) = newest_refund
    {
        if fresh_amount == Some(Micros::default()) {
            // Items restocked with a 0.00 refund: "We've refunded €0.00" says nothing true.
            notes.push("the new refund returned no money (0.00): nothing to announce".to_owned());
        } else {
            transitions.push(Transition::new(
                EventKind::PartiallyRefunded,
                format!("refund:{id}"),
            ));
            refund_announced = true;
        }
    }
    // Every refund's amount summed, told beside the new ones' when earlier refunds add to it.
    let all_refunds = facts
        .refunds
        .iter()
        .try_fold(Micros::default(), |sum, (_, amount)| Some(sum + (*amount)?));
    event.refund = if refund_announced {
        newest_refund.map(|(id, _)| Refund {
            id,
            amount: fresh_amount.map(Micros::to_decimal),
            currency: event.currency.clone(),
            scope: if status == "refunded" {
                RefundScope::Full
            } else {
                RefundScope::Partial
            },
            total: all_refunds
                .filter(|all| fresh_amount.is_some_and(|fresh| fresh != *all))
                .map(Micros::to_decimal),
        })
    } else {
        None
    };
    event.note = (transitions.is_empty() && !notes.is_empty()).then(|| notes.join("; "));
    event.transitions = transitions;
    event.woo = Some(facts);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tests::{assert_reads_alike, fixture, variants};

    #[test]
    fn bodies_read_as_with_serde_json_alone_malformed_ones_included() {
        for name in [
            "order_create_response_v3",
            "order_retrieve_v3",
            "order_update_response_v3",
        ] {
            for body in variants(&fixture(&format!("woocommerce/{name}.json"))) {
                assert_reads_alike(&body, |order: Order| {
                    from_order(Topic::OrderCreated, order, None)
                });
                assert_reads_alike(&body, |id: IdOnly| id.id);
            }
        }
    }

    /// Every row of the table is one provider the extension can store, under its slug.
    #[test]
    fn the_tracking_provider_table_is_well_formed() {
        let rows: Vec<Vec<&str>> = TRACKING_PROVIDERS
            .lines()
            .map(|row| row.split('|').collect())
            .collect();
        assert_eq!(rows.len(), 63);
        for (at, row) in rows.iter().enumerate() {
            let [slug, name, pattern] = row[..] else {
                panic!("{row:?} is not slug|name|pattern");
            };
            assert_eq!(provider_slug(slug), slug, "not a sanitize_title slug");
            assert!(rows[at + 1..].iter().all(|r| r[0] != slug), "{slug} twice");
            assert!(!name.trim().is_empty(), "{slug}");
            assert!(pattern.starts_with("http"), "{slug}: {pattern}");
            assert!(pattern.contains("{number}"), "{slug}: {pattern}");
            let rest = ["{number}", "{postcode}", "{country}"]
                .into_iter()
                .fold(pattern.to_string(), |p, placeholder| {
                    p.replace(placeholder, "")
                });
            assert!(!rest.contains(['{', '}', ' ']), "{slug}: {pattern}");
        }
    }

    /// Older versions of the extension store the slug, newer ones the menu label: both find the row.
    #[test]
    fn menu_labels_and_their_slugs_name_the_same_provider() {
        for (label, slug, name) in [
            ("USPS", "usps", "USPS"),
            ("Fedex", "fedex", "FedEx"),
            ("DHL US", "dhl-us", "DHL"),
            ("Royal Mail", "royal-mail", "Royal Mail"),
            ("post.at", "post-at", "Österreichische Post"),
            ("DPD.de", "dpd-de", "DPD"),
            ("DPD.co.uk", "dpd-co-uk", "DPD"),
            ("Česká pošta", "ceska-posta", "Česká pošta"),
            ("BRT (Bartolini)", "brt-bartolini", "BRT"),
            ("DHL Intraship (DE)", "dhl-intraship-de", "DHL"),
            (
                "TNT Express (consignment)",
                "tnt-express-consignment",
                "TNT",
            ),
            ("EVRi (international)", "evri-international", "Evri"),
            ("PostNord Sverige AB", "postnord-sverige-ab", "PostNord"),
            ("Australia Post", "australia-post", "Australia Post"),
            ("Colissimo", "colissimo", "Colissimo"),
            ("PostNL", "postnl", "PostNL"),
        ] {
            for stored in [label, slug] {
                let found = predefined_tracking(stored, Some("1Z999"), Some("1012 AB"), Some("NL"));
                let (found, link) = found.unwrap_or_else(|| panic!("{stored} not found"));
                assert_eq!(found, name, "{stored}");
                assert!(link.is_some_and(|l| l.contains("1Z999")), "{stored}");
            }
        }
        for unknown in ["", "dhl-paket", "Shree Tirupati Courier", "upss", "custom"] {
            assert_eq!(
                predefined_tracking(unknown, Some("1"), None, None),
                None,
                "{unknown}"
            );
        }
    }

    #[test]
    fn tracking_links_are_filled_in_url_encoded_or_left_out() {
        let link = |provider, number, postcode, country| {
            predefined_tracking(provider, number, postcode, country).and_then(|(_, link)| link)
        };
        assert_eq!(
            link("usps", Some("9400 1118&x=ü"), None, None).as_deref(),
            Some(
                "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=9400%201118%26x%3D%C3%BC"
            )
        );
        // WooCommerce's postcode form: upper case, no spaces or dashes.
        assert_eq!(
            link("postnl", Some("3SABC123"), Some(" 1012-ab "), Some("NL")).as_deref(),
            Some("https://postnl.nl/tracktrace/?B=3SABC123&P=1012AB&D=NL&T=C")
        );
        assert_eq!(
            link("dpd-local", Some("15501234567890"), Some("sw1a 1aa"), None).as_deref(),
            Some(
                "https://apis.track.dpdlocal.co.uk/v1/track?postcode=SW1A1AA&parcel=15501234567890"
            )
        );
        // A part the pattern needs is missing: no link, the name stays.
        assert_eq!(link("postnl", Some("3SABC123"), None, Some("NL")), None);
        assert_eq!(link("postnl", Some("3SABC123"), Some("1012AB"), None), None);
        assert_eq!(
            link("postnl", Some("3SABC123"), Some(" - "), Some("NL")),
            None
        );
        assert_eq!(link("usps", None, None, None), None);
        assert_eq!(
            predefined_tracking("dpd-local", Some("1"), None, None).map(|(name, _)| name),
            Some("DPD Local".to_owned())
        );
    }

    #[derive(Deserialize)]
    struct IdOnly {
        id: u64,
    }

    #[test]
    fn raw_texts_read_as_serde_json_reads_them() {
        /// `raw_text` as it was written, with serde_json for every string.
        fn with_serde(raw: &RawValue) -> Option<String> {
            let text = raw.get().trim();
            if text.starts_with('"') {
                serde_json::from_str::<Cow<'_, str>>(text)
                    .ok()
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
            } else if text == "null" {
                None
            } else {
                Some(text.to_owned())
            }
        }
        for json in [
            r#""727""#,
            r#"" 727 ""#,
            r#""""#,
            r#""  ""#,
            r#""fr\u005fFR""#,
            r#""\u0020fr ""#,
            r#""a\"b""#,
            r#""\ud800""#,
            "\"Zo\u{eb}\"",
            "727",
            "-1.5e3",
            "null",
            "true",
            "[1, 2]",
            r#"{"a": "b"}"#,
        ] {
            let raw: &RawValue = serde_json::from_str(json).unwrap();
            assert_eq!(
                raw_text(Some(raw)).map(Cow::into_owned),
                with_serde(raw),
                "{json}"
            );
        }
    }

    /// `shop_from_source` as it was written with `str` searches.
    fn shop_from_source_with_str_searches(source: &str) -> Option<String> {
        let rest = source.split_once("://").map_or(source, |(_, rest)| rest);
        let host = rest.split(['/', '?', '#']).next()?.trim();
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    }

    proptest::proptest! {
        #[test]
        fn shop_hosts_are_found_as_with_str_searches(
            source in "[ :/?#a-zA-Z.é\u{a0}]{0,24}",
        ) {
            proptest::prop_assert_eq!(
                shop_from_source(&source),
                shop_from_source_with_str_searches(&source)
            );
        }
    }

    #[test]
    fn edge_shop_sources_are_read_as_with_str_searches() {
        for source in [
            "https://Shop.Example.com/",
            "https://shop.example.com:8443/wp?x=1",
            "shop.example.com",
            " https:// a.b #x",
            "://",
            "a://b://c",
            "",
            "https://",
            "http://exämple.com/ünïcode",
        ] {
            assert_eq!(
                shop_from_source(source),
                shop_from_source_with_str_searches(source),
                "{source}"
            );
        }
    }
}
