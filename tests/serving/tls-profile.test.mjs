// TLS as Mozilla's "intermediate" profile says (ssl-config.mozilla.org), checked by sslyze
// (PyPI, pinned in tests/requirements.txt) against the project's nginx under bubblewrap:
// protocols, ciphers, curves and the certificate's own properties, with a certificate shaped
// as cert-manager issues the pods' one in prod (ECDSA P-256 from an internal CA, 90 days).
// A copy of nginx/ without its ssl_ecdh_curve line must fail the same scan (OpenSSL's
// default curves include X448 and secp521r1, which the profile rejects).
// Also here: HSTS is never sent for localhost, whatever edge.conf says.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, curl, required, run, runClosed, startNginx } from './sandbox.mjs';

const work = `${required('SERVING_WORK')}-tls`;
const SSLYZE = join(ROOT, '.venv', 'bin', 'sslyze');
const servers = [];

/** An internal CA and a 90-day ECDSA P-256 server certificate for localhost, as cert-manager makes them. */
async function makeCertificates(dir) {
  mkdirSync(dir, { recursive: true });
  const ossl = (...args) => run('openssl', args);
  await ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
    '-subj', '/CN=admin-dashboard internal CA (test)', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'));
  await ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.csr'));
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
    + 'keyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n');
  await ossl('x509', '-req', '-in', join(dir, 'tls.csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'),
    '-CAcreateserial', '-days', '90', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, 'tls.crt'));
}

/** A ConfigMap stand-in whose edge.conf asks for HSTS, to prove the loopback guard. */
function configAskingForHsts(dir) {
  mkdirSync(dir, { recursive: true });
  cpSync(required('SERVING_CONFIG'), dir, { recursive: true });
  writeFileSync(join(dir, 'edge.conf'), 'set $hsts "max-age=63072000";\n');
  return dir;
}

let good;
let broken;
before(async () => {
  const tls = join(work, 'tls');
  await makeCertificates(tls);
  const config = configAskingForHsts(join(work, 'config'));
  const dist = required('SERVING_DIST');
  const brokenConf = join(work, 'nginx-broken');
  cpSync(join(ROOT, 'nginx'), brokenConf, { recursive: true });
  const admin = readFileSync(join(brokenConf, 'admin.conf'), 'utf8');
  const withoutCurves = admin.replace(/^\s*ssl_ecdh_curve .*\n/m, '');
  assert.notEqual(withoutCurves, admin, 'nginx/admin.conf sets ssl_ecdh_curve');
  writeFileSync(join(brokenConf, 'admin.conf'), withoutCurves);
  good = await startNginx({ dist, tls, config, work: join(work, 'good'), port: 28042 });
  servers.push(good);
  broken = await startNginx({ dist, tls, config, work: join(work, 'broken'), port: 28043, nginx: brokenConf });
  servers.push(broken);
});
after(async () => { for (const s of servers) await s.stop(); });

const scan = (server) => runClosed(SSLYZE, ['--mozilla_config=intermediate', `--certinfo_ca_file=${join(work, 'tls', 'ca.crt')}`,
  `localhost:${server.port}`], 120_000);

test('sslyze: the served TLS is compliant with Mozilla\'s intermediate profile', async () => {
  const { code, output } = await scan(good);
  assert.match(output, /Supported curves:\s+X25519, secp256r1, secp384r1\n/, output);
  assert.match(output, /OK - Compliant\./, output);
  assert.equal(code, 0, output);
});

test('sslyze fails a copy of nginx/ that offers OpenSSL\'s default curves (X448, secp521r1)', async () => {
  const { code, output } = await scan(broken);
  assert.notEqual(code, 0, output);
  assert.match(output, /FAILED - Not compliant/, output);
  assert.match(output, /tls_curves: .*(X448|secp521r1)/, output);
});

test('no HSTS for localhost, 127.0.0.1 or *.localhost even when edge.conf asks; the public host gets it', async () => {
  for (const host of ['localhost', '127.0.0.1', 'admin.localhost']) {
    const res = await curl(`${good.url}/admin/`, ['-H', `Host: ${host}`]);
    assert.equal(res.status, 200, host);
    assert.equal(res.headers['strict-transport-security'], undefined, host);
  }
  const pub = await curl(`${good.url}/admin/`, ['-H', 'Host: galaxy.example.com']);
  assert.equal(pub.headers['strict-transport-security'], 'max-age=63072000');
});
