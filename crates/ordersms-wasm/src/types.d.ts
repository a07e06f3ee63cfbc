// ---- Vocabulary (the names of the configuration file, the templates and the plan JSON) ----

export type Platform = "shopify" | "woocommerce";
export type EventKind =
  | "placed" | "paid" | "shipped" | "partially_shipped" | "in_transit" | "out_for_delivery"
  | "delivered" | "delivery_failed" | "cancelled" | "refunded" | "partially_refunded"
  | "on_hold" | "payment_failed";
export type Language = "en" | "fr" | "de" | "nl" | "es" | "it";
export type Audience = "customer" | "merchant";
/** How a message goes out. A shop's `channel = "both"` is planned as two messages, one per channel. */
export type Channel = "sms" | "whatsapp";
export type Encoding = "gsm7" | "ucs2";

/** What an SMS text costs. */
export interface SegmentFacts {
  encoding: Encoding;
  /** GSM-7 septets (extension characters count 2) or UTF-16 code units for UCS-2. */
  units: number;
  /** Billed SMS parts: 160/153 GSM-7 or 70/67 UCS-2 units each; 0 for an empty text. */
  segments: number;
}

// ---- Webhooks ----

/**
 * Request headers as received: Node's `req.headers` (values may be arrays), a fetch `Headers`,
 * a `Map`, or any iterable of `[name, value]` pairs. Names are matched case-insensitively.
 */
export type WebhookHeaders =
  | { readonly [name: string]: string | readonly string[] | undefined }
  | Iterable<readonly [string, string]>;

// ---- Errors ----

/** Every error this package throws (or rejects with): `switch (e.kind)` narrows it. */
export type OrderSmsError = Error & { name: "OrderSmsError" } & (
  | { kind: "missing_signature" | "bad_signature" | "missing_topic"; platform: Platform; header: string }
  | { kind: "unknown_topic" | "malformed_payload"; platform: Platform; topic: string }
  | { kind: "unknown_platform" }
  | ({ kind: "invalid_config"; /** The configuration key, e.g. `events.shipped.chanel`. */ path?: string } & Partial<TemplateFailure>)
  | ({ kind: "template" } & TemplateFailure)
  | { kind: "invalid_argument" }
  | { kind: "crypto" | "unsupported_platform" }
  | ({ kind: "bad_key" | "server" | "unparseable" | "unexpected_status"; status: number } & ApiFailure)
  | ({ kind: "rate_limited"; retryAfterSeconds: number | null } & ApiFailure)
  | ({ kind: "api"; code: string } & ApiFailure)
  | ({ kind: "phone_offline" | "subscription_expired" | "validation" | "transport" } & ApiFailure)
  | { kind: "internal" }
);
export type OrderSmsErrorKind = OrderSmsError["kind"];

/** What is wrong with a template (`kind: "template"`, or `invalid_config` for a `[templates]` entry). */
export interface TemplateFailure {
  reason: "bad_name" | "syntax" | "unknown_variable" | "render" | "missing";
  /** The template's name, e.g. `fr/shipped` (not for `missing`). */
  template?: string;
  /** For `syntax` and `unknown_variable`: where, when known (from 1; the column in characters). */
  line?: number | null;
  column?: number | null;
  /** For `unknown_variable`: the variable, e.g. `tracking.link`. */
  variable?: string;
}

/** What every SMSMobileAPI failure says about trying again. */
export interface ApiFailure {
  /** Repeating the call is safe: for a send, only when the API cannot have queued it (429, no connection). */
  retryable: boolean;
  /** A send or resend failed after the API may have queued it (5xx, timeout, unreadable answer): look for it in the sent log before sending again. */
  maybeSent: boolean;
}

// ---- SMSMobileAPI client ----

export interface ClientOptions {
  apiKey: string;
  /** Default `https://api.smsmobileapi.com`; `https://`, or `http://` to this machine only (the apikey goes with every request). Point it at `ordersms sandbox` to test. */
  baseUrl?: string;
  /** Retries, with backoff, of failures the API cannot have acted on (429, no connection); a send is never retried after a 5xx or a timeout, which may come after it was queued. Default 0. */
  maxRetries?: number;
  /** Abort a request after this many milliseconds (kind `transport`). */
  timeoutMs?: number;
}

/** One message to send. A `PlannedMessage` from `Shop.plan` fits as is. */
export interface SendMessageRequest {
  /** E.164 for SMS; several recipients separated by commas. */
  to: string;
  text: string;
  channel?: Channel;
  shorturl?: boolean;
  /** UNIX seconds (UTC) from which the phone sends. */
  schedule_timestamp?: number | null;
  /** `sIdentifiant`: which connected phone sends; default the first available. */
  device_sid?: string | null;
  /** SIM slot of a dual-SIM phone. */
  port?: 1 | 2;
}

/** The message is in the phone's queue (accepted, not yet delivered). */
export interface SendResult {
  /** The message GUID, the handle for the sent log and for resend. */
  guid: string | null;
  note: string | null;
  datetime: string | null;
  datetime_local: string | null;
  port: string | null;
  whatsapp: boolean;
  encrypted: boolean;
  trial: { active: boolean; sms_sent: number | null } | null;
}

/** Filters of the sent log; all optional, combined. */
export interface SentLogQuery {
  /** One message, by the GUID `sendMessage` returned. */
  guid?: string;
  /** Matches the recipient or the text. */
  keyword?: string;
  /** Older than this UNIX time (seconds) or GUID: the next page. */
  before?: number | string;
  /** Only messages the API failed. */
  error_api?: boolean;
  /** Only messages the phone failed. */
  error_mobile?: boolean;
}

/** One message of the sent log. */
export interface SentSms {
  guid: string | null;
  recipient: string | null;
  message: string | null;
  /** The phone reports it sent the message. */
  sent_by_mobile: boolean;
  /** The phone's error, if any. */
  mobile_error: string | null;
  /** The API's error, if any. */
  error_api: string | null;
  datetime: string | null;
  s_identifiant: string | null;
}

/** The answer of acknowledge-only calls. */
export interface Ack {
  note: string | null;
  /** The whole body as received. */
  details: JsonValue;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// ---- Templates ----

export interface TemplateSelection {
  event: EventKind;
  language: Language;
  /** Default `"customer"`. */
  audience?: Audience;
}

export interface RenderRequest extends TemplateSelection {
  /** Template source to render instead of the default template: Handlebars, as far as
   * docs/configuration.md lists (the rest is refused with its line and column). */
  source?: string;
  /** Locale for money and dates (`fr-BE`); default the language. */
  locale?: string;
}

/** A rendered message with its cost. */
export interface RenderedTemplate extends SegmentFacts {
  text: string;
  /** The template used, e.g. `fr/shipped` (English when the language has none). */
  template: string;
}

// ---- Plans (the JSON `ordersms plan` prints) ----

export interface PlanOptions {
  /** UNIX seconds to plan at (quiet hours, delays); default now. */
  now?: number;
  /**
   * The order context a previous plan returned as `store` (or its JSON text, which keeps
   * 64-bit ids exact), so later webhooks of the same order know its phone, language...
   */
  context?: OrderContext | string | null;
  /**
   * Numbers that answered STOP (E.164, or national to the shop's `default_country`): no
   * customer message goes to them. An array is read again by every plan; for a long list
   * that rarely changes, pass `shop.optOutList(numbers)`, read once. An `OptOutList` lives
   * in WebAssembly memory until it is garbage collected (or `free()`d: a freed list throws
   * `invalid_argument`).
   */
  optedOut?: readonly string[] | OptOutList;
}

export interface Plan {
  messages: PlannedMessage[];
  skipped: SkippedMessage[];
  /** The order context to save (replacing the stored one), or null when nothing changed. */
  store: OrderContext | null;
  /** The normalized event (without phone numbers); null for pings and ignored topics. */
  event: OrderEvent | null;
}

export interface PlannedMessage {
  /** E.164 recipient. */
  to: string;
  recipient: Audience;
  channel: Channel;
  text: string;
  /** e.g. `fr/shipped`. */
  template: string;
  locale: string;
  encoding: Encoding;
  segments: number;
  shorturl: boolean;
  /** UNIX seconds (UTC) to send at; null = now. */
  schedule_timestamp: number | null;
  /** The shop's `device`: the `sIdentifiant` of the phone that sends; absent when not configured. */
  device_sid?: string;
  /** Send only the first message seen with this key. */
  dedupe_key: string;
  event: EventKind;
}

export type SkipCode =
  | "ping" | "ignored_topic" | "nothing_new" | "test_order" | "not_enabled" | "no_phone"
  | "invalid_phone" | "no_merchant_phone" | "opted_out" | "template_failed";

export interface SkippedMessage {
  /** For people: what happened and what to do. */
  reason: string;
  /** For programs. */
  code: SkipCode;
  recipient: Audience | null;
  event: EventKind | null;
}

/** What ordersms remembers about an order between its webhooks. */
export interface OrderContext {
  platform: Platform;
  /** Decimal digits: Shopify's 64-bit order ids do not fit a JavaScript number. */
  order_id: string;
  order_name: string | null;
  first_name: string | null;
  last_name: string | null;
  phones: string[];
  locale: string | null;
  country: string | null;
  currency: string | null;
  total: string | null;
  last_status: string | null;
  refund_count: number;
  refunded_total: string | null;
  seen_refunds: string[];
  test: boolean;
  /**
   * Other fields, e.g. `in_store: true` for a Shopify POS sale (absent otherwise);
   * `tracking_numbers` (WooCommerce: the numbers its webhooks carried, so a number added to a
   * completed order is announced once), `untracked_shipments` (Shopify: fulfillments
   * announced without a number, so the update that adds one announces it) and
   * `shipment_numbers` (Shopify: `<fulfillment id>:<number>` of those announced with one, so a
   * corrected number is announced), arrays of strings.
   */
  [field: string]: JsonValue;
}

/** The normalized order event a plan was made from. */
export interface OrderEvent {
  platform: Platform;
  topic: string;
  shop: string;
  /** Decimal digits, as in `OrderContext`. */
  order_id: string;
  order_name: string | null;
  transitions: { kind: EventKind; fact: string }[];
  test: boolean;
  /** Other fields, e.g. `in_store: true` for a Shopify POS sale (absent otherwise). */
  [field: string]: JsonValue;
}
