// nginx behind a proxy, as in galaxy-prod behind the ingress controller: the edge.conf of
// the prod overlay, with the trusted range narrowed to this machine's loopback (the proxy
// here). The client address comes from the trusted proxy's X-Forwarded-For only, and
// HSTS is left to the edge that owns the host.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, curl, required, startNginx } from './sandbox.mjs';

const work = `${required('SERVING_WORK')}-edge`;
let nginx;
before(async () => {
  const config = join(work, 'config');
  mkdirSync(config, { recursive: true });
  cpSync(required('SERVING_CONFIG'), config, { recursive: true });
  const prod = readFileSync(join(ROOT, 'k8s', 'overlays', 'prod', 'edge.conf'), 'utf8');
  const edge = prod.replace(/^set_real_ip_from .*;$/m, 'set_real_ip_from 127.0.0.1/32;');
  assert.notEqual(edge, prod, 'the prod edge.conf names its trusted proxies');
  writeFileSync(join(config, 'edge.conf'), edge);
  nginx = await startNginx({ dist: required('SERVING_DIST'), tls: required('SERVING_TLS'), config, work: join(work, 'nginx'), port: 28041 });
});
after(async () => { await nginx?.stop(); });

const lastEntry = async () => {
  await new Promise((r) => setTimeout(r, 200));
  return JSON.parse(nginx.out.stdout.trim().split('\n').at(-1));
};

test('the client address is the right-most one not added by a trusted proxy', async () => {
  // A client's own X-Forwarded-For (6.6.6.6) arrives first in the list; the proxy
  // appends the address it saw (203.0.113.9).
  await curl(`${nginx.url}/admin/`, ['-H', 'X-Forwarded-For: 6.6.6.6, 203.0.113.9']);
  const entry = await lastEntry();
  assert.equal(entry.remote_addr, '203.0.113.9');
  assert.equal(entry.peer_addr, '127.0.0.1');
});

test('without the header the peer is the client', async () => {
  await curl(`${nginx.url}/admin/`);
  assert.equal((await lastEntry()).remote_addr, '127.0.0.1');
});

test('no HSTS behind the ingress, every other security header still there', async () => {
  const page = await curl(`${nginx.url}/admin/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers['strict-transport-security'], undefined);
  for (const name of ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options']) {
    assert.ok(page.headers[name], name);
  }
});
