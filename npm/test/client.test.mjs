// SmsMobileApiClient against `ordersms sandbox` (the local SMSMobileAPI), through Node's own
// fetch: the request the Rust client builds reaches the server, the answer is parsed, and the
// server's failures arrive as OrderSmsError kinds.

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ordersms, startSandbox, freePort, repo, shopifyHeaders } from './helpers.mjs';

const { SmsMobileApiClient, isOrderSmsError, Shop, verifyWebhookSync } = ordersms;

let sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(async () => {
  await sandbox?.stop();
});
beforeEach(async () => {
  await sandbox.control('/_sandbox/messages', { method: 'DELETE' });
  await sandbox.control('/_sandbox/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fail_rate_429: 0, fail_rate_500: 0, offline_rate: 0, ambiguous_rate: 0 }),
  });
});

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(isOrderSmsError(e), `expected an OrderSmsError, got ${e}`);
    return e;
  }
  assert.fail('expected a rejection');
}

test('sendMessage queues the SMS on the sandbox and returns its GUID', async () => {
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  const text = 'Bonjour Anaïs, votre commande #1001 est expédiée — suivi : https://t.example/1Z999';
  const result = await client.sendMessage({ to: '+32470123456', text, shorturl: true });
  assert.match(result.guid, /^[0-9a-f]{16,}$/i);
  assert.equal(result.whatsapp, false);

  const stored = await sandbox.control('/_sandbox/messages');
  const messages = Array.isArray(stored) ? stored : stored.messages;
  assert.equal(messages.length, 1);
  assert.equal(messages[0].guid, result.guid);
  assert.equal(messages[0].recipients, '+32470123456');
  assert.equal(messages[0].message, text, 'the UTF-8 text arrives unchanged');
  assert.equal(messages[0].shorturl, true);
});

test('a WhatsApp message with a schedule carries both', async () => {
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  const at = Math.floor(Date.now() / 1000) + 3600;
  await client.sendMessage({ to: '32470123456', text: 'Your parcel is out for delivery', channel: 'whatsapp', schedule_timestamp: at });
  const stored = await sandbox.control('/_sandbox/messages');
  const [message] = Array.isArray(stored) ? stored : stored.messages;
  assert.equal(message.whatsapp, true);
  assert.equal(message.sms, false);
  assert.equal(message.schedule_timestamp, at);
});

test('a wrong API key is kind bad_key, not retryable', async () => {
  const client = new SmsMobileApiClient({ apiKey: 'not-the-key', baseUrl: sandbox.baseUrl });
  const e = await rejection(client.sendMessage({ to: '+32470123456', text: 'hi' }));
  assert.equal(e.kind, 'bad_key');
  assert.equal(e.retryable, false);
  assert.ok(!e.message.includes('not-the-key'), 'the key never shows in messages');
});

test('HTTP 429 is kind rate_limited with the server\'s Retry-After', async () => {
  await sandbox.control('/_sandbox/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fail_rate_429: 1, retry_after_secs: 7 }),
  });
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  const e = await rejection(client.sendMessage({ to: '+32470123456', text: 'hi' }));
  assert.equal(e.kind, 'rate_limited');
  assert.equal(e.retryAfterSeconds, 7);
  assert.equal(e.retryable, true);
});

async function sandboxSends() {
  const stats = await sandbox.control('/_sandbox/stats');
  return Object.entries(stats.requests ?? {}).find(([k]) => k.includes('sendsms'))?.[1] ?? 0;
}

async function storedMessages() {
  const stored = await sandbox.control('/_sandbox/messages');
  return Array.isArray(stored) ? stored : stored.messages;
}

test('a send answered 500 after the phone queued it is not retried: one SMS, kind server, maybeSent', async () => {
  await sandbox.control('/_sandbox/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ambiguous_rate: 1 }),
  });
  const before = await sandboxSends();
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl, maxRetries: 2 });
  const e = await rejection(client.sendMessage({ to: '+32470123456', text: 'Your order #1001 has shipped' }));
  assert.equal(e.kind, 'server');
  assert.equal(e.status, 500);
  assert.equal(e.retryable, false, 'a blind retry could deliver it twice');
  assert.equal(e.maybeSent, true);
  assert.equal(await sandboxSends() - before, 1, 'one try, no retry');
  assert.equal((await storedMessages()).length, 1, 'the customer gets the SMS once');
  // maybeSent says: look it up before sending again. The sent log has it.
  await sandbox.control('/_sandbox/faults', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ambiguous_rate: 0 }),
  });
  const [found] = await client.sentLog({ keyword: 'Your order #1001 has shipped' });
  assert.equal(found.recipient, '+32470123456');
  assert.equal(found.message, 'Your order #1001 has shipped');
  assert.equal(typeof found.guid, 'string');
  assert.equal(found.sent_by_mobile, true);
  const byGuid = await client.sentLog({ guid: found.guid });
  assert.deepEqual(byGuid, [found]);
  assert.deepEqual(await client.sentLog({ keyword: 'no such text' }), []);
  assert.deepEqual(await client.sentLog({ error_mobile: true }), []);
  const e2 = await rejection(client.sentLog({ error_api: 'yes' }));
  assert.equal(e2.kind, 'invalid_argument');
});

test('a 429 comes before the API does anything: a send is retried with backoff when asked', async () => {
  await sandbox.control('/_sandbox/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fail_rate_429: 1, retry_after_secs: 0 }),
  });
  const before = await sandboxSends();
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl, maxRetries: 2 });
  const e = await rejection(client.sendMessage({ to: '+32470123456', text: 'hi' }));
  assert.equal(e.kind, 'rate_limited');
  assert.equal(e.retryable, true);
  assert.equal(e.maybeSent, false);
  assert.equal(await sandboxSends() - before, 3, 'one try and two retries');
  assert.equal((await storedMessages()).length, 0);
});

test('nothing listening is kind transport', async () => {
  const client = new SmsMobileApiClient({ apiKey: 'k', baseUrl: `http://127.0.0.1:${await freePort()}` });
  const e = await rejection(client.sendMessage({ to: '+32470123456', text: 'hi' }));
  assert.equal(e.kind, 'transport');
  assert.equal(e.retryable, true, 'a refused connection sent nothing');
  assert.equal(e.maybeSent, false);
});

test('bad options throw invalid_config or invalid_argument at once', async () => {
  assert.throws(() => new SmsMobileApiClient({ apiKey: '  ' }), { kind: 'invalid_config' });
  assert.throws(() => new SmsMobileApiClient({ apiKey: 'k', baseUrl: 'ftp://x' }), { kind: 'invalid_config' });
  const client = new SmsMobileApiClient({ apiKey: 'k', baseUrl: sandbox.baseUrl });
  const e = await rejection(client.sendMessage({ to: '+32470123456', text: 'x', channel: 'pigeon' }));
  assert.equal(e.kind, 'invalid_argument');
  // 0 ms would abort every request before it left.
  assert.throws(() => new SmsMobileApiClient({ apiKey: 'k', timeoutMs: 0 }), { kind: 'invalid_config' });
});

test('a recipient no phone can dial is refused before anything is sent', async () => {
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  for (const to of ['Camille', '+32470123456;+33612345678', '+32470123456,', '']) {
    const e = await rejection(client.sendMessage({ to, text: 'Votre commande #1001 est expédiée' }));
    assert.equal(e.kind, 'invalid_argument', to);
    assert.match(e.message, /phone number|needs `to`|empty number/, to);
  }
  assert.equal((await storedMessages()).length, 0);
});

test('channel "both" is refused: one call cannot write the number for SMS and WhatsApp', async () => {
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  const e = await rejection(client.sendMessage({ to: '+32470123456', text: 'Votre commande #1001 est expédiée', channel: 'both' }));
  assert.equal(e.kind, 'invalid_argument');
  assert.match(e.message, /"sms".*"whatsapp"/);
  assert.equal((await storedMessages()).length, 0);
});

test('a planned WhatsApp message is sent to its number without the +, as WhatsApp needs', async () => {
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  // A message as Shop.plan returns it for `channel = "whatsapp"`: `to` is E.164.
  const planned = {
    to: '+32470123456', recipient: 'customer', channel: 'whatsapp',
    text: 'Bonne nouvelle, Camille : votre commande #1001 est en route avec Colissimo.',
    template: 'fr/shipped', locale: 'fr-BE', encoding: 'gsm7', segments: 1, shorturl: false,
    schedule_timestamp: null, dedupe_key: 'shopify:1001:shipped:customer', event: 'shipped',
  };
  const result = await client.sendMessage(planned);
  const [message] = await storedMessages();
  assert.equal(message.guid, result.guid);
  assert.equal(message.recipients, '32470123456');
  assert.equal(message.phone_error, null, 'the phone could send it');
  await client.sendMessage({ ...planned, to: '0032470123456' });
  assert.equal((await storedMessages())[1].recipients, '32470123456');
});

test('a schedule that is not UNIX seconds is refused, not dropped (which sends at once) or read as year 58000', async () => {
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  const at = new Date(Date.now() + 8 * 3600e3);
  const message = { to: '+32470123456', text: 'Votre commande #1001 arrive demain entre 9 h et 13 h.' };
  for (const schedule_timestamp of [at, String(Math.floor(at / 1000)), at.getTime(), 1.5]) {
    const e = await rejection(client.sendMessage({ ...message, schedule_timestamp }));
    assert.equal(e.kind, 'invalid_argument', String(schedule_timestamp));
    assert.match(e.message, /schedule_timestamp/);
  }
  assert.match((await rejection(client.sendMessage({ ...message, schedule_timestamp: at.getTime() }))).message, /milliseconds/);
  for (const [option, value] of [['port', '2'], ['port', 3], ['shorturl', 'yes'], ['shorturl', 1]]) {
    const e = await rejection(client.sendMessage({ ...message, [option]: value }));
    assert.equal(e.kind, 'invalid_argument', `${option}: ${value}`);
  }
  assert.equal((await storedMessages()).length, 0, 'nothing was sent');
  // Seconds, and null/undefined options, still go through.
  const seconds = Math.floor(at / 1000);
  await client.sendMessage({ ...message, schedule_timestamp: seconds, port: 2, shorturl: null });
  const [stored] = await storedMessages();
  assert.equal(stored.schedule_timestamp, seconds);
  assert.equal(stored.port, 2);
});

test('resend without a string GUID rejects with invalid_argument', async () => {
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  for (const guid of [undefined, 42, { guid: 'a0d788c673ec1168' }]) {
    const e = await rejection(client.resend(guid));
    assert.equal(e.kind, 'invalid_argument');
  }
});

test('an answer that echoes the request never puts the API key, the full number or the text in the error', async () => {
  const { createServer } = await import('node:http');
  // A proxy error page or an API message quoting what it got, as real gateways do.
  const answers = [
    (body) => [400, 'application/json', JSON.stringify({ error: 'invalid', message: `bad request: ${decodeURIComponent(body)}` })],
    (body) => [200, 'text/html', `<html><body>Request rejected: ${decodeURIComponent(body)}</body></html>`],
    (body) => [200, 'application/json', JSON.stringify({ result: { error: 'invalid_number', sent: 'no', message: `recipient ${new URLSearchParams(body).get('recipients')} is invalid` } })],
  ];
  let answer;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const [status, type, text] = answer(body);
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const client = new SmsMobileApiClient({ apiKey: 'sk_live_7f3a9c2e1b', baseUrl: `http://127.0.0.1:${server.address().port}` });
    for (answer of answers) {
      for (const [to, channel] of [['+32470123456', 'sms'], ['+32470123456', 'whatsapp'], ['+32470123456,+33612345678', 'sms']]) {
        const e = await rejection(client.sendMessage({ to, channel, text: 'Votre commande #1001 est expédiée' }));
        assert.doesNotMatch(e.message, /sk_live_7f3a9c2e1b/, e.message);
        assert.doesNotMatch(e.message, /32470123456|33612345678/, e.message);
        assert.doesNotMatch(e.message, /commande|exp(é|%C3%A9)di/, e.message);
        assert.match(e.message, /\+?324\*+56|%2B324\*+56|324\*+56/, 'still tells the numbers apart');
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a planned message sent as is goes through the shop\'s device', async () => {
  // The README's loop: `for (const message of plan.messages) await api.sendMessage(message)`.
  const body = readFileSync(join(repo, 'examples', 'webhooks', 'shopify_orders_create.json'));
  const webhook = verifyWebhookSync('whsec_9b1e', shopifyHeaders('orders/create', body, 'whsec_9b1e'), body);
  const client = new SmsMobileApiClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.baseUrl });
  const toml = readFileSync(join(repo, 'examples', 'shop.toml'), 'utf8');
  const [first] = Shop.fromToml(toml.replace('device = "a1b2c3d4"', 'device = "sandbox-phone-1"')).plan(webhook).messages;
  assert.equal(first.device_sid, 'sandbox-phone-1');
  await client.sendMessage(first);
  // A device the account does not have: SMSMobileAPI refuses it rather than send from another phone.
  const [elsewhere] = Shop.fromToml(toml).plan(webhook).messages;
  const e = await rejection(client.sendMessage(elsewhere));
  assert.equal(e.kind, 'api');
  assert.equal(e.code, 'device_not_found');
  const stored = await sandbox.control('/_sandbox/messages');
  const messages = Array.isArray(stored) ? stored : stored.messages;
  assert.deepEqual(messages.map((m) => [m.recipients, m.sid]), [[first.to, 'sandbox-phone-1']]);
});
