// The template preview page in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; no browser download): it loads the web build, renders the default template
// into the chat bubble with its facts, updates live as the template is edited, and shows the
// template error for an invalid template.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../preview/serve.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = join(here, '..', 'test-output');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

let server;
let browser;
let profile;
let page;
let baseUrl;
const pageErrors = [];

before(async () => {
  assert.ok(existsSync(executablePath), `no Chromium at ${executablePath}: run scripts/setup`);
  server = await startServer(0);
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  profile = await mkdtemp(join(tmpdir(), 'ordersms-chromium-'));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1100, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(new Error(m.text()));
  });
  await page.goto(`${baseUrl}?event=shipped&language=en`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  await mkdir(outDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** What the package itself renders for the page's current template, read in the page. */
async function renderedByPackage() {
  return page.evaluate(async () => {
    const m = await import('./pkg/ordersms_wasm.js');
    const q = (id) => document.getElementById(id).value;
    return m.renderTemplate({
      event: q('event'),
      language: q('language'),
      audience: q('audience'),
      source: q('source'),
    });
  });
}

test('the default template shows in the bubble with its facts', async () => {
  const source = await page.inputValue('#source');
  assert.ok(source.includes('{{'), `the editor holds a handlebars template, got ${JSON.stringify(source)}`);
  const expected = await renderedByPackage();
  assert.ok(expected.text.length > 20, 'the shipped template renders a real message');
  assert.equal(await page.textContent('#bubble'), expected.text);
  assert.equal(await page.getAttribute('#bubble', 'data-state'), 'ok');
  assert.equal(await page.textContent('#segments'), String(expected.segments));
  assert.equal(await page.textContent('#units'), String(expected.units));
  assert.equal(await page.textContent('#chars'), String([...expected.text].length));
  assert.equal(await page.textContent('#encoding'), expected.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2');
  assert.equal(await page.isHidden('#error'), true);

  // Look at it as a person would: the bubble is drawn, sized by its text, and not blank.
  const bubble = page.locator('#bubble');
  const box = await bubble.boundingBox();
  assert.ok(box && box.width > 100 && box.height > 30, `bubble box ${JSON.stringify(box)}`);
  const png = await bubble.screenshot({ path: join(outDir, 'bubble.png') });
  await page.screenshot({ path: join(outDir, 'page.png'), fullPage: true });
  assertNotBlank(png);
});

test('editing the template updates the bubble, count, encoding and segments live', async () => {
  await page.fill('#source', 'Hi {{customer.first_name}}, order {{order.name}} is on its way ✈');
  const expected = await renderedByPackage();
  assert.match(expected.text, /^Hi .+, order #\S+ is on its way ✈$/);
  assert.equal(await page.textContent('#bubble'), expected.text);
  assert.equal(await page.textContent('#encoding'), 'UCS-2', 'the plane is outside GSM-7');
  assert.equal(await page.textContent('#segments'), '1');

  await page.fill('#source', 'x'.repeat(161));
  assert.equal(await page.textContent('#encoding'), 'GSM-7');
  assert.equal(await page.textContent('#chars'), '161');
  assert.equal(await page.textContent('#segments'), '2', '161 GSM-7 characters need two parts');
});

test('an invalid template shows its error and keeps the last message dimmed', async () => {
  await page.fill('#source', 'Order {{order.name}} for {{custmer.first_name}}');
  const error = page.locator('#error');
  await error.waitFor({ state: 'visible' });
  assert.equal(await error.getAttribute('data-kind'), 'template');
  assert.match(await error.textContent(), /custmer/);
  assert.equal(await page.getAttribute('#bubble', 'data-state'), 'stale');
  assert.equal(await page.getAttribute('#source', 'aria-invalid'), 'true');
  await page.screenshot({ path: join(outDir, 'page-error.png'), fullPage: true });

  await page.fill('#source', '{{#if order.name}}unclosed');
  assert.equal(await error.getAttribute('data-kind'), 'template');

  await page.click('#reset');
  assert.equal(await page.isHidden('#error'), true);
  assert.equal(await page.getAttribute('#bubble', 'data-state'), 'ok');
});

test('switching language loads that language and renders it', async () => {
  await page.selectOption('#language', 'fr');
  const expected = await renderedByPackage();
  assert.equal(await page.textContent('#bubble'), expected.text);
  assert.notEqual(expected.text, '', 'French template renders');
  assert.match(await page.textContent('#template-name'), /^fr\//);
});

test('the page raised no script errors', () => {
  assert.deepEqual(pageErrors.map(String), []);
});

/** A PNG of a drawn bubble: the right size, and pixels that vary (text on a background). */
function assertNotBlank(png) {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width > 100 && height > 30, `screenshot ${width}x${height}`);
  // Inflate the image data; a flat image filters to (almost) all zeros, text does not.
  const idat = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const pixels = inflateSync(Buffer.concat(idat));
  const distinct = new Set(pixels).size;
  const nonZero = pixels.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0);
  assert.ok(distinct > 32 && nonZero > pixels.length / 50, `bubble looks blank (${distinct} distinct bytes)`);
}
