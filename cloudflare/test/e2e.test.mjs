// End-to-end: the real Worker (built by scripts/worker-build) in workerd via `wrangler dev`,
// against the SMSMobileAPI sandbox (`ordersms sandbox`), on loopback only. Run by scripts/e2e.
//
// Every wait is a poll with a deadline; assertions are about what the sandbox recorded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { childProcesses, freePort, sleep, until } from './harness.mjs';

const cf = path.resolve(import.meta.dirname, '..');
const root = path.resolve(cf, '..');
const ordersms = process.env.ORDERSMS_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(root, 'target'), 'debug', 'ordersms');
const SECRETS = {
  SMSMOBILEAPI_KEY: 'sandbox-key',
  SHOPIFY_WEBHOOK_SECRET: 'e2e-shopify-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'e2e-woo-secret',
  SMSMOBILEAPI_WEBHOOK_SECRET: 'e2e-sms-secret',
  ADMIN_TOKEN: 'e2e-admin-token',
};
// The shop configuration of the suite: built into its Worker from cloudflare/test/shop.toml
// (which says the same), given as the SHOP_CONFIG var to the other Workers it starts.
const CONFIG = {
  shop_name: 'E2E Shop',
  default_country: 'FR',
  merchant: { phone: '+33600000001', language: 'en' },
};
const SHOP = 'e2e-shop.myshopify.com';

let tmp;
let worker; // base URL
let sandbox; // base URL

const processes = childProcesses(() => tmp);
const startChild = processes.start;

/** Starts `wrangler dev` on `port` with these vars; resolves once it answers /healthz. */
async function startWorker(port, vars, name = 'wrangler') {
  const inspectorPort = await freePort();
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspectorPort), '--persist-to', path.join(tmp, `state-${name}`),
    '--log-level', 'log', '--test-scheduled'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const bin = path.join(cf, 'node_modules', '.bin');
  startChild(name, path.join(bin, 'wrangler'), args, {
    cwd: cf,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      WRANGLER_SEND_METRICS: 'false',
      ORDERSMS_WORKER_PREBUILT: '1',
      CI: 'true',
    },
  });
  const base = `http://127.0.0.1:${port}`;
  await until(`${name} answering /healthz`, async () => (await fetch(`${base}/healthz`)).status > 0, 90000);
  return base;
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ordersms-e2e-'));
  const workerPort = await freePort();

  const sb = startChild('sandbox', ordersms, [
    'sandbox', '--port', '0', '--seed', '7',
    '--webhook-url', `http://127.0.0.1:${workerPort}/webhooks/smsmobileapi`,
    '--webhook-secret', SECRETS.SMSMOBILEAPI_WEBHOOK_SECRET,
  ], { env: { ...process.env, SMSMOBILEAPI_KEY: SECRETS.SMSMOBILEAPI_KEY } });
  const sandboxPort = await until('the sandbox start line', async () => {
    const m = fs.readFileSync(sb.logFile, 'utf8').match(/http:\/\/127\.0\.0\.1:(\d+)/);
    return m && Number(m[1]);
  }, 20000);
  sandbox = `http://127.0.0.1:${sandboxPort}`;

  worker = await startWorker(workerPort, {
    ...SECRETS,
    SMSMOBILEAPI_URL: sandbox,
    RETRY_BASE_SECONDS: '1',
    RETRY_MAX_SECONDS: '3',
    SEND_TIMEOUT_SECONDS: '5',
    RATE_LIMIT_PER_HOUR: '5',
    RESEND_MAX: '2',
    // Mid-rotation: the shop may still sign with the old secret.
    SHOPIFY_WEBHOOK_SECRET_PREVIOUS: 'e2e-shopify-old-secret',
  });
  const health = await (await fetch(`${worker}/healthz`)).json();
  if (health.config !== 'cloudflare/shop/config.toml') {
    throw new Error(`the Worker's configuration comes from ${health.config}, not the built-in test file: build it with scripts/e2e, or ORDERSMS_SHOP_FILE=cloudflare/test/shop.toml scripts/worker-build`);
  }
});

after(() => {
  processes.stopAll();
  if (process.env.E2E_KEEP_LOGS) console.log(`logs kept in ${tmp}`);
});

// The logs and wrangler's state (≈ 20 MB a run) go when every test passed and nobody asked to
// keep them; a failed run keeps them for its reader (node:test has set the exit code by then).
process.on('exit', (code) => {
  if (!tmp || process.env.E2E_KEEP_LOGS) return;
  if (code === 0 && !process.exitCode) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`logs kept in ${tmp}`);
});

// ---- helpers ----

const fixture = (rel) => JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8'));

let nextId = 7000000001;
/** A Shopify orders/create body for a fresh order to `phone` (French customer). */
function shopifyOrder(phone) {
  const order = fixture('examples/webhooks/shopify_orders_create.json');
  const id = nextId++;
  order.id = id;
  order.name = `#E${id % 100000}`;
  order.order_number = id % 100000;
  order.phone = phone;
  if (order.customer) order.customer.phone = phone;
  if (order.shipping_address) order.shipping_address.phone = phone;
  if (order.billing_address) order.billing_address.phone = phone;
  return order;
}

/** A fresh Shopify order to `phone`, posted, once its confirmation SMS has arrived. */
async function orderTexted(phone) {
  const order = shopifyOrder(phone);
  assert.equal((await postShopify('orders/create', order)).status, 200);
  await until('the order SMS', async () => (await messagesTo(phone)).length === 1);
  return order;
}

function shopifyHeaders(topic, body, { secret = SECRETS.SHOPIFY_WEBHOOK_SECRET, eventId = crypto.randomUUID() } = {}) {
  return {
    'Content-Type': 'application/json',
    'X-Shopify-Topic': topic,
    'X-Shopify-Shop-Domain': SHOP,
    'X-Shopify-Hmac-Sha256': crypto.createHmac('sha256', secret).update(body).digest('base64'),
    'X-Shopify-Event-Id': eventId,
    'X-Shopify-Webhook-Id': crypto.randomUUID(),
    'X-Shopify-Api-Version': '2026-04',
  };
}

async function postShopify(topic, payload, opts = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const res = await fetch(`${opts.base ?? worker}/webhooks/shopify`, { method: 'POST', headers: shopifyHeaders(topic, body, opts), body });
  return { status: res.status, body: await res.text() };
}

async function sandboxMessages() {
  const res = await fetch(`${sandbox}/_sandbox/messages`);
  const json = await res.json();
  return json.messages ?? json.result?.messages ?? [];
}

const digits = (p) => String(p).replace(/\D/g, '');
async function messagesTo(phone) {
  return (await sandboxMessages()).filter((m) => digits(m.recipients) === digits(phone));
}

async function setFaults(faults) {
  const res = await fetch(`${sandbox}/_sandbox/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(faults) });
  assert.equal(res.status, 200, await res.text());
}

async function adminMessages(base = worker) {
  const res = await fetch(`${base}/admin/messages?limit=500`, { headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } });
  assert.equal(res.status, 200);
  return (await res.json()).messages;
}

/** What `ordersms plan` says the first message for this webhook is. */
function plannedText(topic, payload) {
  const cfgFile = path.join(tmp, 'shop.json');
  const bodyFile = path.join(tmp, `body-${crypto.randomUUID()}.json`);
  fs.writeFileSync(cfgFile, JSON.stringify(CONFIG));
  fs.writeFileSync(bodyFile, JSON.stringify(payload));
  const out = execFileSync(ordersms, ['plan', '--platform', 'shopify', '--topic', topic, '--config', cfgFile, bodyFile]);
  return JSON.parse(out).messages[0]?.text;
}

const phoneFor = (n) => `+3361200${String(n).padStart(4, '0')}`;

// ---- the suite ----

test('healthz is public and admin needs the token', async () => {
  assert.equal((await fetch(`${worker}/healthz`)).status, 200);
  assert.equal((await fetch(`${worker}/admin/messages`)).status, 401);
  const wrong = await fetch(`${worker}/admin/messages`, { headers: { Authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  const auth = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
  for (const limit of ['abc', '0', '501', '-1', '']) {
    const bad = await fetch(`${worker}/admin/messages?limit=${limit}`, { headers: auth });
    assert.equal(bad.status, 400, `limit=${limit}`);
    assert.match(await bad.text(), /limit must be a whole number from 1 to 500/);
  }
  assert.equal((await fetch(`${worker}/admin/messages?limit=500`, { headers: auth })).status, 200);
});

test('wrong methods get 405, and /healthz answers HEAD as uptime monitors send it', async () => {
  const head = await fetch(`${worker}/healthz`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  for (const path of ['/webhooks/smsmobileapi', `/webhooks/smsmobileapi/${SECRETS.SMSMOBILEAPI_WEBHOOK_SECRET}`, '/webhooks/shopify', '/admin/messages']) {
    const res = await fetch(`${worker}${path}`, { method: path.startsWith('/admin') ? 'POST' : 'GET' });
    assert.equal(res.status, 405, `${path}: ${await res.text()}`);
    assert.equal(res.headers.get('allow'), path.startsWith('/admin') ? 'GET' : 'POST', path);
  }
  const put = await fetch(`${worker}/healthz`, { method: 'PUT' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'GET, HEAD');
  assert.equal((await fetch(`${worker}/webhooks/nope`, { method: 'POST' })).status, 404);
});

test('an order placed sends the planned SMS to the customer, once', async () => {
  const phone = phoneFor(1);
  const order = shopifyOrder(phone);
  const res = await postShopify('orders/create', order);
  assert.equal(res.status, 200, res.body);
  // Answered once the inbox queue holds it; planning happens after the answer.
  assert.equal(JSON.parse(res.body).queued, true, res.body);
  const sent = await until('the SMS at the sandbox', async () => {
    const m = await messagesTo(phone);
    return m.length > 0 && m;
  });
  assert.equal(sent.length, 1);
  assert.equal(sent[0].message, plannedText('orders/create', order));
  assert.match(sent[0].message, new RegExp(order.name));
});

test('an order too large for a queue message is planned by the Ledger before the answer', async () => {
  const phone = phoneFor(20);
  const order = shopifyOrder(phone);
  // A big order: 300 line items (~100 KB), more than one queue message may hold.
  const item = order.line_items[0];
  order.line_items = Array.from({ length: 300 }, (_, i) => ({ ...item, id: item.id + i, title: `${item.title} ${i}` }));
  const body = JSON.stringify(order);
  assert.ok(body.length > 64 * 1024, `body is ${body.length} bytes`);
  const res = await postShopify('orders/create', body);
  assert.equal(res.status, 200, res.body);
  const answer = JSON.parse(res.body);
  assert.equal(answer.queued, undefined, res.body);
  assert.equal(answer.planned, 1, res.body);
  await until('the SMS at the sandbox', async () => (await messagesTo(phone)).length === 1);
  assert.equal((await messagesTo(phone))[0].message, plannedText('orders/create', order));
});

test('the same webhook delivered 5 times sends one SMS', async () => {
  const phone = phoneFor(2);
  const order = shopifyOrder(phone);
  const body = JSON.stringify(order);
  const eventId = crypto.randomUUID();
  for (let i = 0; i < 5; i++) {
    const res = await postShopify('orders/create', body, { eventId });
    assert.equal(res.status, 200, res.body);
  }
  // Shopify retries keep the event id; a second topic for the same fact would not, so also
  // send the same body under new event ids: the message dedupe key is the final guard.
  for (let i = 0; i < 2; i++) assert.equal((await postShopify('orders/create', body)).status, 200);
  await until('the SMS at the sandbox', async () => (await messagesTo(phone)).length > 0);
  await until('the ledger to settle', async () => {
    const rows = (await adminMessages()).filter((r) => r.to.endsWith(phone.slice(-2)) && r.state !== 'sent');
    return rows.length === 0;
  });
  assert.equal((await messagesTo(phone)).length, 1);
  // The admin list names the order each message was about (from its stored context).
  const listed = (await adminMessages()).filter((r) => r.order === order.name);
  assert.equal(listed.length, 1, JSON.stringify(listed));
  assert.equal(listed[0].event, 'placed');
  assert.equal(listed[0].state, 'sent');
});

test('a forged signature gets 401 and sends nothing', async () => {
  const phone = phoneFor(3);
  const res = await postShopify('orders/create', shopifyOrder(phone), { secret: 'not-the-secret' });
  assert.equal(res.status, 401);
  const unsigned = await fetch(`${worker}/webhooks/shopify`, { method: 'POST', headers: { 'X-Shopify-Topic': 'orders/create' }, body: '{}' });
  assert.equal(unsigned.status, 401);
  // A signed order sent afterwards arrives: the forged one, sent before it, never will.
  const control = phoneFor(4);
  assert.equal((await postShopify('orders/create', shopifyOrder(control))).status, 200);
  await until('the control SMS', async () => (await messagesTo(control)).length === 1);
  assert.equal((await messagesTo(phone)).length, 0);
});

test('while a secret is rotated, a webhook signed with the previous one is taken, and said so', async () => {
  const phone = phoneFor(24);
  const order = shopifyOrder(phone);
  const res = await postShopify('orders/create', order, { secret: 'e2e-shopify-old-secret' });
  assert.equal(res.status, 200, res.body);
  const sent = await until('the SMS at the sandbox', async () => {
    const m = await messagesTo(phone);
    return m.length > 0 && m;
  });
  assert.equal(sent.length, 1);
  assert.equal(sent[0].message, plannedText('orders/create', order));
  const logged = fs.readFileSync(path.join(tmp, 'wrangler.log'), 'utf8');
  assert.match(logged, /webhook\.previous_secret.*SHOPIFY_WEBHOOK_SECRET_PREVIOUS/);
  assert.ok(!logged.includes('e2e-shopify-old-secret'), 'the secret itself is not logged');
});

test('oversized bodies get 413', async () => {
  const big = 'x'.repeat(1024 * 1024 + 10);
  const res = await fetch(`${worker}/webhooks/shopify`, { method: 'POST', headers: shopifyHeaders('orders/create', big), body: big });
  assert.equal(res.status, 413);
});

// A body sent in chunks without a Content-Length, as a stream: Node's fetch then uses
// Transfer-Encoding: chunked.
function chunked(text, chunkSize) {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + chunkSize));
      at += chunkSize;
    },
  });
}

// Streams up to `limit` bytes of 'x' as a chunked request (no Content-Length), a 64 KB chunk
// every few ms, until the server answers. Resolves with the status and answer, or with `reset`
// when the server closed the connection while a chunk was on its way (a server that stops
// reading may reset rather than linger), and with how many bytes were written by then.
// node:http rather than fetch: fetch fails the whole request in that case.
function endlessUpload(url, headers, limit) {
  return new Promise((resolve, reject) => {
    let written = 0;
    let done = false;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const req = http.request(url, { method: 'POST', headers });
    req.on('response', (res) => {
      done = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => { req.destroy(); resolve({ status: res.statusCode, text, written }); });
    });
    req.on('error', (e) => {
      if (done) return;
      done = true;
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resolve({ reset: e.code, written });
      else reject(e);
    });
    const pump = () => {
      if (done) return;
      if (written >= limit) return req.end();
      written += chunk.length;
      req.write(chunk, () => setTimeout(pump, 2));
    };
    pump();
  });
}

test('a chunked body without Content-Length is refused with 413 once it passes the cap, and read whole below it', async () => {
  // An upload that would go on for 256 MB: the Worker must stop it once the cap (1 MB) is
  // passed, long before the end. Reading it all first, as `bytes()` does, would fail here.
  const limit = 256 * 1024 * 1024;
  const logFile = path.join(tmp, 'wrangler.log');
  const logBefore = fs.statSync(logFile).size;
  const refused = await endlessUpload(`${worker}/webhooks/shopify`, shopifyHeaders('orders/create', ''), limit);
  assert.ok(refused.written < 8 * 1024 * 1024, `the Worker stopped the upload only after ${refused.written} bytes`);
  // `wrangler dev`'s proxy, in front of the Worker, may lose the connection while it still
  // streams the upload the Worker has answered, and answer 500 itself ("Network connection
  // lost" in its log): the Worker's own answer is then the one wrangler logged for it.
  const logged = () => fs.readFileSync(logFile).subarray(logBefore).toString('utf8');
  if (refused.status === 500) {
    await until("wrangler's log of its proxy's lost connection and of the Worker's 413", async () =>
      /ProxyWorker.*Network connection lost/.test(logged())
      && /POST \/webhooks\/shopify 413 Payload Too Large/.test(logged()));
  } else if (!refused.reset) {
    assert.equal(refused.status, 413);
    assert.match(refused.text, /body larger than/);
  }

  const phone = phoneFor(21);
  const body = JSON.stringify(shopifyOrder(phone));
  const accepted = await fetch(`${worker}/webhooks/shopify`, {
    method: 'POST', headers: shopifyHeaders('orders/create', body), body: chunked(body, 1024), duplex: 'half',
  });
  assert.equal(accepted.status, 200, await accepted.text());
  await until('the SMS of the chunked order', async () => (await messagesTo(phone)).length === 1);
});

test('a signed order with a stray non-UTF-8 byte in a field ordersms does not read is still sent', async () => {
  // E.g. a Latin-1 "é" that some app wrote into the order's landing_site: the core reads the
  // order fine, so the order must not be refused for a byte it never looks at.
  const phone = phoneFor(22);
  const order = shopifyOrder(phone);
  order.landing_site = '/caf__E9__';
  const text = JSON.stringify(order);
  const at = text.indexOf('__E9__');
  const body = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xe9]), Buffer.from(text.slice(at + 6))]);
  const res = await fetch(`${worker}/webhooks/shopify`, { method: 'POST', headers: shopifyHeaders('orders/create', body), body });
  assert.equal(res.status, 200, await res.text());
  await until('the SMS of the order', async () => (await messagesTo(phone)).length === 1);
  assert.equal((await messagesTo(phone))[0].message, plannedText('orders/create', order));
});

test('WooCommerce creation ping gets 200', async () => {
  const res = await fetch(`${worker}/webhooks/woocommerce`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=12' });
  assert.equal(res.status, 200);
});

test('a refund after the order reaches the customer in their language', async () => {
  const phone = phoneFor(5);
  const order = await orderTexted(phone);
  const refund = fixture('crates/ordersms-core/fixtures/shopify/refunds_create.json');
  refund.order_id = order.id;
  refund.id = nextId++;
  assert.equal((await postShopify('refunds/create', refund)).status, 200);
  const both = await until('the refund SMS', async () => {
    const m = await messagesTo(phone);
    return m.length === 2 && m;
  });
  const text = both.map((m) => m.message).find((t) => /rembours/i.test(t));
  assert.ok(text, `no French refund text in ${JSON.stringify(both.map((m) => m.message))}`);
  assert.match(text, new RegExp(order.name));
});

test('Shopify: a tracking number corrected after the shipped text goes out once, with the new number', async () => {
  const phone = phoneFor(30);
  const order = await orderTexted(phone);
  const fulfillment = fixture('crates/ordersms-core/fixtures/shopify/fulfillments_create.json');
  fulfillment.id = nextId++;
  fulfillment.order_id = order.id;
  fulfillment.status = 'success';
  fulfillment.destination.phone = null; // the customer's number comes from the stored order
  assert.equal((await postShopify('fulfillments/create', fulfillment)).status, 200);
  await until('the shipped SMS', async () => (await messagesTo(phone)).length === 2);
  const number = '1Z999AA10123456784';
  const url = `https://www.ups.com/track?tracknum=${number}`;
  const corrected = { ...fulfillment, tracking_number: number, tracking_numbers: [number], tracking_url: url, tracking_urls: [url] };
  assert.equal((await postShopify('fulfillments/update', corrected)).status, 200);
  const all = await until('the corrected number', async () => {
    const m = await messagesTo(phone);
    return m.length === 3 && m;
  });
  assert.ok(all.some((m) => m.message.includes(number)), JSON.stringify(all.map((m) => m.message)));
  // The same update again (a re-save, the carrier's progress): the shipment, told already.
  assert.equal((await postShopify('fulfillments/update', corrected)).status, 200);
  await sleep(2000); // the inbox consumer's batch
  await until('the ledger to settle', async () => (await adminRowsFor(phone)).every((r) => r.state === 'sent'));
  assert.equal((await messagesTo(phone)).length, 3);
});

test('with 35% of API calls failing (500/429, some after recording), every SMS goes out exactly once', async () => {
  await setFaults({ fail_rate_500: 0.15, fail_rate_429: 0.1, ambiguous_rate: 0.1 });
  // Masked phones show their last two digits: keep them distinct from the other tests'.
  const phones = Array.from({ length: 8 }, (_, i) => phoneFor(150 + i));
  try {
    for (const phone of phones) {
      const res = await postShopify('orders/create', shopifyOrder(phone));
      assert.equal(res.status, 200, res.body);
    }
    await until('every message final in the ledger', async () => {
      const rows = (await adminMessages()).filter((r) => phones.some((p) => r.to.endsWith(p.slice(-2)) && r.to.startsWith(p.slice(0, 3))));
      const open = (await Promise.all(phones.map(messagesTo))).some((m) => m.length === 0);
      return !open && rows.every((r) => ['sent', 'failed', 'dead'].includes(r.state)) && rows;
    }, 120000);
  } finally {
    await setFaults({ fail_rate_500: 0, fail_rate_429: 0, ambiguous_rate: 0 });
  }
  for (const phone of phones) {
    assert.equal((await messagesTo(phone)).length, 1, `exactly one SMS to ${phone.slice(0, 4)}…`);
  }
});

/** Posts a V2 reply webhook event to the Worker, signed with its secret (or `signature`). */
function postSignedReply(event, { signature } = {}) {
  const body = JSON.stringify(event);
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = crypto.createHmac('sha256', SECRETS.SMSMOBILEAPI_WEBHOOK_SECRET).update(`${ts}.${body}`).digest('hex');
  return fetch(`${worker}/webhooks/smsmobileapi`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json', 'X-SMSMobileAPI-Event': event.type,
      'X-SMSMobileAPI-Event-ID': event.id, 'X-SMSMobileAPI-Timestamp': ts,
      'X-SMSMobileAPI-Signature': signature ?? `v1=${sig}`, 'Idempotency-Key': event.id,
    },
  });
}

test('STOP opts the customer out: no further SMS', async () => {
  const phone = phoneFor(6);
  assert.equal((await postShopify('orders/create', shopifyOrder(phone))).status, 200);
  await until('the first SMS', async () => (await messagesTo(phone)).length === 1);

  // A signed V2 webhook, as SMSMobileAPI sends it.
  const event = {
    id: `evt_${crypto.randomUUID()}`, type: 'sms.received', api_version: '2',
    created_at: new Date().toISOString(), occurred_at: new Date().toISOString(),
    data: { guid: crypto.randomUUID(), from: phone, message: 'Arrêt', received_at: new Date().toISOString() },
  };
  const forged = await postSignedReply(event, { signature: 'v1=00' });
  assert.equal(forged.status, 401);
  const res = await postSignedReply(event);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).action, 'opted_out');

  const second = await postShopify('orders/create', shopifyOrder(phone));
  assert.equal(second.status, 200);
  // A control order to another phone goes out; the inbox queue hands webhooks to the Ledger
  // in order, so by then the opted-out one would have gone out too.
  const control = phoneFor(7);
  assert.equal((await postShopify('orders/create', shopifyOrder(control))).status, 200);
  await until('the control SMS', async () => (await messagesTo(control)).length === 1);
  assert.equal((await messagesTo(phone)).length, 1);
});


test('a STOP sent over WhatsApp by a customer abroad, whose number comes without "+", opts them out', async () => {
  // A Belgian customer of a French shop (default_country FR). WhatsApp gives the sender as
  // digits with the country code and no "+": read as a French number it has the wrong
  // length, and was kept as written, so the opt-out never matched the +32 number texted.
  const phone = '+32470123499';
  assert.equal((await postShopify('orders/create', shopifyOrder(phone))).status, 200);
  await until('the first SMS', async () => (await messagesTo(phone)).length === 1);
  const event = {
    id: `evt_${crypto.randomUUID()}`, type: 'whatsapp.received', api_version: '2',
    created_at: new Date().toISOString(), occurred_at: new Date().toISOString(),
    data: { guid: crypto.randomUUID(), from: phone.slice(1), message: 'STOP', received_at: new Date().toISOString() },
  };
  const res = await postSignedReply(event);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).action, 'opted_out');
  assert.equal((await postShopify('orders/create', shopifyOrder(phone))).status, 200);
  const control = phoneFor(25);
  assert.equal((await postShopify('orders/create', shopifyOrder(control))).status, 200);
  await until('the control SMS', async () => (await messagesTo(control)).length === 1);
  await sleep(2000);
  assert.equal((await messagesTo(phone)).length, 1, 'texted after STOP');
});

test('a signed reply webhook that is not the V2 format gets 400 with the reason, not 401', async () => {
  // Correctly signed, but `data.from` is missing: the secret is right, the body is not.
  const event = {
    id: `evt_${crypto.randomUUID()}`, type: 'sms.received', api_version: '2',
    created_at: new Date().toISOString(), occurred_at: new Date().toISOString(),
    data: { guid: crypto.randomUUID(), message: 'STOP', received_at: new Date().toISOString() },
  };
  const res = await postSignedReply(event);
  const text = await res.text();
  assert.equal(res.status, 400, text);
  assert.match(text, /data\.from/);
});

/** A reply from `number` as SMSMobileAPI's legacy (unsigned) webhook writes it. */
const legacyReply = (number, message) => JSON.stringify({ date: '2026-01-20', hour: '10:15:00', time_received: '2026-01-20 10:14:50', message, number, guid: crypto.randomUUID() });

/** Posts a legacy reply to the route with the secret as URL token. */
const postLegacyReply = (number, message, base = worker) =>
  fetch(`${base}/webhooks/smsmobileapi/${SECRETS.SMSMOBILEAPI_WEBHOOK_SECRET}`, { method: 'POST', body: legacyReply(number, message) });

test('a customer question is forwarded to the merchant (legacy webhook with URL token)', async () => {
  const phone = phoneFor(8);
  assert.equal((await postShopify('orders/create', shopifyOrder(phone))).status, 200);
  const denied = await fetch(`${worker}/webhooks/smsmobileapi`, { method: 'POST', body: legacyReply(phone, 'Where is my parcel?') });
  assert.equal(denied.status, 401);
  const res = await postLegacyReply(phone, 'Where is my parcel?');
  assert.equal(res.status, 200);
  assert.equal((await res.json()).action, 'forwarded');
  const fwd = await until('the forwarded reply at the merchant', async () => {
    const m = (await messagesTo(CONFIG.merchant.phone)).filter((x) => x.message.includes('Where is my parcel?'));
    return m.length > 0 && m;
  });
  assert.equal(fwd.length, 1);
});

/** `POST /admin/customers/erase` with this body (a string is sent as is). */
async function erase(body, token = SECRETS.ADMIN_TOKEN, base = worker) {
  const res = await fetch(`${base}/admin/customers/erase`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** A legacy reply (URL token) from `phone`, forwarded to the merchant; resolves to its text there. */
async function askTheMerchant(phone, question) {
  const res = await postLegacyReply(phone, question);
  assert.equal(res.status, 200);
  return until(`"${question}" at the merchant`, async () => {
    const [m] = (await messagesTo(CONFIG.merchant.phone)).filter((x) => x.message.includes(question));
    return m && m.message;
  });
}

test('a forwarded reply names the customer of their last order, as the merchant/reply template says', async () => {
  const phone = phoneFor(28);
  const order = await orderTexted(phone); // Camille Durand
  const text = await askTheMerchant(phone, 'Could you leave it with the neighbour?');
  assert.equal(text, `Reply from Camille Durand (${phone}), last order ${order.name}: Could you leave it with the neighbour?`);
});

test('an erasure request forgets the customer: their texts, forwarded replies and orders; with opt_out they are never texted again', async () => {
  const phone = phoneFor(26);
  const order = await orderTexted(phone);
  const asked = await askTheMerchant(phone, 'Erase test: where is it?');
  assert.match(asked, new RegExp(`last order ${order.name}`), 'before: the reply names the order');
  const before = await adminMessages();
  assert.equal((await adminRowsFor(phone)).length, 1);

  assert.equal((await erase({ phone: phoneFor(99) }, 'wrong-token')).status, 401);
  for (const junk of ['not json', { phone: 'hello' }, { phone, opt_out: 'yes' }, { phone, name: 'x' }]) {
    const res = await erase(junk);
    assert.equal(res.status, 400, `${JSON.stringify(junk)}: ${res.text}`);
  }
  const res = await erase({ phone: ' 06 12 00 00 26 ' }); // national, as a merchant types it
  assert.equal(res.status, 200, res.text);
  const answer = JSON.parse(res.text);
  assert.deepEqual(answer.erased, { messages: 2, orders: 1 });
  assert.equal(answer.opted_out, false);
  assert.ok(!res.text.includes(phone), 'the number is masked in the answer');

  // Exactly the customer's text and their forwarded reply are gone, nothing else.
  const after = new Set((await adminMessages()).map((r) => r.key));
  const gone = before.filter((r) => !after.has(r.key));
  assert.equal(gone.length, 2, JSON.stringify(gone));
  assert.deepEqual(gone.map((r) => r.audience).sort(), ['customer', 'merchant']);
  assert.equal((await adminRowsFor(phone)).length, 0);
  // Which order their replies are about is forgotten too.
  const again = await askTheMerchant(phone, 'Erase test: hello again');
  assert.doesNotMatch(again, /last order/);

  // Forgotten and opted out: a later order for them is not texted.
  const optOut = await erase({ phone, opt_out: true });
  assert.equal(optOut.status, 200, optOut.text);
  assert.equal(JSON.parse(optOut.text).opted_out, true);
  assert.equal((await postShopify('orders/create', shopifyOrder(phone))).status, 200);
  // The inbox hands webhooks to the Ledger in order: once a control order's text is out,
  // the opted-out one would have been planned too.
  const control = phoneFor(27);
  assert.equal((await postShopify('orders/create', shopifyOrder(control))).status, 200);
  await until('the control SMS', async () => (await messagesTo(control)).length === 1);
  assert.equal((await adminRowsFor(phone)).length, 0, 'planned nothing for them');
  assert.equal((await messagesTo(phone)).length, 1, 'only the text from before the erasure');
});

test('an erasure forgets the merchant\'s alerts about the customer\'s messages too', async () => {
  // A wrong API key fails the customer's text for good, and the merchant gets an alert
  // (keyed alert:<key>, no order key) naming the order and the number, masked.
  const refused = await startWorker(await freePort(), {
    ...SECRETS,
    SMSMOBILEAPI_KEY: 'not-the-sandbox-key',
    SMSMOBILEAPI_URL: sandbox,
    SHOP_CONFIG: JSON.stringify(CONFIG),
  }, 'wrangler-refused');
  const phone = phoneFor(29);
  assert.equal((await postShopify('orders/create', shopifyOrder(phone), { base: refused })).status, 200);
  const failed = await until('the customer text failed', async () => {
    const [row] = await adminRowsFor(phone, refused);
    return row && row.state === 'failed' && row;
  }, 60000);
  const alertKey = `alert:${failed.key}`;
  await until('the alert in the ledger', async () => (await adminMessages(refused)).some((r) => r.key === alertKey));

  const res = await erase({ phone }, SECRETS.ADMIN_TOKEN, refused);
  assert.equal(res.status, 200, res.text);
  const left = (await adminMessages(refused)).filter((r) => r.key === failed.key || r.key === alertKey);
  assert.deepEqual(left, [], 'the alert about their text is forgotten with it');
});

test('"Cancel" opts the customer out and still reaches the merchant: it may mean the order', async () => {
  const phone = phoneFor(16);
  await orderTexted(phone);
  const res = await postLegacyReply(phone, 'Cancel');
  assert.equal(res.status, 200);
  assert.equal((await res.json()).action, 'opted_out');
  const fwd = await until('the reply at the merchant', async () => {
    const m = (await messagesTo(CONFIG.merchant.phone)).filter((x) => x.message.includes(phone) && /: Cancel$/.test(x.message));
    return m.length > 0 && m;
  });
  assert.equal(fwd.length, 1);
});

test('per-phone rate limit: at most 5 messages an hour to one number', async () => {
  const phone = phoneFor(9);
  for (let i = 0; i < 7; i++) {
    assert.equal((await postShopify('orders/create', shopifyOrder(phone))).status, 200);
  }
  await until('seven messages settled in the ledger', async () => {
    const rows = (await adminMessages()).filter((r) => r.to.startsWith(phone.slice(0, 3)) && r.to.endsWith(phone.slice(-2)));
    return rows.length === 7 && rows.every((r) => ['sent', 'suppressed'].includes(r.state)) && rows;
  });
  assert.equal((await messagesTo(phone)).length, 5);
  const suppressed = (await adminMessages()).filter((r) => r.to.endsWith(phone.slice(-2)) && r.state === 'suppressed');
  assert.equal(suppressed.length, 2);
  assert.ok(suppressed.every((r) => r.error === 'rate_limited'));
  assert.ok(suppressed.every((r) => !r.to.includes(phone.slice(3, -2))), 'phones are masked');
  // An operator may send a suppressed one again, but within the hour the limit still holds:
  // checked again when it is claimed, it stays suppressed and nothing more is sent.
  const auth = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
  const retried = await fetch(`${worker}/admin/messages/${suppressed[0].key}/retry`, { method: 'POST', headers: auth });
  assert.equal(retried.status, 200, await retried.clone().text());
  const again = await until('the retried message settled', async () => {
    const row = (await adminMessages()).find((r) => r.key === suppressed[0].key);
    return row && row.retried_at && row.state === 'suppressed' && row;
  });
  assert.equal(again.error, 'rate_limited');
  await sleep(1000);
  assert.equal((await messagesTo(phone)).length, 5);
});

const adminRowsFor = async (phone, base = worker) =>
  (await adminMessages(base)).filter((r) => r.to.startsWith(phone.slice(0, 3)) && r.to.endsWith(phone.slice(-2)) && r.audience === 'customer');

/** Orders to `phone` a text the API accepts and the phone then fails to send. */
async function orderThePhoneFailsToSend(phone) {
  await setFaults({ phone_failure_rate: 1 });
  try {
    assert.equal((await postShopify('orders/create', shopifyOrder(phone))).status, 200);
    await until('the phone-side failure at the sandbox', async () => {
      const m = await messagesTo(phone);
      return m.length === 1 && m[0].state !== 'sent' && m[0].phone_error;
    });
  } finally {
    await setFaults({ phone_failure_rate: 0 });
  }
}

test('cron: a message the phone failed to send is resent once, not sent twice', async () => {
  const phone = phoneFor(10);
  await orderThePhoneFailsToSend(phone);
  const res = await fetch(`${worker}/__scheduled?cron=*/10+*+*+*+*`);
  assert.equal(res.status, 200);
  const [m] = await until('the resend at the sandbox', async () => {
    const m = await messagesTo(phone);
    return m.length === 1 && m[0].state === 'sent' && m;
  });
  assert.equal(m.resend_count, 1);
  const [row] = await adminRowsFor(phone);
  assert.equal(row.resends, 1);
  assert.equal(row.state, 'sent');
});

test('cron: a resend SMSMobileAPI did not take is not counted, so the message is not given up on unresent', async () => {
  // RESEND_MAX is 2. Three cron runs whose /resend/ calls all fail (500) must leave the
  // message waiting with no resend counted, not failed "after 2 resends" it never had.
  const phone = phoneFor(19);
  const cronRuns = () => fs.readFileSync(path.join(tmp, 'wrangler.log'), 'utf8').split('\n')
    .filter((l) => l.includes('"cron.failures"')).length;
  const runCron = async () => {
    const before = cronRuns();
    assert.equal((await fetch(`${worker}/__scheduled?cron=*/10+*+*+*+*`)).status, 200);
    await until('the cron run to finish', async () => cronRuns() > before);
  };
  await orderThePhoneFailsToSend(phone);
  await setFaults({ resend_failure_rate: 1 });
  try {
    for (let run = 0; run < 3; run++) await runCron();
  } finally {
    await setFaults({ resend_failure_rate: 0 });
  }
  const [waiting] = await adminRowsFor(phone);
  assert.equal(waiting.state, 'sent', JSON.stringify(waiting));
  assert.equal(waiting.resends, 0, JSON.stringify(waiting));
  assert.equal((await messagesTo(phone))[0].resend_count, 0);
  // Once /resend/ works again, the next run resends it, and that one counts.
  await runCron();
  const [m] = await until('the resend at the sandbox', async () => {
    const m = await messagesTo(phone);
    return m.length === 1 && m[0].state === 'sent' && m;
  });
  assert.equal(m.resend_count, 1);
  const [row] = await adminRowsFor(phone);
  assert.equal(row.resends, 1, JSON.stringify(row));
  assert.equal(row.state, 'sent');
});

/** The JSON lines a Worker logged (`name` as given to `startWorker`). */
function logLines(name) {
  return fs.readFileSync(path.join(tmp, `${name}.log`), 'utf8').split('\n')
    // An error line comes wrapped in wrangler's colours: read from the first { to the last }.
    .flatMap((l) => { try { return [JSON.parse(l.slice(l.indexOf('{'), l.lastIndexOf('}') + 1))]; } catch { return []; } });
}

// A Worker whose messages run through their queue retries in seconds, whose cron sweep hands
// back a message quiet for 1 s, and which gives a message up 50 s after it was due (in
// production: retries up to 15 min apart, the sweep after 30 min, give-up after a day).
const GIVE_UP_AFTER_SECONDS = 50;
let patientWorker;
const patient = () => {
  patientWorker ??= (async () => startWorker(await freePort(), {
    ...SECRETS,
    SMSMOBILEAPI_URL: sandbox,
    SHOP_CONFIG: JSON.stringify(CONFIG),
    RETRY_BASE_SECONDS: '1',
    RETRY_MAX_SECONDS: '1',
    SEND_TIMEOUT_SECONDS: '5',
    REQUEUE_AFTER_SECONDS: '1',
    GIVE_UP_AFTER_SECONDS: String(GIVE_UP_AFTER_SECONDS),
    STALLED_AFTER_SECONDS: '5',
  }, 'wrangler-patient'))();
  return patientWorker;
};

/** Runs the Worker's cron (sweep + phone-side failures) at most every 2 s. */
let lastCron = 0;
async function cronNow(base) {
  if (Date.now() - lastCron < 2000) return;
  lastCron = Date.now();
  assert.equal((await fetch(`${base}/__scheduled?cron=*/10+*+*+*+*`)).status, 200);
}

test('a phone offline past the queue retries: the message waits, and goes out once the phone is back', async () => {
  const base = await patient();
  const phone = phoneFor(23);
  const order = shopifyOrder(phone);
  let waiting;
  await setFaults({ offline_rate: 1 });
  try {
    assert.equal((await postShopify('orders/create', order, { base })).status, 200);
    // The 8 queue retries run out while the phone is offline: the message is not dead.
    waiting = await until('the message waiting after its queue retries', async () => {
      const [row] = await adminRowsFor(phone, base);
      return row && logLines('wrangler-patient').some((l) => l.event === 'message.waiting' && l.key === row.key) && row;
    }, 90000);
  } finally {
    await setFaults({ offline_rate: 0 });
  }
  assert.equal(waiting.state, 'retrying', JSON.stringify(waiting));
  assert.match(waiting.error, /offline|not reachable/i, waiting.error);
  // The merchant's SMS alerts would go through the same phone: /healthz tells an uptime
  // monitor instead (503).
  const stuck = await fetch(`${base}/healthz`);
  const report = await stuck.json();
  assert.equal(stuck.status, 503, JSON.stringify(report));
  assert.match(report.problems.join(' '), /1 message has waited over 5 s to go out .*is the sending phone online/);
  assert.ok((await messagesTo(phone)).length >= 8, 'the API refused every queue retry');
  // The phone is back; the cron sweep hands the message to the queue again.
  const sent = await until('the SMS at the sandbox', async () => {
    await cronNow(base);
    const m = (await messagesTo(phone)).filter((x) => x.state === 'sent');
    return m.length > 0 && m;
  }, 60000);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].message, plannedText('orders/create', order));
  const [row] = await adminRowsFor(phone, base);
  assert.equal(row.state, 'sent');
  assert.equal((await fetch(`${base}/healthz`)).status, 200, 'healthy again once it went out');
  const alerts = (await messagesTo(CONFIG.merchant.phone)).filter((x) => x.message.includes(order.name));
  assert.equal(alerts.length, 0, 'no alert for a message that went out');
});

test('a message not sent within GIVE_UP_AFTER_SECONDS is given up on, the merchant alerted, and an operator can send it again', async () => {
  const base = await patient();
  const phone = phoneFor(11);
  await setFaults({ fail_rate_500: 1 });
  let dead;
  try {
    assert.equal((await postShopify('orders/create', shopifyOrder(phone), { base })).status, 200);
    // Every call fails with a 500: the queue retries run out, the message waits, the sweep
    // hands it back, until it is too old.
    dead = await until('the message dead in the ledger', async () => {
      await cronNow(base);
      const rows = await adminRowsFor(phone, base);
      return rows.length === 1 && rows[0].state === 'dead' && rows[0];
    }, 150000);
  } finally {
    await setFaults({ fail_rate_500: 0 });
  }
  assert.ok(dead.updated_at - dead.created_at >= GIVE_UP_AFTER_SECONDS, JSON.stringify(dead));
  const alert = await until('the alert at the merchant', async () => {
    await cronNow(base);
    const m = (await messagesTo(CONFIG.merchant.phone)).filter((x) => /could not be sent/.test(x.message));
    return m.length > 0 && m;
  }, 60000);
  assert.equal(alert.length, 1);
  assert.ok(!alert[0].message.includes(phone), 'the alert masks the customer phone');
  assert.equal((await messagesTo(phone)).length, 0);
  // Why it was given up on is kept: the admin list and the alert say that the first 500
  // may have been a send the API took (the sent log, failing too, could not tell), and name
  // the last error.
  assert.match(dead.error, new RegExp(`not confirmed within ${GIVE_UP_AFTER_SECONDS} s: it may have gone out.*HTTP 500`), dead.error);
  assert.match(alert[0].message, /may have gone out.*HTTP 500/, alert[0].message);
  // The failed text is named in the merchant's language (English here), not by its id.
  assert.match(alert[0].message, /about order #E\d+ \(order received\) could not be sent/, alert[0].message);
  assert.ok(!/\.\.$/.test(alert[0].message), alert[0].message);
  // Every attempt after the first found the sent log unreadable (the same 500s): the logs say
  // so between the first failure and message.dead, phones masked.
  const lines = logLines('wrangler-patient').filter((l) => l.key === dead.key);
  const unreadable = lines.filter((l) => l.event === 'message.retry' && /sent log unreadable/.test(l.reason));
  assert.ok(unreadable.length >= 1, `no retry logged for the unreadable sent log: ${JSON.stringify(lines.map((l) => l.event))}`);
  assert.ok(lines.some((l) => l.event === 'message.waiting'), 'it waited before it was given up on');
  assert.ok(lines.some((l) => l.event === 'message.dead'), 'message.dead is logged');
  assert.ok([...unreadable, ...lines.filter((l) => l.to)].every((l) => l.to && !l.to.includes(phone.slice(3, -2))), 'phones are masked');

  // The admin list finds it among the dead, and the merchant, the phone fixed, sends it
  // again: looked up first (it may have gone out), then sent, once.
  const auth = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
  const deadList = await (await fetch(`${base}/admin/messages?state=dead`, { headers: auth })).json();
  assert.ok(deadList.messages.some((r) => r.key === dead.key), 'listed with state=dead');
  assert.ok(deadList.messages.every((r) => r.state === 'dead'));
  assert.equal((await fetch(`${base}/admin/messages?state=lost`, { headers: auth })).status, 400);
  const retryUrl = `${base}/admin/messages/${dead.key}/retry`;
  assert.equal((await fetch(retryUrl, { method: 'POST' })).status, 401);
  assert.equal((await fetch(`${base}/admin/messages/0123456789abcdef/retry`, { method: 'POST', headers: auth })).status, 404);
  const retried = await fetch(retryUrl, { method: 'POST', headers: auth });
  assert.equal(retried.status, 200, await retried.clone().text());
  assert.deepEqual(await retried.json(), { key: dead.key, state: 'queued' });
  const sent = await until('the SMS sent again at the sandbox', async () => {
    const m = (await messagesTo(phone)).filter((x) => x.state === 'sent');
    return m.length > 0 && m;
  }, 60000);
  assert.equal(sent.length, 1);
  const [row] = await adminRowsFor(phone, base);
  assert.equal(row.state, 'sent');
  assert.ok(row.retried_at >= dead.updated_at, JSON.stringify(row));
  // A sent message is not sent again from here.
  const again = await fetch(retryUrl, { method: 'POST', headers: auth });
  assert.equal(again.status, 409);
  assert.match(await again.text(), /the message is sent/);
  await sleep(2000);
  assert.equal((await messagesTo(phone)).filter((x) => x.state === 'sent').length, 1);
});

test('a broken SHOP_CONFIG: /healthz says why (503), signed Shopify webhooks get 500 with the reason, WooCommerce ones are kept', async () => {
  // The merchant's phone with a digit missing: /healthz is public, so it names the key and
  // the problem without showing the number; signed webhooks get the whole reason.
  const broken = await startWorker(await freePort(), {
    ...SECRETS,
    SMSMOBILEAPI_URL: sandbox,
    SHOP_CONFIG: JSON.stringify({ ...CONFIG, merchant: { phone: '+3361234567' } }),
  }, 'wrangler-broken');
  const health = await fetch(`${broken}/healthz`);
  assert.equal(health.status, 503);
  const report = await health.json();
  assert.equal(report.ok, false);
  const problems = report.problems.join(' ');
  assert.match(problems, /SHOP_CONFIG.*merchant\.phone.*not a usable number/);
  assert.ok(!problems.includes('3361234567'), problems);
  // This Worker has the suite's built-in file too: the var is used, and /healthz says so.
  assert.equal(report.config, 'SHOP_CONFIG var');
  assert.match(problems, /var SHOP_CONFIG is set, so cloudflare\/shop\/config\.toml \(built into the Worker\) is not used/);
  const body = JSON.stringify(shopifyOrder(phoneFor(12)));
  const res = await postShopify('orders/create', body, { base: broken });
  assert.equal(res.status, 500);
  assert.match(res.body, /SHOP_CONFIG is invalid.*merchant\.phone: "\+3361234567"/);
  const forged = await postShopify('orders/create', body, { base: broken, secret: 'x' });
  assert.equal(forged.status, 401, 'unsigned callers learn nothing about the configuration');
  // WooCommerce never re-sends a delivery that failed, and disables the webhook after 5
  // failures in a row: a 5xx would lose the order for good, and every later one with it.
  // The order waits in the inbox queue (which keeps retrying the Ledger) for the fix.
  const order = fixture('examples/webhooks/woocommerce_order_completed.json');
  order.id = nextId++;
  order.billing.phone = phoneFor(17);
  const wooBody = JSON.stringify({ ...order, status: 'processing' });
  const woo = await fetch(`${broken}/webhooks/woocommerce`, {
    method: 'POST',
    body: wooBody,
    headers: {
      'Content-Type': 'application/json',
      'X-WC-Webhook-Topic': 'order.created',
      'X-WC-Webhook-Source': 'https://e2e-woo.example/',
      'X-WC-Webhook-Signature': crypto.createHmac('sha256', SECRETS.WOOCOMMERCE_WEBHOOK_SECRET).update(wooBody).digest('base64'),
      'X-WC-Webhook-Delivery-ID': String(nextId++),
    },
  });
  const wooText = await woo.text();
  assert.equal(woo.status, 200, wooText);
  assert.equal(JSON.parse(wooText).queued, true, wooText);
  assert.match(JSON.parse(wooText).warning, /SHOP_CONFIG is invalid/, wooText);
  // One too large for a queue message goes to the Ledger first, which refuses it: the
  // reason, as to Shopify.
  const bigBody = JSON.stringify({ ...order, id: nextId++, status: 'processing', customer_note: 'x'.repeat(70 * 1024) });
  const big = await fetch(`${broken}/webhooks/woocommerce`, {
    method: 'POST',
    body: bigBody,
    headers: {
      'Content-Type': 'application/json',
      'X-WC-Webhook-Topic': 'order.created',
      'X-WC-Webhook-Source': 'https://e2e-woo.example/',
      'X-WC-Webhook-Signature': crypto.createHmac('sha256', SECRETS.WOOCOMMERCE_WEBHOOK_SECRET).update(bigBody).digest('base64'),
      'X-WC-Webhook-Delivery-ID': String(nextId++),
    },
  });
  assert.equal(big.status, 500);
  assert.match(await big.text(), /SHOP_CONFIG is invalid/);
  await until('the inbox retrying the WooCommerce order', async () =>
    fs.readFileSync(path.join(tmp, 'wrangler-broken.log'), 'utf8').split('\n')
      .some((l) => l.includes('"webhook.ingest_failed"') && l.includes('"woocommerce"') && l.includes('SHOP_CONFIG')), 30000);
  // A customer's STOP is kept meanwhile (nothing in it needs the configuration); a question
  // to forward waits for the fix (5xx: the sender retries).
  const reply = (message, number) => postLegacyReply(number, message, broken);
  const stop = await reply('STOP', phoneFor(14));
  const stopText = await stop.text();
  assert.equal(stop.status, 200, stopText);
  assert.equal(JSON.parse(stopText).action, 'opted_out');
  assert.equal((await reply('Where is my parcel?', phoneFor(14))).status, 503);
});

test('without an SMSMobileAPI credential /healthz says 503 and why: nothing could be sent', async () => {
  const keyless = await startWorker(await freePort(), {
    ...SECRETS,
    SMSMOBILEAPI_KEY: '',
    SMSMOBILEAPI_URL: sandbox,
    SHOP_CONFIG: JSON.stringify(CONFIG),
  }, 'wrangler-keyless');
  const health = await fetch(`${keyless}/healthz`);
  const report = await health.json();
  assert.equal(health.status, 503, JSON.stringify(report));
  assert.equal(report.ok, false);
  assert.match(report.problems.join(' '), /SMSMOBILEAPI_KEY/);
});

test('an SMSMobileAPI URL that redirects: the send fails with where it pointed, nothing follows it', async () => {
  // A proxy or a moved host answering 307 would have the Worker re-send the POST, apikey
  // and all, wherever Location points (a 301/302 turns it into a bodiless GET).
  let redirected = 0;
  const redirector = http.createServer((req, res) => {
    redirected++;
    res.writeHead(307, { Location: `${sandbox}${req.url}` });
    res.end();
  });
  await new Promise((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  try {
    const moved = await startWorker(await freePort(), {
      ...SECRETS,
      SMSMOBILEAPI_URL: `http://127.0.0.1:${redirector.address().port}`,
      SHOP_CONFIG: JSON.stringify(CONFIG),
    }, 'wrangler-redirected');
    const phone = phoneFor(15);
    const res = await postShopify('orders/create', shopifyOrder(phone), { base: moved });
    assert.equal(res.status, 200, res.body);
    const row = await until('the message failed', async () => {
      const rows = await adminRowsFor(phone, moved);
      return rows.length === 1 && rows[0].state === 'failed' && rows[0];
    }, 60000);
    assert.match(row.error, /redirect to http:\/\/127\.0\.0\.1:\d+\/sendsms\//);
    assert.ok(!row.error.includes(SECRETS.SMSMOBILEAPI_KEY), row.error);
    assert.ok(redirected >= 1);
    assert.equal((await messagesTo(phone)).length, 0, 'the redirect was followed');
  } finally {
    redirector.close();
  }
});

test('with OAuth client credentials instead of an API key, the Worker sends with a token it caches', async () => {
  const tokenRequests = async () =>
    (await (await fetch(`${sandbox}/_sandbox/stats`)).json()).requests['/oauth2/token'] ?? 0;
  const before = await tokenRequests();
  const oauth = await startWorker(await freePort(), {
    ...SECRETS,
    SMSMOBILEAPI_KEY: '',
    SMSMOBILEAPI_CLIENT_ID: 'e2e-client',
    // The sandbox takes its API key as the client secret.
    SMSMOBILEAPI_CLIENT_SECRET: SECRETS.SMSMOBILEAPI_KEY,
    SMSMOBILEAPI_URL: sandbox,
    SHOP_CONFIG: JSON.stringify(CONFIG),
  }, 'wrangler-oauth');
  const health = await (await fetch(`${oauth}/healthz`)).json();
  assert.equal(health.ok, true, JSON.stringify(health));
  for (const n of [31, 32, 33]) {
    const phone = phoneFor(n);
    const res = await postShopify('orders/create', shopifyOrder(phone), { base: oauth });
    assert.equal(res.status, 200, res.body);
    await until(`the SMS to ${phone}`, async () => (await messagesTo(phone)).length === 1);
  }
  // One token for the three sends (two if the isolate was replaced), not one per call.
  const tokens = (await tokenRequests()) - before;
  assert.ok(tokens >= 1 && tokens < 3, `${tokens} token requests for 3 sends`);
});

test('a CDN/WAF 403 page in front of the API delays the SMS, it does not lose it as a bad key', async () => {
  // Something in front of api.smsmobileapi.com (a bot rule, a challenge) answers 403 with
  // an HTML page for a while: the API never saw those requests and the key is right.
  const page = '<!DOCTYPE html>\n<html lang="en-US"><head><title>Attention Required! | Cloudflare</title></head>\n'
    + '<body><h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: 8c1f2e3d4a5b6c7d</p></body></html>\n';
  let blocked = 0;
  const waf = http.createServer((req, res) => {
    if (blocked < 2) {
      blocked++;
      req.resume();
      res.writeHead(403, { 'Content-Type': 'text/html; charset=UTF-8' });
      res.end(page);
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const up = await fetch(`${sandbox}${req.url}`, {
        method: req.method,
        headers: { 'Content-Type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded', ...(req.headers.authorization ? { Authorization: req.headers.authorization } : {}) },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(up.status, { 'Content-Type': up.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await up.arrayBuffer()));
    });
  });
  await new Promise((resolve) => waf.listen(0, '127.0.0.1', resolve));
  try {
    const behind = await startWorker(await freePort(), {
      ...SECRETS,
      SMSMOBILEAPI_URL: `http://127.0.0.1:${waf.address().port}`,
      SHOP_CONFIG: JSON.stringify(CONFIG),
      RETRY_BASE_SECONDS: '1',
      RETRY_MAX_SECONDS: '2',
    }, 'wrangler-waf');
    const phone = phoneFor(18);
    const res = await postShopify('orders/create', shopifyOrder(phone), { base: behind });
    assert.equal(res.status, 200, res.body);
    const row = await until('the message final', async () => {
      const rows = await adminRowsFor(phone, behind);
      return rows.length === 1 && ['sent', 'failed', 'dead'].includes(rows[0].state) && rows[0];
    }, 90000);
    assert.equal(row.state, 'sent', `the message ended ${row.state}: ${row.error}`);
    assert.equal(blocked, 2, 'the block page was served');
    assert.equal((await messagesTo(phone)).length, 1);
    const wrongKey = (await messagesTo(CONFIG.merchant.phone)).filter((x) => /credentials|API key/.test(x.message));
    assert.equal(wrongKey.length, 0, 'the merchant was told the key is wrong');
  } finally {
    waf.close();
  }
});

test('WooCommerce: context saved at creation, a re-sent completed order texts once', async () => {
  const phone = phoneFor(13);
  const order = fixture('examples/webhooks/woocommerce_order_completed.json');
  order.id = nextId++;
  order.number = String(order.id % 100000);
  order.billing.phone = phone;
  if (order.shipping) order.shipping.phone = phone;
  const post = async (topic, payload) => {
    const body = JSON.stringify(payload);
    const res = await fetch(`${worker}/webhooks/woocommerce`, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-WC-Webhook-Topic': topic,
        'X-WC-Webhook-Source': 'https://e2e-woo.example/',
        'X-WC-Webhook-Signature': crypto.createHmac('sha256', SECRETS.WOOCOMMERCE_WEBHOOK_SECRET).update(body).digest('base64'),
        'X-WC-Webhook-Delivery-ID': String(nextId++),
      },
    });
    assert.equal(res.status, 200, await res.text());
  };
  await post('order.created', { ...order, status: 'processing' });
  await until('the order confirmation', async () => (await messagesTo(phone)).length === 1);
  for (let i = 0; i < 3; i++) await post('order.updated', order); // WooCommerce re-sends the current order
  const both = await until('the shipping text', async () => {
    const m = await messagesTo(phone);
    return m.length === 2 && m;
  });
  assert.match(both[1].message, new RegExp(`#${order.number}`));
  assert.notEqual(both[0].message, both[1].message);
  await until('the ledger to settle', async () => (await adminRowsFor(phone)).every((r) => r.state === 'sent'));
  assert.equal((await messagesTo(phone)).length, 2);
});
