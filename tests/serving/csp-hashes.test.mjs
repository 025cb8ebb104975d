// scripts/csp-hashes.mjs: the CSP inputs nginx gets from the built index.html.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'csp-hashes.mjs');
const sha = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function run(html, ...options) {
  const file = join(mkdtempSync(join(tmpdir(), 'csp-hashes-')), 'index.html');
  writeFileSync(file, html);
  const out = spawnSync(process.execPath, [SCRIPT, ...options, file], { encoding: 'utf8' });
  const value = (name) => out.stdout.match(new RegExp(`set \\$${name} "([^"]*)";`))?.[1];
  return { status: out.status, stderr: out.stderr, scripts: value('csp_script_hashes'), styles: value('csp_style_hashes') };
}

const LOADER = 'import init from "/admin/app.js"; init();';

test('every inline script and style is allowed by its hash, and scripts by URL are not hashed', () => {
  const r = run(`<script type="module">${LOADER}</script><script src="/admin/x.js"></script><style>p{}</style>`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.scripts, sha(LOADER));
  assert.equal(r.styles, sha('p{}'));
});

test('a page without inline styles gets none allowed', () => {
  const r = run(`<script>${LOADER}</script>`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.styles, '');
});

test('a page without an inline script is refused: a trunk build always has its loader', () => {
  const r = run('<script src="/admin/x.js"></script>');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no inline script/);
});

test('the react-admin peer: no inline script allowed, and empty <style> elements for emotion', () => {
  const r = run('<script type="module" src="/admin/index-0123.js"></script>', '--allow-no-script', '--empty-style');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.scripts, '');
  assert.equal(r.styles, "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
});

test('an unknown option is a usage error, not silently ignored', () => {
  const r = run(`<script>${LOADER}</script>`, '--allow-none');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage/);
});
