// Shop.plan on the core's real fixtures gives the same JSON as the `ordersms plan` binary,
// through every verification path; bad input throws the right OrderSmsError kind.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ordersms, readFixture, runCli, shopifyHeaders, wooHeaders, fixtures } from './helpers.mjs';

const { Shop, WebhookVerifier, verifyWebhookSync, verifyWebhookDigest, isOrderSmsError } = ordersms;

const SECRET = 'whsec_4f1c0c9e2b';
const NOW_RFC3339 = '2026-03-20T21:07:44Z';
const NOW = Date.parse(NOW_RFC3339) / 1000;
const dir = mkdtempSync(join(tmpdir(), 'ordersms-wasm-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The shop of the comparison: merchant copies, French as default, quiet hours, transliteration.
const CONFIG_TOML = `
shop_name = "Maison Lumière"
default_country = "BE"
default_language = "fr"
transliterate = true
skip_test_orders = false
timezone = "Europe/Brussels"

[merchant]
phone = "+32470999888"

[events.placed]
merchant = true

[events.shipped]
channel = "both"
`;
const configPath = join(dir, 'shop.toml');
writeFileSync(configPath, CONFIG_TOML);

/** A fixture with a reachable customer phone (the public examples have none that is valid). */
function withPhone(relative, edit) {
  const order = JSON.parse(readFixture(relative));
  edit(order);
  return Buffer.from(JSON.stringify(order));
}

const cases = [
  ['shopify', 'orders/create', 'shopify/orders_create.json'],
  ['shopify', 'orders/create', 'shopify/orders_create.json', (o) => { o.phone = '+32 470 12 34 56'; o.customer_locale = 'fr-BE'; }],
  ['shopify', 'orders/paid', 'shopify/orders_paid.json', (o) => { o.phone = '0470 12 34 56'; }],
  ['shopify', 'orders/cancelled', 'shopify/orders_cancelled.json', (o) => { o.phone = '+33612345678'; o.customer_locale = 'de'; }],
  ['shopify', 'orders/fulfilled', 'shopify/orders_fulfilled.json', (o) => { o.phone = '+32470123456'; }],
  ['shopify', 'orders/partially_fulfilled', 'shopify/orders_partially_fulfilled.json'],
  ['shopify', 'fulfillments/create', 'shopify/fulfillments_create.json', (o) => { o.status = 'success'; o.destination = { ...(o.destination ?? {}), phone: '+32470123456' }; }],
  ['shopify', 'fulfillments/update', 'shopify/fulfillments_update.json'],
  ['shopify', 'refunds/create', 'shopify/refunds_create.json'],
  ['woocommerce', 'order.created', 'woocommerce/order_create_response_v3.json'],
  ['woocommerce', 'order.updated', 'woocommerce/order_update_response_v3.json', (o) => { o.billing.phone = '+32470123456'; }],
  ['woocommerce', 'order.updated', 'woocommerce/order_retrieve_v3.json'],
];

function headersFor(platform, topic, body) {
  return platform === 'shopify' ? shopifyHeaders(topic, body, SECRET) : wooHeaders(topic, body, SECRET);
}

function cliPlan(platform, topic, body, config) {
  const payload = join(dir, 'payload.json');
  writeFileSync(payload, body);
  const args = ['plan', '--platform', platform, '--topic', topic, '--now', NOW_RFC3339];
  if (config) args.push('--config', config);
  return JSON.parse(runCli([...args, payload]));
}

const verifier = await WebhookVerifier.create(SECRET);
const shops = { default: new Shop(), configured: Shop.fromToml(CONFIG_TOML) };
let messagesSeen = 0;

for (const [platform, topic, fixture, edit] of cases) {
  const name = `${fixture}${edit ? ' (with a phone)' : ''} as ${topic}`;
  test(`plan of ${name} equals \`ordersms plan\``, async () => {
    const body = edit ? withPhone(fixture, edit) : readFixture(fixture);
    const headers = headersFor(platform, topic, body);
    const webhook = await verifier.verify(headers, body);
    assert.equal(webhook.platform, platform);
    assert.equal(webhook.topic, topic);
    for (const [label, shop, config] of [['default', shops.default, undefined], ['configured', shops.configured, configPath]]) {
      const expected = cliPlan(platform, topic, body, config);
      const plan = shop.plan(webhook, { now: NOW });
      assert.deepEqual(plan, expected, `${label} shop`);
      assert.deepEqual(JSON.parse(shop.planJson(webhook, { now: NOW })), expected);
      messagesSeen += plan.messages.length;
    }
    // The other two verification paths give the same webhook, hence the same plan.
    const digest = createHmac('sha256', SECRET).update(body).digest();
    const viaDigest = verifyWebhookDigest(headers, body, digest);
    const viaSync = verifyWebhookSync(SECRET, headers, body);
    const plan = shops.configured.plan(webhook, { now: NOW });
    assert.deepEqual(shops.configured.plan(viaDigest, { now: NOW }), plan);
    assert.deepEqual(shops.configured.plan(viaSync, { now: NOW }), plan);
    // fetch's `await request.arrayBuffer()` (Workers, Deno, Bun) is the raw body too.
    const raw = new TextEncoder().encode(body);
    const arrayBuffer = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    const viaArrayBuffer = await verifier.verify(headers, arrayBuffer);
    assert.deepEqual(shops.configured.plan(viaArrayBuffer, { now: NOW }), plan);
    assert.deepEqual(shops.configured.plan(verifyWebhookSync(SECRET, headers, arrayBuffer), { now: NOW }), plan);
  });
}

test('the fixtures produced real messages, in the languages asked for', () => {
  assert.ok(messagesSeen >= 6, `only ${messagesSeen} messages planned over all fixtures`);
});

test('a planned message has the documented shape', async () => {
  const body = withPhone('shopify/orders_create.json', (o) => { o.phone = '+32470123456'; o.customer_locale = 'fr-BE'; });
  const webhook = await verifier.verify(shopifyHeaders('orders/create', body, SECRET), body);
  const plan = shops.configured.plan(webhook, { now: NOW });
  const customer = plan.messages.find((m) => m.recipient === 'customer');
  const merchant = plan.messages.find((m) => m.recipient === 'merchant');
  assert.ok(customer && merchant, JSON.stringify(plan, null, 1));
  assert.equal(customer.to, '+32470123456');
  assert.match(customer.template, /^fr\//);
  assert.equal(customer.event, 'placed');
  assert.equal(merchant.to, '+32470999888');
  assert.ok(customer.segments >= 1);
  assert.ok(plan.store && plan.store.phones.includes('+32470123456'));
  // Order ids are decimal strings, as the types say: Shopify's 64-bit ids do not fit a number.
  assert.match(plan.store.order_id, /^[1-9][0-9]*$/);
  assert.equal(plan.event.order_id, plan.store.order_id);
  // The stored context goes back in with the next webhook of the same order, as object or text.
  const next = shops.configured.plan(webhook, { now: NOW, context: plan.store });
  assert.deepEqual(next, shops.configured.plan(webhook, { now: NOW, context: JSON.stringify(plan.store) }));
  // And STOP is respected.
  const stopped = shops.configured.plan(webhook, { now: NOW, optedOut: ['+32470123456'] });
  assert.ok(stopped.skipped.some((s) => s.code === 'opted_out'));
  assert.ok(!stopped.messages.some((m) => m.recipient === 'customer'));
});

test('a plan is a plain object: skipped, store and event, parsed on first read, behave as data', async () => {
  const body = withPhone('woocommerce/order_create_response_v3.json', (o) => { o.billing.phone = '+33612345678'; });
  const webhook = await verifier.verify(wooHeaders('order.created', body, SECRET), body);
  const expected = JSON.parse(shops.configured.planJson(webhook, { now: NOW }));
  const plan = () => shops.configured.plan(webhook, { now: NOW });
  // Before any read: the same keys, text, inspection and copies as the parsed JSON.
  assert.equal(Object.getPrototypeOf(plan()), Object.prototype);
  assert.deepEqual(Object.keys(plan()), ['messages', 'skipped', 'store', 'event']);
  assert.equal(JSON.stringify(plan()), JSON.stringify(expected));
  assert.equal(inspect(plan(), { depth: 5 }), inspect(expected, { depth: 5 }));
  assert.equal(inspect(plan()), inspect(expected));
  assert.equal(inspect([[plan()]]), inspect([[expected]]));
  assert.deepEqual({ ...plan() }, expected);
  assert.deepEqual(structuredClone(plan()), expected);
  // A read gives the same object every time, and leaves a data property.
  const p = plan();
  assert.ok(p.store.phones.length > 0);
  assert.equal(p.event, p.event);
  assert.equal(p.store, p.store);
  assert.equal(p.skipped, p.skipped);
  assert.deepEqual(p.skipped, expected.skipped);
  assert.deepEqual(Object.getOwnPropertyDescriptor(p, 'store'), { value: p.store, writable: true, enumerable: true, configurable: true });
  // Writable and deletable like any property, before or after a read.
  const q = plan();
  q.event = null;
  q.store = { replaced: true };
  assert.equal(q.event, null);
  assert.deepEqual(q.store, { replaced: true });
  delete q.store;
  assert.deepEqual(Object.keys(q), ['messages', 'skipped', 'event']);
});

test('context text outside ASCII (and outside the BMP) reaches the message as written', async () => {
  // Shipped by the merchant (the published example is still `pending` at a fulfillment service).
  const body = Buffer.from(JSON.stringify({ ...JSON.parse(readFixture('shopify/fulfillments_create.json')), status: 'success' }));
  const webhook = await verifier.verify(shopifyHeaders('fulfillments/create', body, SECRET), body);
  const orderId = /"order_id":\s*(\d+)/.exec(body.toString())[1];
  const context = `{"platform":"shopify","order_id":${orderId},"order_name":"#1","first_name":"Zoë 😀","last_name":null,"phones":["+32470123456"],"locale":"fr","country":"BE","currency":"EUR","total":"1.00","last_status":null,"refund_count":0,"refunded_total":null,"seen_refunds":[],"test":false}`;
  const plan = shops.default.plan(webhook, { now: NOW, context });
  assert.match(plan.messages[0].text, /Zoë 😀/);
  assert.deepEqual(plan, shops.default.plan(webhook, { now: NOW, context: JSON.parse(context) }));
});

async function throwsKind(fn, kind) {
  try {
    await fn();
  } catch (e) {
    assert.ok(isOrderSmsError(e), `not an OrderSmsError: ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'OrderSmsError');
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected kind ${kind}`);
}

test('a body changed after signing is bad_signature on every path', async () => {
  const body = readFixture('shopify/orders_create.json');
  const headers = shopifyHeaders('orders/create', body, SECRET);
  const tampered = Buffer.from(body.toString().replace('"#9999"', '"#9998"'));
  const e = await throwsKind(() => verifier.verify(headers, tampered), 'bad_signature');
  assert.equal(e.header, 'X-Shopify-Hmac-Sha256');
  assert.equal(e.platform, 'shopify');
  await throwsKind(() => verifyWebhookSync(SECRET, headers, tampered), 'bad_signature');
  const digest = createHmac('sha256', SECRET).update(tampered).digest();
  await throwsKind(() => verifyWebhookDigest(headers, body, digest), 'bad_signature');
  const other = await WebhookVerifier.create('another-secret');
  await throwsKind(() => other.verify(headers, body), 'bad_signature');
});

test('a missing signature, platform or topic each have their kind', async () => {
  const body = readFixture('woocommerce/order_create_response_v3.json');
  const headers = wooHeaders('order.created', body, SECRET);
  delete headers['x-wc-webhook-signature'];
  await throwsKind(() => verifier.verify(headers, body), 'missing_signature');
  await throwsKind(() => verifier.verify({ 'content-type': 'application/json' }, body), 'unknown_platform');
  const noTopic = wooHeaders('order.created', body, SECRET);
  delete noTopic['x-wc-webhook-topic'];
  const webhook = await verifier.verify(noTopic, body);
  await throwsKind(() => shops.default.plan(webhook), 'missing_topic');
});

test('an unknown topic and a malformed body are refused at plan time', async () => {
  const body = readFixture('shopify/orders_create.json');
  const unknown = await verifier.verify(shopifyHeaders('products/create', body, SECRET), body);
  const e = await throwsKind(() => shops.default.plan(unknown, { now: NOW }), 'unknown_topic');
  assert.equal(e.topic, 'products/create');
  const broken = Buffer.from('{"id": 1, "name": ');
  const malformed = await verifier.verify(shopifyHeaders('orders/create', broken, SECRET), broken);
  await throwsKind(() => shops.default.plan(malformed, { now: NOW }), 'malformed_payload');
});

test('header records: lists, absent values, odd values and case are read as before', async () => {
  const body = readFixture('shopify/orders_paid.json');
  const record = shopifyHeaders('orders/paid', body, SECRET);
  const digest = createHmac('sha256', SECRET).update(body).digest();
  const upper = Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toUpperCase(), v]));
  const extra = { ...upper, 'set-cookie': ['a=1', 'b=2'], gone: undefined, none: null, host: 'shop.example' };
  assert.equal(verifyWebhookDigest(extra, body, digest).topic, 'orders/paid');
  // Values JSON cannot hold are left out, as before; other types are refused.
  assert.equal(verifyWebhookDigest({ ...record, f: () => 1 }, body, digest).topic, 'orders/paid');
  await throwsKind(() => verifyWebhookDigest({ ...record, 'content-length': 42 }, body, digest), 'invalid_argument');
  await throwsKind(() => verifyWebhookDigest({ ...record, a: [1] }, body, digest), 'invalid_argument');
  const throwing = { ...record };
  Object.defineProperty(throwing, 'x-bad', { enumerable: true, get() { throw new Error('no'); } });
  await throwsKind(() => verifyWebhookDigest(throwing, body, digest), 'invalid_argument');
  // A NUL inside a value (not valid HTTP) still reads as the value it is.
  const nul = { ...record, 'x-shopify-topic': 'orders/paid\0x' };
  assert.equal(verifyWebhookDigest(nul, body, digest).topic, 'orders/paid\0x');
});

test('fetch-style Headers and Node arrays are accepted', async () => {
  const body = readFixture('shopify/orders_paid.json');
  const record = shopifyHeaders('orders/paid', body, SECRET);
  const viaHeaders = await verifier.verify(new Headers(record), body);
  assert.equal(viaHeaders.topic, 'orders/paid');
  const viaMap = await verifier.verify(new Map(Object.entries(record)), body.toString('utf8'));
  assert.equal(viaMap.platform, 'shopify');
  await throwsKind(() => verifier.verify(record, 42), 'invalid_argument');
});

test('WooCommerce\'s unsigned creation ping verifies and plans to nothing', async () => {
  const body = Buffer.from('webhook_id=17');
  const webhook = await verifier.verify({ 'x-wc-webhook-source': 'https://shop.example/' }, body);
  const plan = shops.default.plan(webhook, { now: NOW });
  assert.deepEqual(plan.messages, []);
  assert.equal(plan.skipped[0].code, 'ping');
});

test('new Shop(text) is refused, not planned with the defaults in place of the configuration', async () => {
  const e = await throwsKind(() => new Shop(CONFIG_TOML), 'invalid_argument');
  assert.match(e.message, /Shop\.fromToml/);
  await throwsKind(() => new Shop(JSON.parse('{"default_language": "fr"}')), 'invalid_argument');
  assert.ok(new Shop(undefined) instanceof Shop);
});

test('a wrong configuration is invalid_config naming the key', async () => {
  const e = await throwsKind(() => Shop.fromToml('[events.shipped]\nchanel = "sms"\n'), 'invalid_config');
  assert.equal(e.path, 'events.shipped.chanel');
  const t = await throwsKind(() => Shop.fromJson('{"templates":{"en/shipped":"Hi {{custmer.name}}"}}'), 'invalid_config');
  assert.match(t.message, /custmer/);
});

test('the fixtures folder is the core\'s', () => {
  assert.match(fixtures, /ordersms-core[\\/]fixtures$/);
});

test('a secret or configuration that is not a string is a clear OrderSmsError, not a TypeError', async () => {
  const body = readFixture('shopify/orders_paid.json');
  const headers = shopifyHeaders('orders/paid', body, SECRET);
  // `process.env.SHOPIFY_WEBHOOK_SECRET` unset, or a Buffer from a secrets file.
  for (const secret of [undefined, Buffer.from(SECRET)]) {
    const e = await throwsKind(() => WebhookVerifier.create(secret), 'invalid_config');
    assert.match(e.message, /secret/);
    await throwsKind(() => verifyWebhookSync(secret, headers, body), 'invalid_config');
  }
  // `readFileSync('ordersms.toml')` without 'utf8'.
  const e = await throwsKind(() => Shop.fromToml(Buffer.from(CONFIG_TOML)), 'invalid_argument');
  assert.match(e.message, /utf8/);
  await throwsKind(() => Shop.fromJson(undefined), 'invalid_argument');
  // The package still works afterwards.
  assert.equal(Shop.fromToml(CONFIG_TOML).plan(verifyWebhookSync(SECRET, headers, body), { now: NOW }).messages.length >= 0, true);
});

test('a digest given as hex or base64 is invalid_argument, not a wrong secret', async () => {
  const body = readFixture('shopify/orders_paid.json');
  const headers = shopifyHeaders('orders/paid', body, SECRET);
  const hmac = () => createHmac('sha256', SECRET).update(body);
  for (const digest of [hmac().digest('hex'), hmac().digest('base64'), undefined, hmac().digest().subarray(0, 16)]) {
    const e = await throwsKind(() => verifyWebhookDigest(headers, body, digest), 'invalid_argument');
    assert.match(e.message, /32 raw bytes/);
  }
  assert.equal(verifyWebhookDigest(headers, body, hmac().digest()).topic, 'orders/paid');
  assert.equal(verifyWebhookDigest(headers, body, new Uint8Array(hmac().digest())).topic, 'orders/paid');
});

test('options.now must be UNIX seconds: a Date, a string or milliseconds are refused, not replaced', async () => {
  const order = JSON.parse(readFixture('shopify/orders_create.json'));
  Object.assign(order, { phone: '+32470123456', test: false, customer_locale: 'fr-BE' });
  const body = Buffer.from(JSON.stringify(order));
  const webhook = await verifier.verify(shopifyHeaders('orders/create', body, SECRET), body);
  // Quiet hours 21:00-08:00 Brussels: a webhook replayed with the time it arrived, 23:30.
  const arrived = new Date('2026-03-20T22:30:00Z');
  for (const now of [arrived, arrived.toISOString(), String(arrived / 1000), arrived.getTime()]) {
    const e = await throwsKind(() => shops.configured.plan(webhook, { now }), 'invalid_argument');
    assert.match(e.message, /options\.now/);
  }
  const seconds = shops.configured.plan(webhook, { now: arrived / 1000 });
  assert.equal(shops.configured.plan(webhook, { now: null }).messages.length, seconds.messages.length);
  assert.deepEqual(shops.configured.plan(webhook, { now: arrived / 1000 + 0.9 }), seconds);
});

test('a customer who answered STOP gets no SMS however the opt-out list writes the number', async () => {
  const order = JSON.parse(readFixture('shopify/orders_create.json'));
  Object.assign(order, { phone: '+32 470 12 34 56', test: false, customer_locale: 'fr-BE' });
  const body = Buffer.from(JSON.stringify(order));
  const webhook = await verifier.verify(shopifyHeaders('orders/create', body, SECRET), body);
  const sent = shops.configured.plan(webhook, { now: NOW }).messages.filter((m) => m.recipient === 'customer');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].to, '+32470123456');
  // The shop's default country is BE: a national number is the same phone.
  for (const stop of ['+32470123456', '+32 470 12 34 56', '0032 470 12 34 56', '0470/12.34.56']) {
    const plan = shops.configured.plan(webhook, { now: NOW, optedOut: ['+33612345678', stop] });
    assert.deepEqual(plan.messages.filter((m) => m.recipient === 'customer'), [], stop);
    assert.ok(plan.skipped.some((s) => s.code === 'opted_out' && s.recipient === 'customer'), stop);
  }
  // Another number, or one that is no number, opts nobody out.
  const others = shops.configured.plan(webhook, { now: NOW, optedOut: ['+32470123457', 'STOP', ''] });
  assert.equal(others.messages.filter((m) => m.recipient === 'customer').length, 1);  // A Set (the natural store of a STOP list) or one number is refused with what to pass.
  for (const optedOut of [new Set(['+32470123456']), '+32470123456']) {
    const e = await throwsKind(() => shops.configured.plan(webhook, { now: NOW, optedOut }), 'invalid_argument');
    assert.match(e.message, /options\.optedOut must be an array of phone numbers.*\[\.\.\.set\]/);
  }
});

// ---- OptOutList: a STOP list read once, for every plan ----

/** Every fixture with a phone, verified, with the numbers its customer messages go to. */
async function webhooksWithCustomers() {
  const out = [];
  for (const [platform, topic, fixture, edit] of cases) {
    const body = edit ? withPhone(fixture, edit) : readFixture(fixture);
    out.push({ name: `${fixture} as ${topic}`, webhook: await verifier.verify(headersFor(platform, topic, body), body) });
  }
  return out;
}

// The customers of the fixtures above (+32470123456, +33612345678) written as a shop's STOP
// list may write them, the merchant's number (merchant copies still go), and entries that are
// no number.
const STOPPED = ['0470 12 34 56', '+33 6 12 34 56 78', '+32470999888', 'STOP', '', '+1 (555) 010-0199'];

test('a plan with an OptOutList is the plan with the same numbers as an array', async () => {
  let stops = 0;
  for (const { name, webhook } of await webhooksWithCustomers()) {
    for (const [label, shop] of Object.entries(shops)) {
      const list = shop.optOutList(STOPPED);
      const withArray = shop.plan(webhook, { now: NOW, optedOut: STOPPED });
      assert.deepEqual(shop.plan(webhook, { now: NOW, optedOut: list }), withArray, `${name}, ${label} shop`);
      assert.equal(shop.planJson(webhook, { now: NOW, optedOut: list }), shop.planJson(webhook, { now: NOW, optedOut: STOPPED }));
      stops += withArray.skipped.filter((s) => s.code === 'opted_out').length;
      list.free();
    }
  }
  // The comparison means something only if the lists stopped messages (and not all of them).
  assert.ok(stops >= 4, `only ${stops} opted_out skips`);
});

test('one OptOutList serves many plans, and is not changed by them nor by its array', async () => {
  const webhooks = await webhooksWithCustomers();
  const numbers = [...STOPPED];
  const list = shops.configured.optOutList(numbers);
  const expected = webhooks.map(({ webhook }) => shops.configured.planJson(webhook, { now: NOW, optedOut: STOPPED }));
  numbers.length = 0; // the list was read when built: editing the array changes nothing
  for (let round = 0; round < 20; round++) {
    webhooks.forEach(({ webhook }, i) => {
      assert.equal(shops.configured.planJson(webhook, { now: NOW, optedOut: list }), expected[i]);
    });
  }
  assert.deepEqual(shops.configured.plan(webhooks[1].webhook, { now: NOW, optedOut: list }), JSON.parse(expected[1]));
  // Normalized as the plan compares: in the Belgian shop, 0470 12 34 56 is +32470123456.
  assert.equal(list.size, STOPPED.length);
  for (const number of ['+32470123456', '0470/12.34.56', '0032 470 12 34 56', '+33612345678', 'STOP', '']) {
    assert.equal(list.has(number), true, number);
  }
  for (const number of ['+32470123457', '0612345678', 'stop']) assert.equal(list.has(number), false, number);
  assert.equal(shops.configured.optOutList(['+32470123456', '0470 12 34 56', '+32 470 12 34 56']).size, 1);
  // Without a default_country a national number is no phone: kept as written, it stops nobody.
  const international = shops.default.optOutList(['+32470123456', '0470 12 34 56']);
  assert.equal(international.size, 2);
  assert.equal(international.has('0470 12 34 56'), true);
  assert.equal(international.has('+32470123456'), true);
  const e = await throwsKind(() => list.has(32470123456), 'invalid_argument');
  assert.match(e.message, /must be a string/);
});

test('an OptOutList refuses the entries an array refuses, with the same error', async () => {
  const body = withPhone('shopify/orders_create.json', (o) => { o.phone = '+32470123456'; });
  const webhook = await verifier.verify(shopifyHeaders('orders/create', body, SECRET), body);
  const entries = [[33612345678], ['+32470123456', null], [undefined], [{ phone: '+32470123456' }], [['+32470123456']], [true]];
  const notArrays = [new Set(['+32470123456']), '+32470123456', { 0: '+32470123456', length: 1 }];
  for (const numbers of [...entries, ...notArrays]) {
    const inArray = await throwsKind(() => shops.configured.plan(webhook, { now: NOW, optedOut: numbers }), 'invalid_argument');
    const inList = await throwsKind(() => shops.configured.optOutList(numbers), 'invalid_argument');
    assert.ok(inList.message.startsWith('shop.optOutList(numbers)'), inList.message);
    if (entries.includes(numbers)) {
      // Word for word, but for the argument's name.
      assert.equal(inList.message.replace('shop.optOutList(numbers)', 'options.optedOut'), inArray.message);
      assert.doesNotMatch(inList.message, /612345678/); // a customer's number, masked
    } else {
      assert.match(inList.message, /must be an array of phone numbers.*\[\.\.\.set\]/);
    }
  }
  // The plan's own error for something that is neither names both accepted forms.
  const e = await throwsKind(() => shops.configured.plan(webhook, { now: NOW, optedOut: {} }), 'invalid_argument');
  assert.match(e.message, /options\.optedOut must be an array of phone numbers or an OptOutList/);
  // null and undefined are no list, as before.
  const none = shops.configured.plan(webhook, { now: NOW });
  assert.deepEqual(shops.configured.plan(webhook, { now: NOW, optedOut: null }), none);
  assert.deepEqual(shops.configured.plan(webhook, { now: NOW, optedOut: undefined }), none);
});

test('a freed OptOutList, or one read for another country, is refused with the fix', async () => {
  const body = withPhone('shopify/orders_create.json', (o) => { o.phone = '+32470123456'; o.test = false; });
  const webhook = await verifier.verify(shopifyHeaders('orders/create', body, SECRET), body);
  const list = shops.configured.optOutList(['0470 12 34 56']);
  assert.ok(shops.configured.plan(webhook, { now: NOW, optedOut: list }).skipped.some((s) => s.code === 'opted_out'));
  list.free();
  for (let i = 0; i < 2; i++) {
    const e = await throwsKind(() => shops.configured.plan(webhook, { now: NOW, optedOut: list }), 'invalid_argument');
    assert.match(e.message, /options\.optedOut is an OptOutList that was freed.*shop\.optOutList\(numbers\)/);
  }
  // The package still works after it.
  const other = shops.configured.optOutList(['0470 12 34 56']);
  assert.ok(shops.configured.plan(webhook, { now: NOW, optedOut: other }).skipped.some((s) => s.code === 'opted_out'));
  // 0470 12 34 56 is a Belgian number only in a Belgian shop: another country's shop refuses
  // the list rather than read it for the wrong country.
  const french = Shop.fromToml('default_country = "FR"');
  for (const [shop, theirs] of [[shops.default, /and this shop has no default_country/], [french, /and this shop has default_country FR/]]) {
    const e = await throwsKind(() => shop.plan(webhook, { now: NOW, optedOut: other }), 'invalid_argument');
    assert.match(e.message, /read for a shop with default_country BE/);
    assert.match(e.message, theirs);
  }
  const belgian = Shop.fromToml('default_country = "be"');
  assert.ok(belgian.plan(webhook, { now: NOW, optedOut: other }).skipped.some((s) => s.code === 'opted_out'));
  other.free();
});
