// Template previews and SMS segment facts, as the preview page and merchants' tools use them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ordersms } from './helpers.mjs';

const { segmentFacts, transliterateToGsm7, renderTemplate, templateSource, eventKinds, languages, isOrderSmsError } = ordersms;

test('segment facts follow GSM-7 and UCS-2 limits', () => {
  assert.deepEqual(segmentFacts('x'.repeat(160)), { encoding: 'gsm7', units: 160, segments: 1 });
  assert.deepEqual(segmentFacts('x'.repeat(161)), { encoding: 'gsm7', units: 161, segments: 2 });
  assert.deepEqual(segmentFacts('€'), { encoding: 'gsm7', units: 2, segments: 1 }, 'extension table counts 2');
  assert.deepEqual(segmentFacts('Votre colis arrive’'), { encoding: 'ucs2', units: 19, segments: 1 });
  assert.deepEqual(segmentFacts('😀'.repeat(36)), { encoding: 'ucs2', units: 72, segments: 2 });
  assert.deepEqual(segmentFacts(''), { encoding: 'gsm7', units: 0, segments: 0 });
});

test('transliteration brings typographic text back to GSM-7', () => {
  const folded = transliterateToGsm7('“Merci” — à bientôt…');
  assert.equal(segmentFacts(folded).encoding, 'gsm7');
});

test('every default customer template renders with the sample order, in every language', () => {
  assert.equal(eventKinds().length, 13);
  assert.deepEqual(languages(), ['en', 'fr', 'de', 'nl', 'es', 'it']);
  for (const language of languages()) {
    for (const event of eventKinds()) {
      const out = renderTemplate({ event, language });
      assert.ok(out.text.length > 10, `${language}/${event}: ${out.text}`);
      assert.equal(out.template, `${language}/${event}`);
      assert.deepEqual({ encoding: out.encoding, units: out.units, segments: out.segments }, segmentFacts(out.text));
      assert.equal(typeof templateSource({ event, language }), 'string');
    }
  }
});

test('an edited template renders with the sample data and the language\'s money format', () => {
  const out = renderTemplate({ event: 'placed', language: 'fr', source: '{{customer.first_name}}: {{order.name}} = {{money order.total}}' });
  assert.match(out.text, /^Camille: #1001 = 404,95\s?€$/);
  assert.equal(out.template, 'fr/placed');
});

test('a blank locale (an empty form field) is the language\'s own, not English money', () => {
  for (const locale of ['', '  ']) {
    const out = renderTemplate({ event: 'placed', language: 'fr', locale, source: '{{money order.total}}' });
    assert.match(out.text, /^404,95\s?€$/, JSON.stringify(locale));
  }
  assert.match(renderTemplate({ event: 'placed', language: 'fr', locale: 'fr-CH', source: '{{money order.total}}' }).text, /404[.,]95/);
});

test('an invalid template is kind template with what is wrong', () => {
  const cases = [
    ['Hi {{custmer.first_name}}', 'unknown_variable'],
    ['{{#if order.name}}no end', 'syntax'],
  ];
  for (const [source, reason] of cases) {
    try {
      renderTemplate({ event: 'shipped', language: 'en', source });
      assert.fail(`accepted ${source}`);
    } catch (e) {
      assert.ok(isOrderSmsError(e), String(e));
      assert.equal(e.kind, 'template');
      assert.equal(e.reason, reason, e.message);
      assert.equal(e.template, 'en/shipped');
    }
  }
  assert.throws(() => renderTemplate({ event: 'teleported', language: 'en' }), { kind: 'invalid_argument' });
});

test('merchant templates exist only for the events merchants hear about', () => {
  assert.equal(typeof templateSource({ event: 'placed', language: 'de', audience: 'merchant' }), 'string');
  assert.equal(templateSource({ event: 'shipped', language: 'en', audience: 'merchant' }), undefined);
});

test('a template nested thousands deep is a template error, and the package keeps working', () => {
  const deep = (n) => '{{#if customer.first_name}}'.repeat(n) + 'Hi {{customer.first_name}}' + '{{/if}}'.repeat(n);
  for (const source of [deep(5000), `{{lookup ${'(lookup '.repeat(5000)}customer "first_name"${')'.repeat(5000)} "x"}}`]) {
    assert.throws(() => renderTemplate({ event: 'shipped', language: 'fr', source }), (e) => {
      assert.ok(isOrderSmsError(e), String(e));
      assert.equal(e.kind, 'template');
      assert.equal(e.reason, 'syntax');
      assert.match(e.message, /nest more than 64/);
      return true;
    });
  }
  assert.throws(() => ordersms.Shop.fromToml(`[templates]\n"fr/shipped" = ${JSON.stringify(deep(5000))}\n`), { kind: 'invalid_config' });
  // The same instance still renders, checks and plans.
  assert.equal(renderTemplate({ event: 'shipped', language: 'fr', source: deep(5) }).text, 'Hi Camille');
  assert.deepEqual(segmentFacts('x'), { encoding: 'gsm7', units: 1, segments: 1 });
});

test('text functions given a non-string throw invalid_argument, not a TypeError', () => {
  for (const f of [segmentFacts, transliterateToGsm7]) {
    for (const value of [undefined, null, 42, Buffer.from('Merci')]) {
      assert.throws(() => f(value), { name: 'OrderSmsError', kind: 'invalid_argument' });
    }
  }
});
