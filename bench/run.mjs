// Measures what operators feel, for every app side by side; prints and writes
// bench/results/latest.{md,json}. Figures only: nothing here asserts a time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { chromium } from '../tests/e2e/node_modules/playwright-core/index.mjs';

const env = (name, fallback) => process.env[name] ?? fallback ?? (() => { throw new Error(`${name} is not set: run scripts/bench.sh`); })();
const APPS = Object.fromEntries(env('BENCH_APPS').split(',').map((kv) => kv.split('=')));
const DISTS = Object.fromEntries(env('BENCH_DISTS').split(',').map((kv) => kv.split('=')));
const RUNS = Number(env('BENCH_RUNS', '5'));
const IDLE_SECONDS = Number(env('BENCH_IDLE_SECONDS', '300'));
const [USER, PASSWORD] = [env('ADMIN_USERNAME'), env('ADMIN_PASSWORD')];
const SLOW = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };
const hasOverview = (app) => app === 'dashboard';

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

/** A fresh page with a DevTools session that counts transferred bytes per URL. `cold`
 * disables the HTTP cache (and with it the CORS preflight cache, so only for loads). */
async function instrumentedPage({ throttle, cold = true }) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
  if (throttle) {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await cdp.send('Network.emulateNetworkConditions', SLOW);
  }
  const urls = new Map();
  const traffic = { requests: 0, bytes: 0, files: {} };
  cdp.on('Network.requestWillBeSent', (e) => { urls.set(e.requestId, e.request.url); traffic.requests += 1; });
  cdp.on('Network.loadingFinished', (e) => {
    traffic.bytes += e.encodedDataLength;
    const name = new URL(urls.get(e.requestId) ?? 'https://x/unknown').pathname.split('/').pop() || 'index.html';
    traffic.files[name] = (traffic.files[name] ?? 0) + e.encodedDataLength;
  });
  return { context, page, cdp, traffic, reset() { traffic.requests = 0; traffic.bytes = 0; traffic.files = {}; } };
}

async function loginReady(page) {
  await page.getByLabel('Username').waitFor();
  await page.waitForFunction(() => { const el = document.getElementById('username'); return el && !el.disabled; });
}

async function coldLoad(app, throttle) {
  const s = await instrumentedPage({ throttle });
  try {
    const t0 = Date.now();
    await s.page.goto(`${APPS[app]}/admin/login`, { waitUntil: 'commit' });
    await loginReady(s.page);
    const loginMs = Date.now() - t0;
    await s.page.waitForLoadState('networkidle');
    const login = { ms: loginMs, bytes: s.traffic.bytes, files: { ...s.traffic.files } };
    if (!hasOverview(app)) return { login };
    s.reset();
    await s.page.getByLabel('Username').fill(USER);
    await s.page.getByLabel('Password').fill(PASSWORD);
    const t1 = Date.now();
    await s.page.getByRole('button', { name: 'Log in' }).click();
    await s.page.getByTestId('tick').waitFor({ timeout: 60_000 });
    const overviewMs = Date.now() - t1;
    await s.page.waitForTimeout(500);
    return { login, overview: { ms: overviewMs, bytes: s.traffic.bytes, files: { ...s.traffic.files } } };
  } finally {
    await s.context.close();
  }
}

async function searchPlayers() {
  const s = await instrumentedPage({ throttle: false });
  try {
    await s.page.goto(`${APPS.dashboard}/admin/login?next=%2Fplayers`);
    await s.page.getByLabel('Username').fill(USER);
    await s.page.getByLabel('Password').fill(PASSWORD);
    await s.page.getByRole('button', { name: 'Log in' }).click();
    await s.page.locator('table.players tbody tr').first().waitFor({ timeout: 60_000 });
    const times = [];
    for (const [i, term] of ['nova_ace', 'zenith_fox', 'comet_hawk9', 'ion_scout1', 'vega_spark2'].slice(0, RUNS).entries()) {
      const t0 = Date.now();
      await s.page.locator('#player-search').fill(term);
      await s.page.waitForFunction((t) => {
        const names = [...document.querySelectorAll('table.players td.name')].map((td) => td.textContent);
        return (names.length > 0 && names.every((n) => n.includes(t))) || document.body.textContent.includes(`No players match “${t}”`);
      }, term, { timeout: 30_000 });
      times.push(Date.now() - t0);
      if (i === 0) await s.page.waitForTimeout(100);
    }
    return { ms: median(times), runs: times };
  } finally {
    await s.context.close();
  }
}

/** Host pids of the processes holding a listening socket on `port` (the nginx master and worker). */
function pidsListeningOn(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9]);
    }
  }
  const pids = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readdirSync(`/proc/${pid}/fd`).some((fd) => inodes.has((readlinkSync(`/proc/${pid}/fd/${fd}`).match(/socket:\[(\d+)\]/) ?? [])[1]))) pids.push(pid);
    } catch { /* gone, or not ours */ }
  }
  return pids;
}

function nginxLoad(app) {
  const base = APPS[app];
  const port = Number(new URL(base).port);
  const wasm = readdirSync(DISTS[app]).find((f) => f.endsWith('.wasm'));
  const result = {};
  for (const [label, path] of [['index.html', '/admin/'], ['wasm', `/admin/${wasm}`]]) {
    const out = execFileSync('wrk', ['-t2', '-c50', '-d20s', '--latency', '-H', 'Accept-Encoding: gzip', `${base}${path}`], { encoding: 'utf8' });
    const p99 = out.match(/^\s+99%\s+([\d.]+)(us|ms|s)/m);
    const toMs = { us: 0.001, ms: 1, s: 1000 };
    result[label] = { rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]), p99Ms: Number(p99[1]) * toMs[p99[2]] };
  }
  const pids = pidsListeningOn(port);
  result.peakRssMiB = pids.reduce((sum, pid) => sum + Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)[1]), 0) / 1024;
  result.processes = pids.length;
  return result;
}

async function idle(app) {
  // A tab left open all day has a warm cache: preflights and revalidations behave as in use.
  const s = await instrumentedPage({ throttle: false, cold: false });
  try {
    if (hasOverview(app)) {
      await s.page.goto(`${APPS[app]}/admin/login`);
      await s.page.getByLabel('Username').fill(USER);
      await s.page.getByLabel('Password').fill(PASSWORD);
      await s.page.getByRole('button', { name: 'Log in' }).click();
      await s.page.getByTestId('tick').waitFor({ timeout: 60_000 });
    } else {
      await s.page.goto(`${APPS[app]}/admin/login`);
      await loginReady(s.page);
    }
    const heap = async () => { await s.cdp.send('HeapProfiler.collectGarbage'); return (await s.cdp.send('Runtime.getHeapUsage')).usedSize; };
    const phase = async () => {
      s.reset();
      const before = await heap();
      await s.page.waitForTimeout(IDLE_SECONDS * 1000);
      const minutes = IDLE_SECONDS / 60;
      return { requestsPerMin: s.traffic.requests / minutes, bytesPerMin: s.traffic.bytes / minutes, heapGrowthKiB: ((await heap()) - before) / 1024 };
    };
    const visible = await phase();
    await s.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      Object.defineProperty(document, 'hidden', { value: true, configurable: true });
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    });
    const hidden = await phase();
    return { visible, hidden };
  } finally {
    await s.context.close();
  }
}

const figures = Object.fromEntries(Object.keys(APPS).map((app) => [app, { cold: [], throttled: [] }]));
for (let run = 0; run < RUNS; run += 1) {
  for (const app of Object.keys(APPS)) { // interleaved, so drift hits every app alike
    figures[app].cold.push(await coldLoad(app, false));
    figures[app].throttled.push(await coldLoad(app, true));
  }
}
const search = await searchPlayers();
const idleResults = Object.fromEntries(await Promise.all(Object.keys(APPS).map(async (app) => [app, await idle(app)])));
const load = Object.fromEntries(Object.keys(APPS).map((app) => [app, nginxLoad(app)]));
await browser.close();

const size = (app) => {
  const wasm = readdirSync(DISTS[app]).find((f) => f.endsWith('.wasm'));
  return { raw: statSync(join(DISTS[app], wasm)).size, gz: statSync(join(DISTS[app], `${wasm}.gz`)).size };
};
const summary = Object.fromEntries(Object.keys(APPS).map((app) => {
  const f = figures[app];
  const m = (runs, key, field) => median(runs.map((r) => r[key]?.[field]).filter((x) => x != null));
  return [app, {
    wasm: size(app),
    loginBytes: m(f.cold, 'login', 'bytes'),
    loginFiles: f.cold[0].login.files,
    overviewBytes: m(f.cold, 'overview', 'bytes'),
    loginReadyMs: m(f.cold, 'login', 'ms'),
    loginReadyThrottledMs: m(f.throttled, 'login', 'ms'),
    overviewLiveThrottledMs: m(f.throttled, 'overview', 'ms'),
    idle: idleResults[app],
    nginx: load[app],
  }];
}));
summary.dashboard.playersSearch100k = search;

const version = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0].trim(); } catch { return 'unknown'; } };
const result = {
  measured_at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), kernel: os.release() },
  versions: {
    dashboard: readFileSync(join(DISTS.dashboard, 'version.json'), 'utf8').trim(),
    rustc: version('rustc', ['--version']), trunk: version('trunk', ['--version']), chromium: version('/usr/bin/chromium', ['--version']),
    nginx: version('nginx', ['-v']) === '' ? execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' }).trim() : version('nginx', ['-v']),
    node: process.version, wrk: version('sh', ['-c', 'wrk -v 2>&1 | head -1']),
  },
  settings: { runs: RUNS, idle_seconds_per_phase: IDLE_SECONDS, throttling: { cpu: 4, ...SLOW } },
  apps: summary,
  twiggy_top: readFileSync(join(env('BENCH_WORK'), 'twiggy.txt'), 'utf8'),
};

const kb = (b) => (b == null ? 'n/a' : `${(b / 1000).toFixed(1)} KB`);
const ms = (x) => (x == null ? 'n/a' : `${Math.round(x)} ms`);
const apps = Object.keys(APPS);
const row = (label, fn) => `| ${label} | ${apps.map((a) => fn(summary[a])).join(' | ')} |`;
const md = [
  `Measured ${result.measured_at} on ${result.machine.cpus} CPUs (${result.machine.cpu}), ${result.machine.memory_gib} GiB; medians of ${RUNS} interleaved runs; throttled = CPU 4x, 1.6 Mbit/s, 150 ms RTT.`,
  '',
  `| | ${apps.join(' | ')} |`,
  `|---|${apps.map(() => '---').join('|')}|`,
  row('wasm raw / gzip', (s) => `${kb(s.wasm.raw)} / ${kb(s.wasm.gz)}`),
  row('cold login load, bytes on the wire', (s) => kb(s.loginBytes)),
  row('overview after login, bytes', (s) => kb(s.overviewBytes)),
  row('login form usable (unthrottled)', (s) => ms(s.loginReadyMs)),
  row('login form usable (throttled)', (s) => ms(s.loginReadyThrottledMs)),
  row('overview live after login (throttled)', (s) => ms(s.overviewLiveThrottledMs)),
  row(`idle tab, visible: requests / bytes per min`, (s) => `${s.idle.visible.requestsPerMin.toFixed(1)} / ${kb(s.idle.visible.bytesPerMin)}`),
  row(`idle tab, hidden: requests / bytes per min`, (s) => `${s.idle.hidden.requestsPerMin.toFixed(1)} / ${kb(s.idle.hidden.bytesPerMin)}`),
  row('idle tab, JS heap growth visible / hidden', (s) => `${s.idle.visible.heapGrowthKiB.toFixed(0)} / ${s.idle.hidden.heapGrowthKiB.toFixed(0)} KiB`),
  row('players search, 100000 players', (s) => (s.playersSearch100k ? ms(s.playersSearch100k.ms) : 'n/a')),
  row('nginx index.html: req/s, p99', (s) => `${Math.round(s.nginx['index.html'].rps)}, ${s.nginx['index.html'].p99Ms.toFixed(1)} ms`),
  row('nginx wasm: req/s, p99', (s) => `${Math.round(s.nginx.wasm.rps)}, ${s.nginx.wasm.p99Ms.toFixed(1)} ms`),
  row('nginx peak RSS, all processes (pod: 32Mi request, 64Mi limit)', (s) => `${s.nginx.peakRssMiB.toFixed(1)} MiB`),
  '',
  'Cold login load by file (compressed, as served):',
  '',
  ...apps.map((a) => `- ${a}: ${Object.entries(summary[a].loginFiles).map(([f, b]) => `${f} ${kb(b)}`).join(', ')}`),
  '',
  'Biggest contributors to the dashboard wasm (twiggy top, before wasm-opt):',
  '',
  '```',
  result.twiggy_top.trim(),
  '```',
].join('\n');
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(import.meta.dirname, 'results', 'latest.md'), `${md}\n`);
console.log(md);
