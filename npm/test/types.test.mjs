// The generated TypeScript types: no `any` in the public API, and a typical program compiles
// under `tsc --strict` (kinds narrow, a planned message is a valid send request).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
const npm = join(here, '..');

test('the public API in the .d.ts names no any', () => {
  for (const pkg of ['pkg-node', 'pkg-web']) {
    const code = readFileSync(join(npm, pkg, 'ordersms_wasm.d.ts'), 'utf8')
      // The web build's `InitOutput` lists the raw WASM exports (wasm-bindgen's internal ABI,
      // pointers and externrefs), not the API: it is left out.
      .replace(/export interface InitOutput \{[^}]*\}/, '')
      .split('\n')
      .filter((line) => !/^\s*(\/?\*|\/\/)/.test(line));
    const offending = code.filter((line) => /\bany\b/.test(line));
    assert.deepEqual(offending, [], `${pkg}`);
  }
});

test('a typical program type-checks under --strict', () => {
  const tsc = join(npm, 'node_modules', '.bin', 'tsc');
  try {
    execFileSync(tsc, ['--strict', '--noEmit', '--skipLibCheck', 'false', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'esnext,dom', join(here, 'types-check.ts')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});
