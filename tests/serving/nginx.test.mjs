// The image's nginx, proven here: Debian's nginx with the project's files under
// bubblewrap, read-only root, UID/GID 101, only the emptyDir (/tmp) writable,
// TLS secret and ConfigMap mounted read-only, port 8443 as in the Deployment.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from '../e2e/node_modules/playwright-core/index.mjs';
import { curl, inlineScriptHashes, required, run, runClosed, startNginx, writtenFiles } from './sandbox.mjs';

const dist = required('SERVING_DIST');
const config = required('SERVING_CONFIG');
const tls = required('SERVING_TLS');
const work = required('SERVING_WORK');
const apiOrigin = required('SERVING_API_ORIGIN');

let nginx;
before(async () => { nginx = await startNginx({ dist, tls, config, work }); });
after(async () => { await nginx?.stop(); });

const hashed = (ext) => readFileSync(join(dist, 'index.html'), 'utf8')
  .match(new RegExp(`/admin/[A-Za-z0-9_.-]+-[0-9a-f]{1,16}(_bg)?\\.${ext}`))[0];

const SECURITY_HEADERS = [
  'content-security-policy', 'x-content-type-options',
  'referrer-policy', 'permissions-policy', 'cross-origin-opener-policy', 'x-frame-options',
];

async function handshake(version) {
  const flag = { '1.1': '-tls1_1', '1.2': '-tls1_2', '1.3': '-tls1_3' }[version];
  // SECLEVEL=0 lets this client offer TLS 1.1 at all, so a refusal is the server's.
  const args = ['s_client', '-connect', `localhost:${nginx.port}`, '-servername', 'localhost', flag, '-brief'];
  if (version === '1.1') args.push('-cipher', 'DEFAULT@SECLEVEL=0');
  const { code, output } = await runClosed('openssl', args);
  return { ok: code === 0, text: output };
}

test('TLS 1.2 and 1.3 handshakes succeed and TLS 1.1 is refused by the server', async () => {
  for (const version of ['1.2', '1.3']) {
    const result = await handshake(version);
    assert.ok(result.ok, `TLS ${version}: ${result.text}`);
    assert.match(result.text, new RegExp(`Protocol version: TLSv${version}`));
  }
  const old = await handshake('1.1');
  assert.ok(!old.ok, 'TLS 1.1 must fail');
  assert.match(old.text, /alert protocol version|unsupported protocol|wrong version number/i, old.text);
});

test('HTTP/2 and /health', async () => {
  const health = await curl(`${nginx.url}/health`);
  assert.equal(health.version, 'HTTP/2');
  assert.equal(health.status, 200);
  assert.equal(health.body.toString(), 'OK\n');
  assert.match(health.headers['content-type'], /^text\/plain/);
});

test('/ and /admin redirect to /admin/ with relative locations', async () => {
  const root = await curl(`${nginx.url}/`);
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/admin/');
  const admin = await curl(`${nginx.url}/admin`);
  assert.equal(admin.status, 301);
  assert.equal(admin.headers.location, '/admin/', 'relative: works behind the ingress and the NodePort');
  const ranged = await curl(`${nginx.url}/admin?range=6h`);
  assert.equal(ranged.status, 301);
  assert.equal(ranged.headers.location, '/admin/?range=6h', 'the query (the overview\'s range) survives');
});

test('client routes fall back to index.html, missing assets are real uncached 404s', async () => {
  const index = readFileSync(join(dist, 'index.html'));
  for (const path of ['/admin/', '/admin/players/42', '/admin/players?search=nova']) {
    const page = await curl(`${nginx.url}${path}`);
    assert.equal(page.status, 200, path);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.deepEqual(page.body, index, path);
  }
  for (const path of ['/admin/galaxy-admin-dashboard-0123abcd.js', '/admin/galaxy-admin-dashboard-0123abcd_bg.wasm',
    '/admin/main-ffff.css', '/admin/gone.js']) {
    const missing = await curl(`${nginx.url}${path}`);
    assert.equal(missing.status, 404, path);
    assert.ok(!/immutable|max-age=31536000/.test(missing.headers['cache-control'] ?? ''), `${path} must not be cached for a year`);
    assert.doesNotMatch(missing.body.toString(), /<html lang="en">/, 'never the app shell');
  }
});

test('cache headers per file class', async () => {
  for (const ext of ['js', 'wasm', 'css']) {
    const asset = await curl(`${nginx.url}${hashed(ext)}`);
    assert.equal(asset.status, 200, ext);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable', ext);
  }
  for (const path of ['/admin/', '/admin/index.html', '/admin/config.js', '/admin/version.json']) {
    const res = await curl(`${nginx.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers['cache-control'], 'no-cache', path);
  }
  const wasm = await curl(`${nginx.url}${hashed('wasm')}`);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
});

test('each client gets the encoding it accepts: the built .br, the built .gz, or the file; with Vary and the same caching', async () => {
  const files = [hashed('wasm'), hashed('js'), hashed('css'), '/admin/index.html'];
  for (const path of files) {
    const local = path === '/admin/index.html' ? 'index.html' : path.slice('/admin/'.length);
    const url = `${nginx.url}${path === '/admin/index.html' ? '/admin/' : path}`;
    const cases = [
      ['br, gzip, deflate', 'br', `${local}.br`],
      ['gzip, deflate, br;q=0', 'gzip', `${local}.gz`],
      ['gzip', 'gzip', `${local}.gz`],
      ['identity', undefined, local],
      [null, undefined, local],
    ];
    const caching = new Set();
    for (const [accept, encoding, file] of cases) {
      const res = await curl(url, accept === null ? [] : ['-H', `Accept-Encoding: ${accept}`]);
      assert.equal(res.status, 200, `${path} ${accept}`);
      assert.equal(res.headers['content-encoding'], encoding, `${path} with Accept-Encoding: ${accept}`);
      assert.ok(res.body.equals(readFileSync(join(dist, file))), `${path} ${accept}: the file ${file} built in, not compressed on the fly`);
      assert.match(res.headers.vary ?? '', /Accept-Encoding/, `${path} ${accept}: Vary`);
      caching.add(res.headers['cache-control']);
    }
    assert.equal(caching.size, 1, `${path}: one caching rule for every encoding (${[...caching].join(' | ')})`);
  }
});

test('index.html, config.js and version.json revalidate: 304 on If-None-Match', async () => {
  for (const path of ['/admin/', '/admin/config.js', '/admin/version.json']) {
    const first = await curl(`${nginx.url}${path}`);
    assert.ok(first.headers.etag, path);
    const again = await curl(`${nginx.url}${path}`, ['-H', `If-None-Match: ${first.headers.etag}`]);
    assert.equal(again.status, 304, path);
  }
});

test('only GET and HEAD are served', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const res = await curl(`${nginx.url}/admin/`, ['-X', method]);
    assert.equal(res.status, 405, method);
  }
  assert.equal((await curl(`${nginx.url}/admin/`, ['-I'])).status, 200);
});

test('every security header on a 200, a 404 and a 405, and no version in Server', async () => {
  const cases = [
    ['/admin/', []], [hashed('js'), []], ['/admin/config.js', []], ['/health', []],
    ['/admin/missing-1234.js', []], ['/nope', []], ['/admin/', ['-X', 'POST']],
  ];
  for (const [path, args] of cases) {
    const res = await curl(`${nginx.url}${path}`, args);
    for (const name of SECURITY_HEADERS) assert.ok(res.headers[name], `${name} on ${res.status} ${path}`);
    assert.equal(res.headers.server, 'nginx', 'server_tokens off');
  }
});

test('the CSP allows exactly the served loader, the API origin, and nothing unsafe', async () => {
  const page = await curl(`${nginx.url}/admin/`);
  const csp = page.headers['content-security-policy'];
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  for (const unsafe of ["'unsafe-inline'", "'unsafe-eval'"]) {
    assert.ok(!directives['script-src'].includes(unsafe), `${unsafe} in ${csp}`);
    assert.ok(!(directives['default-src'] ?? []).includes(unsafe), `${unsafe} in ${csp}`);
  }
  assert.ok(directives['script-src'].includes("'wasm-unsafe-eval'"));
  const hashes = await inlineScriptHashes(page.body.toString());
  assert.ok(hashes.length > 0);
  for (const hash of hashes) assert.ok(directives['script-src'].includes(hash), `${hash} in ${csp}`);
  assert.deepEqual(directives['style-src'], ["'self'"], 'no inline style in the dashboard');
  assert.deepEqual(directives['connect-src'], ["'self'", apiOrigin]);
  assert.deepEqual(directives['frame-ancestors'], ["'none'"]);
  assert.deepEqual(directives['object-src'], ["'none'"]);
  assert.ok(directives['base-uri']);
});

test('the app starts in Chromium under that CSP with no violation', async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const violations = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(`${nginx.url}/admin/players/42`);
    await page.getByLabel('Username').waitFor();
    await page.waitForTimeout(1500);
    assert.deepEqual(violations, []);
  } finally {
    await browser.close();
  }
});

test('access log: JSON on stdout, no query string, the ingress request id, no /health', async () => {
  const search = 'search=secret-nova-7';
  await curl(`${nginx.url}/admin/players?${search}`, ['-H', 'X-Request-ID: edge-4f2a-01',
    '-H', `Referer: https://galaxy.example.com/admin/players?${search}`, '-H', 'X-Forwarded-For: 6.6.6.6']);
  await curl(`${nginx.url}/admin/log-probe?probe`, ['-H', 'X-Request-ID: "},"status":200,"x":"']);
  await curl(`${nginx.url}/health?probe=access-log`);
  await new Promise((r) => setTimeout(r, 200));
  const log = nginx.out.stdout;
  const entries = log.trim().split('\n').map((line) => JSON.parse(line));
  assert.doesNotMatch(log, /secret-nova-7/, 'a players search must not reach the log');
  // Found by the ingress's request id, which the log must carry as it came.
  const players = entries.filter((e) => e.request_id === 'edge-4f2a-01');
  assert.equal(players.length, 1);
  assert.equal(players[0].path, '/admin/players');
  assert.equal(players[0].referer, 'https://galaxy.example.com/admin/players');
  // This nginx is the edge (local-dev edge.conf): no proxy is trusted, so no client's
  // X-Forwarded-For is believed.
  assert.equal(players[0].remote_addr, '127.0.0.1');
  assert.equal(players[0].peer_addr, '127.0.0.1');
  const probe = entries.filter((e) => e.path === '/admin/log-probe');
  assert.equal(probe.length, 1);
  assert.match(probe[0].request_id, /^[0-9a-f]{32}$/, 'a request id that is not a plain token is replaced by nginx\'s own');
  assert.deepEqual(entries.filter((e) => e.path === '/health'), []);
  for (const key of ['time', 'remote_addr', 'peer_addr', 'method', 'path', 'status', 'bytes', 'duration', 'request_id']) {
    assert.ok(key in players[0], key);
  }
});

test('stub_status answers on the loopback status port, never on the served port', async () => {
  const { stdout } = await run('curl', ['-s', '--fail', nginx.statusUrl]);
  assert.match(stdout, /^Active connections: \d+/);
  assert.match(stdout, /server accepts handled requests\n \d+ \d+ \d+/);
  const served = await curl(`${nginx.url}/stub_status`);
  assert.equal(served.status, 404);
  assert.doesNotMatch(served.body.toString(), /Active connections/);
});

test('nginx -s reload under steady load loses no request', async () => {
  const workersBefore = nginx.workerPids();
  const load = run('wrk', ['-t', '2', '-c', '8', '-d', '6s', '-H', 'Connection: close', `${nginx.url}/admin/`], { timeout: 30_000 });
  for (const at of [1500, 3000, 4500]) {
    await new Promise((r) => setTimeout(r, at === 1500 ? at : 1500));
    process.kill(nginx.masterPid(), 'SIGHUP'); // what `nginx -s reload` sends
  }
  const { stdout } = await load;
  const requests = Number(stdout.match(/(\d+) requests in/)[1]);
  assert.ok(requests > 100, stdout);
  assert.doesNotMatch(stdout, /Socket errors|Non-2xx/, stdout);
  const workersAfter = nginx.workerPids();
  assert.equal(workersAfter.length, 1, 'one worker, as configured');
  assert.ok(!workersBefore.includes(workersAfter[0]), 'the reloads replaced the worker');
});

test('no HSTS on localhost (local-dev edge.conf, as make dev serves it)', async () => {
  for (const path of ['/admin/', '/health', '/nope']) {
    const res = await curl(`${nginx.url}${path}`);
    assert.equal(res.headers['strict-transport-security'], undefined, path);
  }
});

test('nginx writes only into the emptyDir, and complains about nothing', () => {
  assert.deepEqual(writtenFiles(work), ['client_temp', 'fastcgi_temp', 'nginx.pid', 'proxy_temp', 'scgi_temp', 'uwsgi_temp']);
  assert.doesNotMatch(nginx.out.stderr, /\[(emerg|alert|crit)\]|Permission denied|Read-only file system/, nginx.out.stderr);
});
