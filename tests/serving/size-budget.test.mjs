// The size budget: compressed bytes of a cold load of the login page (html, js, wasm,
// css, config.js, icon), as nginx serves them to a browser (which accepts brotli), and,
// for clients without brotli, as gzip. Sizes are deterministic, so this is a test; speed
// is measured by the benchmarks, which print figures and assert nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { curl, pageModules, required, startNginx } from './sandbox.mjs';

/** The budget: what a browser downloads (every current browser accepts brotli). Tighten it when the dashboard beats it. */
export const LOGIN_COLD_LOAD_BUDGET_KB = 240;
/** A backstop for clients without brotli, which get the zopfli .gz files. */
export const LOGIN_COLD_LOAD_GZIP_BUDGET_KB = 280;

const dist = required('SERVING_DIST');
let nginx;
before(async () => {
  nginx = await startNginx({
    dist, tls: required('SERVING_TLS'), config: required('SERVING_CONFIG'), work: `${required('SERVING_WORK')}-size`, port: 28040,
  });
});
after(async () => { await nginx?.stop(); });

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const assets = [...new Set(html.match(/\/admin\/[A-Za-z0-9_.-]+-[0-9a-f]{1,16}(_bg)?\.(js|wasm|css|svg)/g))];
const glue = readFileSync(join(dist, assets.find((a) => a.endsWith('.js')).slice('/admin/'.length)), 'utf8');
/** What the glue imports statically comes with it (scripts/split-wasm.sh inlines the page modules' loader, so nothing should). */
const glueImports = [...glue.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+)["']/g)].map((m) => `/admin/${m[1]}`);
/** The page modules fetched on a page's first visit (src/app/chunks.rs), not part of the cold load. */
const modules = pageModules(glue).map((m) => `/admin/${m}`);

async function sizes(files, acceptEncoding) {
  let total = 0;
  const lines = [];
  for (const path of files) {
    const res = await curl(`${nginx.url}${path}`, ['-H', `Accept-Encoding: ${acceptEncoding}`]);
    assert.equal(res.status, 200, path);
    total += res.body.length;
    lines.push(`  ${path.padEnd(60)} ${String(res.body.length).padStart(8)} B ${res.headers['content-encoding'] ?? ''}`);
  }
  return { kb: total / 1000, lines };
}

const coldLoad = (acceptEncoding) => sizes(['/admin/login', '/admin/config.js', ...assets, ...glueImports], acceptEncoding);

test('the page modules are loaded by the glue, not imported by it', () => {
  assert.deepEqual(glueImports, [], 'a static import of the glue is part of every load, and a failed one is not retried');
  assert.ok(modules.length >= 3, `the glue loads ${modules.length} page modules: ${modules.join(', ')}`);
});

test(`a cold load of the login page is at most ${LOGIN_COLD_LOAD_BUDGET_KB} KB as a browser gets it (brotli)`, async () => {
  const { kb, lines } = await coldLoad('gzip, deflate, br, zstd');
  console.log(`size budget: login cold load ${kb.toFixed(1)} KB of ${LOGIN_COLD_LOAD_BUDGET_KB} KB (brotli, as served)\n${lines.join('\n')}`);
  assert.ok(kb <= LOGIN_COLD_LOAD_BUDGET_KB, `${kb.toFixed(1)} KB is over the ${LOGIN_COLD_LOAD_BUDGET_KB} KB budget`);
});

test('each page module is served compressed, and what a first visit adds is reported', async () => {
  const { kb, lines } = await sizes(modules, 'gzip, deflate, br, zstd');
  console.log(`size budget: page modules ${kb.toFixed(1)} KB in all (brotli, as served, each on its page's first visit)\n${lines.join('\n')}`);
  for (const line of lines) assert.match(line, / br$/, line);
});

test(`and at most ${LOGIN_COLD_LOAD_GZIP_BUDGET_KB} KB for a client without brotli (gzip)`, async () => {
  const { kb, lines } = await coldLoad('gzip');
  console.log(`size budget: login cold load ${kb.toFixed(1)} KB of ${LOGIN_COLD_LOAD_GZIP_BUDGET_KB} KB (gzip, as served)\n${lines.join('\n')}`);
  assert.ok(kb <= LOGIN_COLD_LOAD_GZIP_BUDGET_KB, `${kb.toFixed(1)} KB is over the ${LOGIN_COLD_LOAD_GZIP_BUDGET_KB} KB budget`);
});
