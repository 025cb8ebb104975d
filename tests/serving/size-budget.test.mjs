// The size budget: compressed bytes of a cold load of the login page (html, js, wasm,
// css, config.js, icon), as nginx serves them to a browser (which accepts brotli), and,
// for clients without brotli, as gzip. Sizes are deterministic, so this is a test; speed
// is measured by the benchmarks, which print figures and assert nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { curl, required, startNginx } from './sandbox.mjs';

/** The budget: what a browser downloads (every current browser accepts brotli). Tighten it when the dashboard beats it. */
export const LOGIN_COLD_LOAD_BUDGET_KB = 240;
/** A backstop for clients without brotli, which get the zopfli .gz files. */
export const LOGIN_COLD_LOAD_GZIP_BUDGET_KB = 300;

const dist = required('SERVING_DIST');
let nginx;
before(async () => {
  nginx = await startNginx({
    dist, tls: required('SERVING_TLS'), config: required('SERVING_CONFIG'), work: `${required('SERVING_WORK')}-size`, port: 28040,
  });
});
after(async () => { await nginx?.stop(); });

async function coldLoad(acceptEncoding) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const assets = [...new Set(html.match(/\/admin\/[A-Za-z0-9_.-]+-[0-9a-f]{1,16}(_bg)?\.(js|wasm|css|svg)/g))];
  const files = ['/admin/login', '/admin/config.js', ...assets];
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

test(`a cold load of the login page is at most ${LOGIN_COLD_LOAD_BUDGET_KB} KB as a browser gets it (brotli)`, async () => {
  const { kb, lines } = await coldLoad('gzip, deflate, br, zstd');
  console.log(`size budget: login cold load ${kb.toFixed(1)} KB of ${LOGIN_COLD_LOAD_BUDGET_KB} KB (brotli, as served)\n${lines.join('\n')}`);
  assert.ok(kb <= LOGIN_COLD_LOAD_BUDGET_KB, `${kb.toFixed(1)} KB is over the ${LOGIN_COLD_LOAD_BUDGET_KB} KB budget`);
});

test(`and at most ${LOGIN_COLD_LOAD_GZIP_BUDGET_KB} KB for a client without brotli (gzip)`, async () => {
  const { kb, lines } = await coldLoad('gzip');
  console.log(`size budget: login cold load ${kb.toFixed(1)} KB of ${LOGIN_COLD_LOAD_GZIP_BUDGET_KB} KB (gzip, as served)\n${lines.join('\n')}`);
  assert.ok(kb <= LOGIN_COLD_LOAD_GZIP_BUDGET_KB, `${kb.toFixed(1)} KB is over the ${LOGIN_COLD_LOAD_GZIP_BUDGET_KB} KB budget`);
});
