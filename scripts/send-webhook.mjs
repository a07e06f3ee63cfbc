// Signs a shop webhook body the way Shopify or WooCommerce does and posts it to a local
// Worker (scripts/quickstart, `npx wrangler dev`), with the secret of cloudflare/.dev.vars.
// A Worker refuses unsigned webhooks (401), so a plain `curl -d @file` cannot try it out.
//
// Usage: scripts/send-webhook [options] <payload.json>
//   --topic T          orders/create, orders/paid, fulfillments/create, refunds/create, ...
//                      (Shopify) or order.created, order.updated (WooCommerce). Default, from
//                      the body: refunds/create for a Shopify refund, fulfillments/create for a
//                      fulfillment, orders/create for an order; order.updated for WooCommerce.
//   --platform P       shopify or woocommerce. Default: read from the body.
//   --new-order        an order body as a new order: fresh id and number (and, for WooCommerce,
//                      dates of now). An order already texted is texted once, so the same body
//                      again sends nothing. Prints the new id, for --order-id.
//   --order-id ID      the order the body is about: an order's id, or the order_id of a
//                      Shopify fulfillment or refund (to follow up an order sent before).
//   --phone +336...    the customer's phone in every phone field (5 texts an hour reach one
//                      number: RATE_LIMIT_PER_HOUR).
//   --url URL          the Worker. Default: http://127.0.0.1:$WORKER_PORT (8787).
// The secret: SHOPIFY_WEBHOOK_SECRET / WOOCOMMERCE_WEBHOOK_SECRET from the environment, else
// from cloudflare/.dev.vars. Prints the Worker's answer; exits 1 unless it is a 2xx.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function fail(message) {
  console.error(`send-webhook: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { newOrder: false };
  const valued = { '--topic': 'topic', '--platform': 'platform', '--phone': 'phone', '--url': 'url', '--order-id': 'orderId' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--new-order') opts.newOrder = true;
    else if (arg === '-h' || arg === '--help') {
      const usage = fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n')
        .filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n');
      console.log(usage);
      process.exit(0);
    } else if (valued[arg]) {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      opts[valued[arg]] = argv[++i];
    } else if (arg.startsWith('-')) fail(`unknown option ${arg} (see --help)`);
    else if (opts.file) fail(`one payload file only (got ${opts.file} and ${arg})`);
    else opts.file = arg;
  }
  if (!opts.file) fail('which payload? e.g. scripts/send-webhook --new-order examples/webhooks/shopify_orders_create.json');
  return opts;
}

/** The value of NAME in cloudflare/.dev.vars (NAME="value" or NAME=value). */
function devVar(name) {
  const file = path.join(root, 'cloudflare', '.dev.vars');
  if (!fs.existsSync(file)) return undefined;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"?([^"]*)"?\s*$/);
    if (m && m[1] === name) return m[2];
  }
  return undefined;
}

const isWooCommerce = (order) => 'billing' in order && 'line_items' in order && !('admin_graphql_api_id' in order);

/** What a Shopify body is: a refund, a fulfillment, or an order. */
function shopifyKind(body) {
  if ('refund_line_items' in body) return 'refund';
  if ('order_id' in body && ('tracking_number' in body || 'tracking_numbers' in body || 'shipment_status' in body)) return 'fulfillment';
  return 'order';
}
const DEFAULT_TOPIC = { refund: 'refunds/create', fulfillment: 'fulfillments/create', order: 'orders/create' };

/** The order as a new one: new id and number; WooCommerce dates of now (ordersms takes an
 * update whose payment or completion is over a day old for an edit of an old order). */
function renew(order, platform) {
  const id = Date.now() * 1000 + crypto.randomInt(1000);
  const number = id % 1000000;
  order.id = id;
  if (platform === 'shopify') {
    order.name = `#${number}`;
    order.order_number = number;
    order.number = number;
    order.admin_graphql_api_id = `gid://shopify/Order/${id}`;
  } else {
    order.number = String(number);
    const now = new Date().toISOString().slice(0, 19);
    for (const key of ['date_created', 'date_modified', 'date_paid', 'date_completed']) {
      if (order[key]) order[key] = now;
      if (order[`${key}_gmt`]) order[`${key}_gmt`] = now;
    }
  }
}

function setPhone(order, phone) {
  if ('phone' in order) order.phone = phone;
  if (order.customer) order.customer.phone = phone;
  for (const key of ['billing', 'shipping', 'billing_address', 'shipping_address']) {
    if (order[key]) order[key].phone = phone;
  }
}

const opts = parseArgs(process.argv.slice(2));
let body;
try {
  body = fs.readFileSync(opts.file);
} catch (e) {
  fail(`cannot read ${opts.file}: ${e.message}`);
}
let order;
try {
  order = JSON.parse(body.toString('utf8'));
} catch (e) {
  fail(`${opts.file} is not JSON: ${e.message}`);
}
const platform = opts.platform || (isWooCommerce(order) ? 'woocommerce' : 'shopify');
if (!['shopify', 'woocommerce'].includes(platform)) fail(`--platform is shopify or woocommerce, not ${platform}`);
const kind = platform === 'shopify' ? shopifyKind(order) : 'order';
const topic = opts.topic || (platform === 'shopify' ? DEFAULT_TOPIC[kind] : 'order.updated');
if (opts.newOrder && kind !== 'order') {
  fail(`--new-order renews an order; this is a Shopify ${kind}: give it the order it belongs to with --order-id`);
}
if (opts.orderId !== undefined && !/^[0-9]+$/.test(opts.orderId)) fail(`--order-id is digits, not ${opts.orderId}`);
if (opts.newOrder || opts.phone || opts.orderId) {
  // Rewritten only when asked: JSON.parse rounds Shopify's 18-digit ids, so an untouched
  // body is sent byte for byte.
  if (opts.newOrder) renew(order, platform);
  // Written as digits, not a Number: Shopify's ids do not fit one.
  const placeholder = '"__order_id__"';
  if (opts.orderId) order[kind === 'order' ? 'id' : 'order_id'] = JSON.parse(placeholder);
  if (opts.phone) setPhone(order, opts.phone);
  body = Buffer.from(JSON.stringify(order).replace(placeholder, opts.orderId));
}

const secretName = platform === 'shopify' ? 'SHOPIFY_WEBHOOK_SECRET' : 'WOOCOMMERCE_WEBHOOK_SECRET';
const secret = process.env[secretName] || devVar(secretName);
if (!secret) fail(`no ${secretName}: set it in the environment or in cloudflare/.dev.vars (scripts/setup creates it)`);
const signature = crypto.createHmac('sha256', secret).update(body).digest('base64');
const base = (opts.url || `http://127.0.0.1:${process.env.WORKER_PORT || 8787}`).replace(/\/$/, '');
const headers = { 'Content-Type': 'application/json' };
if (platform === 'shopify') {
  Object.assign(headers, {
    'X-Shopify-Topic': topic,
    'X-Shopify-Shop-Domain': 'maison-lumiere.myshopify.com',
    'X-Shopify-Event-Id': crypto.randomUUID(),
    'X-Shopify-Webhook-Id': crypto.randomUUID(),
    'X-Shopify-Hmac-Sha256': signature,
  });
} else {
  Object.assign(headers, {
    'X-WC-Webhook-Topic': topic,
    'X-WC-Webhook-Source': 'https://maison-lumiere.example/',
    'X-WC-Webhook-Delivery-ID': String(crypto.randomInt(1, 2 ** 31)),
    'X-WC-Webhook-Signature': signature,
  });
}

const url = `${base}/webhooks/${platform}`;
let res;
try {
  res = await fetch(url, { method: 'POST', headers, body });
} catch (e) {
  fail(`POST ${url}: ${e.cause?.message || e.message} (is the Worker running? scripts/quickstart starts one)`);
}
const answer = await res.text();
const which = opts.newOrder ? `, new order ${order.id}` : '';
console.log(`POST ${url} (${platform} ${topic}${which}): HTTP ${res.status} ${answer}`);
process.exit(res.ok ? 0 : 1);
