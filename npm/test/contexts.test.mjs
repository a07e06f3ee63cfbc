// Keeping order contexts between webhooks, as a Node server does: keyed by the webhook's
// `orderId`, which must be exact (Shopify's ids pass 2^53, where a JavaScript number rounds).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ordersms, readFixture, shopifyHeaders, wooHeaders } from './helpers.mjs';

const { Shop, verifyWebhookSync } = ordersms;
const SECRET = 'whsec_contexts';
const NOW = Date.parse('2026-03-20T12:00:00Z') / 1000;
const shop = Shop.fromToml('default_country = "BE"\nskip_test_orders = false\n[events.refunded]\ncustomer = true\n');

// Two orders one apart past 2^53: `JSON.parse` reads both ids as the same number.
const A = '7000000000000000001';
const B = '7000000000000000002';

function shopify(topic, fixture, edit) {
  // The fixture's ids went through JavaScript numbers; write ours as the exact digits.
  const order = JSON.parse(readFixture(fixture).toString('utf8').replace(/: 820982911946154500\b/g, ': "__ID__"'));
  edit?.(order);
  return { topic, body: Buffer.from(JSON.stringify(order).replace(/"__ID__"/g, order.__id ?? '"__ID__"')) };
}

function order(id, phone, locale) {
  return shopify('orders/create', 'shopify/orders_create.json', (o) => {
    Object.assign(o, { phone, customer_locale: locale, test: false, financial_status: 'paid', cancelled_at: null });
    Object.defineProperty(o, '__id', { value: id });
  });
}

function verified({ topic, body }) {
  return verifyWebhookSync(SECRET, shopifyHeaders(topic, body, SECRET), body);
}

test('orderId is the exact order id, as decimal digits, on every topic that names an order', () => {
  assert.equal(JSON.parse(`[${A}]`)[0], JSON.parse(`[${B}]`)[0], 'the two ids collide as JavaScript numbers');
  assert.equal(verified(order(A, '+32470111111', 'fr')).orderId, A);
  const refund = readFixture('shopify/refunds_create.json').toString('utf8').replaceAll('820982911946154500', B);
  assert.equal(verified({ topic: 'refunds/create', body: refund }).orderId, B);
  const fulfillment = readFixture('shopify/fulfillments_create.json').toString('utf8').replaceAll('820982911946154500', A);
  assert.equal(verified({ topic: 'fulfillments/create', body: fulfillment }).orderId, A);
  const woo = readFixture('woocommerce/order_create_response_v3.json');
  assert.equal(verifyWebhookSync(SECRET, wooHeaders('order.created', woo, SECRET), woo).orderId, '727');
  // Nothing to key: the creation ping, a body that is not an order (plan throws why).
  const ping = verifyWebhookSync(SECRET, { 'x-wc-webhook-source': 'https://shop.example/' }, 'webhook_id=3');
  assert.equal(ping.orderId, undefined);
  assert.equal(verified({ topic: 'orders/paid', body: '{"id": ' }).orderId, undefined);
});

test('contexts kept by orderId follow their own order: a refund of A reaches A\'s customer in A\'s language', () => {
  const contexts = new Map();
  const handle = (delivery) => {
    const webhook = verified(delivery);
    const plan = shop.plan(webhook, { context: contexts.get(webhook.orderId), now: NOW });
    if (plan.store) contexts.set(webhook.orderId, JSON.stringify(plan.store));
    return plan;
  };
  handle(order(A, '+32470111111', 'fr'));
  handle(order(B, '+32470222222', 'de'));
  assert.equal(contexts.size, 2);
  // Shopify's refunds/create names only the order: phone and language come from the context.
  const refund = readFixture('shopify/refunds_create.json').toString('utf8').replaceAll('820982911946154500', A);
  const plan = handle({ topic: 'refunds/create', body: refund });
  assert.deepEqual(plan.skipped.filter((s) => s.recipient === 'customer'), []);
  const [message] = plan.messages.filter((m) => m.recipient === 'customer');
  assert.equal(message.to, '+32470111111');
  assert.match(message.template, /^fr\//);
  assert.equal(JSON.parse(contexts.get(A)).order_id, A);
});
