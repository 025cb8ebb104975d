// A rolling update, replayed: an old pod (release N) and a new pod (release N+1,
// carrying N's hashed files) behind a proxy that alternates between them on every
// request and never retries. Each page load may get index.html from one pod and its
// files from the other. Every load must start the app.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import { chromium } from '../e2e/node_modules/playwright-core/index.mjs';
import { pageModules, required, run, startNginx } from './sandbox.mjs';

const LOADS = Number(process.env.ROLLOUT_LOADS ?? 100);
const [oldDist, newDist] = [required('ROLLOUT_OLD_DIST'), required('ROLLOUT_NEW_DIST')];
const config = required('SERVING_CONFIG');
const tls = required('SERVING_TLS');
const work = required('SERVING_WORK');
const PROXY_PORT = 28030;

let pods = [];
let proxy;
const proxyLog = join(work, 'proxy', 'access.log');

async function startProxy(upstreams) {
  const dir = join(work, 'proxy');
  mkdirSync(dir, { recursive: true });
  // Plain round robin, one request at a time, no retry on 404: the gap is left to the dashboard.
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log ${proxyLog};
  client_body_temp_path ${dir}/client; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream pods { ${upstreams.map((p) => `server 127.0.0.1:${p} max_fails=0;`).join(' ')} }
  server {
    listen ${PROXY_PORT} ssl http2;
    ssl_certificate ${tls}/tls.crt;
    ssl_certificate_key ${tls}/tls.key;
    location / {
      proxy_pass https://pods;
      proxy_next_upstream off;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
    }
  }
}
`);
  const child = spawn('/usr/sbin/nginx', ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
  for (let i = 0; i < 100; i += 1) {
    try { await run('curl', ['-sk', '--fail', '-o', '/dev/null', `https://localhost:${PROXY_PORT}/health`]); return child; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error('the proxy did not start');
}

before(async () => {
  pods = [
    await startNginx({ dist: oldDist, tls, config, work: join(work, 'old'), port: 28031 }),
    await startNginx({ dist: newDist, tls, config, work: join(work, 'new'), port: 28032 }),
  ];
  proxy = await startProxy([28031, 28032]);
});

after(async () => {
  proxy?.kill('SIGTERM');
  for (const pod of pods) await pod.stop();
});

test('the two releases really differ, and the new one carries the old one\'s files', () => {
  const assets = (dist) => readFileSync(join(dist, 'index.html'), 'utf8').match(/\/admin\/[A-Za-z0-9_.-]+-[0-9a-f]{1,16}(_bg)?\.(js|wasm|css)/g);
  const [oldAssets, newAssets] = [assets(oldDist), assets(newDist)];
  assert.notDeepEqual(oldAssets.sort(), newAssets.sort());
  for (const a of oldAssets) readFileSync(join(newDist, a.slice('/admin/'.length))); // throws if missing
  // The page modules an old glue loads later (scripts/split-wasm.sh) must be there too.
  const oldGlue = readFileSync(join(oldDist, oldAssets.find((a) => a.endsWith('.js')).slice('/admin/'.length)), 'utf8');
  const modules = pageModules(oldGlue);
  assert.ok(modules.length > 0, 'the old glue loads page modules');
  for (const m of modules) {
    for (const file of [m, `${m}.br`, `${m}.gz`]) readFileSync(join(newDist, file));
  }
});

test(`${LOADS} page loads through a round-robin of old and new pods all start the app`, async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const failures = [];
  try {
    for (let i = 0; i < LOADS; i += 1) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true }); // a cold cache every time
      const page = await context.newPage();
      try {
        await page.goto(`https://localhost:${PROXY_PORT}/admin/login`);
        await page.getByLabel('Username').waitFor({ timeout: 15_000 });
        const styled = await page.evaluate(() => getComputedStyle(document.querySelector('.login-card')).borderRadius !== '0px');
        if (!styled) failures.push(`load ${i}: the stylesheet never arrived`);
      } catch (error) {
        failures.push(`load ${i}: ${error.message.split('\n')[0]}`);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  const log = readFileSync(proxyLog, 'utf8');
  const missed = log.split('\n').filter((l) => / 404 /.test(l)).length;
  console.log(`${LOADS} loads, ${missed} asset requests answered 404 by a pod and retried`);
  assert.ok(missed > 0, 'the test must actually hit the rollout gap');
  assert.deepEqual(failures, []);
});
