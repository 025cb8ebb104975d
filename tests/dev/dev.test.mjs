// `make dev`, as the README promises it: it refuses busy ports, starts the whole system on
// 127.0.0.1 only, the dashboard at https://localhost:30001/admin/ lets the printed admin
// log in, and Ctrl-C (SIGINT to its process group, as a terminal sends it) stops
// everything it started.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from '../e2e/node_modules/playwright-core/index.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const PORTS = [30001, 30002, 31001];

/** Listening TCP sockets on a port, from /proc: [{ address, port }]. */
function listeners(port) {
  const found = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [hex, p] = local.split(':');
      if (state !== '0A' || parseInt(p, 16) !== port) continue;
      const address = hex.length === 8
        ? hex.match(/../g).reverse().map((b) => parseInt(b, 16)).join('.')
        : hex; // IPv6, as the kernel writes it
      found.push({ address, port });
    }
  }
  return found;
}

/** Every process below `pid`, from /proc. */
function descendants(pid) {
  const all = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    let children = [];
    try {
      children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch { /* it exited meanwhile */ }
    all.push(...children);
    queue.push(...children);
  }
  return all;
}

const alive = (pid) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

function startMakeDev() {
  // Its own process group, so that SIGINT reaches make and everything below it at once.
  const child = spawn('make', ['dev'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

async function until(what, check, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('make dev refuses to start when one of its ports is taken', async () => {
  const blocker = createServer();
  await new Promise((r) => blocker.listen(30002, '127.0.0.1', r));
  try {
    const dev = startMakeDev();
    const { code } = await Promise.race([dev.exited, new Promise((_, no) => setTimeout(() => no(new Error(dev.output())), 30_000))]);
    assert.notEqual(code, 0);
    assert.match(dev.output(), /port 30002 on 127\.0\.0\.1 is in use/);
    assert.doesNotMatch(dev.output(), /Building/, 'it stops before building anything');
  } finally {
    blocker.close();
  }
});

test('make dev serves the dashboard on localhost only, the admin logs in, Ctrl-C stops everything', async () => {
  for (const port of PORTS) assert.deepEqual(listeners(port), [], `port ${port} must be free before the test`);
  const dev = startMakeDev();
  let processes = [];
  try {
    // dist/ and the gateway are built by the test run already: this is the start-up time.
    const started = Date.now();
    const line = await until('the printed URL and credentials', () => /Log in as\s+(\S+) \/ (\S+)/.exec(dev.output())
      ?? (dev.child.exitCode !== null && Promise.reject(new Error(dev.output()))), 300_000);
    const [, username, password] = line;
    console.log(`make dev was ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.match(dev.output(), /https:\/\/localhost:30001\/admin\//);

    for (const port of PORTS) {
      const sockets = listeners(port);
      assert.ok(sockets.length > 0, `nothing listens on ${port}`);
      assert.deepEqual(sockets.map((s) => s.address), sockets.map(() => '127.0.0.1'), `port ${port} must be bound to 127.0.0.1 only`);
    }
    processes = descendants(dev.child.pid);
    assert.ok(processes.length >= 3, `make, dev.sh, the gateway and nginx: ${processes}`);

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto('https://localhost:30001/admin/');
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByTestId('tick').waitFor({ timeout: 15_000 });
      assert.equal(await page.getByTestId('operator').textContent(), username);
    } finally {
      await browser.close();
    }
  } finally {
    process.kill(-dev.child.pid, 'SIGINT');
    await Promise.race([dev.exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
  assert.match(dev.output(), /Stopping/);
  await until('every process of make dev to exit', () => processes.every((p) => !alive(p)), 10_000)
    .catch(() => assert.fail(`still running: ${processes.filter(alive).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8'))}`));
  for (const port of PORTS) assert.deepEqual(listeners(port), [], `port ${port} is still taken`);
  assert.ok(!existsSync(`/proc/${dev.child.pid}`) || !alive(dev.child.pid));
});
