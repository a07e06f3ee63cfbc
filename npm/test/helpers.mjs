// Shared by the Node tests: the BUILT package (npm/pkg-node, as users install it), the
// `ordersms` binary, fixtures, signing, and a sandbox on a free loopback port.

import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
export const repo = join(here, '..', '..');

/** The package as Node users load it (CommonJS build, loads its .wasm synchronously). */
export const ordersms = createRequire(import.meta.url)('../pkg-node/ordersms_wasm.js');

export const ordersmsBin = process.env.ORDERSMS_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'debug', 'ordersms');
if (!existsSync(ordersmsBin)) {
  throw new Error(`no ordersms binary at ${ordersmsBin}: run cargo build -p ordersms-cli (or set ORDERSMS_BIN)`);
}

export const fixtures = join(repo, 'crates', 'ordersms-core', 'fixtures');

export function readFixture(relative) {
  return readFileSync(join(fixtures, relative));
}

// No shop-domain/source headers: `ordersms plan` takes the domain from the payload, and the
// comparison must see the same input.

/** What the shop sends: base64 HMAC-SHA256 of the raw body. */
export function sign(body, secret) {
  return createHmac('sha256', secret).update(body).digest('base64');
}

export function shopifyHeaders(topic, body, secret) {
  return {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-hmac-sha256': sign(body, secret),
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  };
}

export function wooHeaders(topic, body, secret) {
  return {
    'content-type': 'application/json',
    'x-wc-webhook-topic': topic,
    'x-wc-webhook-signature': sign(body, secret),
    'x-wc-webhook-delivery-id': '42',
  };
}

/** Runs the CLI and returns its stdout. */
export function runCli(args, input) {
  return execFileSync(ordersmsBin, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `ordersms sandbox` on a free loopback port; resolves once it answers HTTP. */
export async function startSandbox() {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(ordersmsBin, ['sandbox', '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const baseUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        const r = await fetch(`${baseUrl}/_sandbox/stats`);
        if (r.ok) {
          return {
            baseUrl,
            apiKey: 'sandbox-key',
            async control(path, init) {
              const res = await fetch(`${baseUrl}${path}`, init);
              if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
              return res.json();
            },
            async stop() {
              child.kill('SIGTERM');
              await exited;
            },
          };
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await exited;
    // The free port may have been taken between our check and the bind: try another.
    if (attempt >= 2) throw new Error(`ordersms sandbox did not start: ${stderr}`);
  }
}
