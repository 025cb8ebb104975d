// Measures what operators feel, for every app side by side; prints and writes
// bench/results/latest.{md,json}. Figures only: nothing here asserts a time.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { chromium } from '../tests/e2e/node_modules/playwright-core/index.mjs';
import { contributors } from './wasm-contributors.mjs';

/** The nginx container's memory request and limit, as the Deployment has them, to compare the RSS with. */
function podMemory() {
  const deployment = readFileSync(join(import.meta.dirname, '..', 'k8s', 'base', 'deployment.yaml'), 'utf8');
  const [, request, limit] = deployment.match(/requests:\s+cpu: \S+\s+memory: (\S+)\s+limits:\s+cpu: \S+\s+memory: (\S+)/);
  return `${request} request, ${limit} limit`;
}

const env = (name, fallback) => process.env[name] ?? fallback ?? (() => { throw new Error(`${name} is not set: run scripts/bench.sh`); })();
const APPS = Object.fromEntries(env('BENCH_APPS').split(',').map((kv) => kv.split('=')));
const DISTS = Object.fromEntries(env('BENCH_DISTS').split(',').map((kv) => kv.split('=')));
const RUNS = Number(env('BENCH_RUNS', '5'));
const IDLE_SECONDS = Number(env('BENCH_IDLE_SECONDS', '300'));
const [USER, PASSWORD] = [env('ADMIN_USERNAME'), env('ADMIN_PASSWORD')];
const SLOW = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };

// What differs between the apps' pages. Every app's login form has inputs named
// username and password and a submit button; the floor stops there.
const UI = {
  // charts: what shows the overview's history drawn (the gateway serves a demo day of it).
  dashboard: {
    overview: true,
    charts: '[data-testid="chart"] path.band[d^="M"]',
    players: { search: '#player-search', names: 'table.players td.name', debounceMs: 300 },
  },
  'react-admin': { overview: true, players: { search: 'input[name=search]', names: 'td.column-username', debounceMs: 500 } },
  'leptos-floor': { overview: false, players: null },
};
const hasOverview = (app) => UI[app].overview;

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

/** The login form accepts input: its username field is there and enabled. */
async function loginReady(page) {
  await page.waitForFunction(() => { const el = document.querySelector('input[name=username]'); return el && !el.disabled; }, null, { polling: 'raf' });
}

async function logIn(page) {
  await page.locator('input[name=username]').fill(USER);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('button[type=submit]').click();
}

async function overviewLive(page) {
  await page.getByTestId('tick').waitFor({ timeout: 60_000 });
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
    const t1 = Date.now();
    await logIn(s.page);
    await overviewLive(s.page);
    const overviewMs = Date.now() - t1;
    let chartsMs = null;
    if (UI[app].charts) {
      await s.page.locator(UI[app].charts).first().waitFor({ state: 'attached', timeout: 60_000 });
      chartsMs = Date.now() - t1;
    }
    await s.page.waitForTimeout(500);
    return { login, overview: { ms: overviewMs, chartsMs, bytes: s.traffic.bytes, files: { ...s.traffic.files } } };
  } finally {
    await s.context.close();
  }
}

/** A page whose HTTP cache holds the login page and everything it loaded. */
async function primedPage(app) {
  const s = await instrumentedPage({ throttle: false, cold: false });
  await s.page.goto(`${APPS[app]}/admin/login`);
  await loginReady(s.page);
  await s.page.waitForLoadState('networkidle');
  return s;
}

/** Reloads the page: how soon the login form is usable, and what crossed the wire. */
async function timedReload(s) {
  s.reset();
  const t0 = Date.now();
  await s.page.reload({ waitUntil: 'commit' });
  await loginReady(s.page);
  const ms = Date.now() - t0;
  await s.page.waitForLoadState('networkidle');
  return { ms, bytes: s.traffic.bytes, files: { ...s.traffic.files } };
}

/** A reload of the login page with the cache primed by a first load: how soon it is usable, and what still crosses the wire. */
async function warmReload(app) {
  const s = await primedPage(app);
  try {
    const runs = [];
    for (let i = 0; i < RUNS; i += 1) runs.push(await timedReload(s));
    return { ms: median(runs.map((r) => r.ms)), bytes: median(runs.map((r) => r.bytes)), files: runs[0].files };
  } finally {
    await s.context.close();
  }
}

/** Makes `to` a copy of `from`; with `clean`, nothing else stays in it (the directory itself
 * stays: nginx serves it through a bind mount). */
function mirror(from, to, clean) {
  if (clean) for (const f of readdirSync(to)) rmSync(join(to, f), { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

/** An update to the next release (BENCH_UPDATES: app=served dir=next dist): the cache primed
 * with the release served, the next one put in place as the image build does (the old hashed
 * files kept), then a reload: only what changed should cross the wire. */
async function update(app, served, next) {
  const current = join(os.tmpdir(), `bench-current-${app}`);
  rmSync(current, { recursive: true, force: true });
  cpSync(served, current, { recursive: true });
  const s = await primedPage(app);
  try {
    mirror(next, served, false);
    const reload = await timedReload(s);
    const version = await s.page.evaluate(async () => (await (await fetch('/admin/version.json', { cache: 'no-store' })).json()).version);
    return { ...reload, version };
  } finally {
    mirror(current, served, true);
    await s.context.close();
  }
}

/** From typing a search to a table of only matching names, each app with its own debounce. */
async function searchPlayers(app) {
  const ui = UI[app].players;
  const s = await instrumentedPage({ throttle: false, cold: false });
  try {
    await s.page.goto(`${APPS[app]}/admin/login`);
    await logIn(s.page);
    await overviewLive(s.page);
    await s.page.goto(`${APPS[app]}/admin/players`);
    await s.page.locator(ui.names).first().waitFor({ timeout: 60_000 });
    const times = [];
    for (const term of ['nova_ace', 'zenith_fox', 'comet_hawk9', 'ion_scout1', 'vega_spark2'].slice(0, Math.max(RUNS, 1))) {
      const t0 = Date.now();
      await s.page.locator(ui.search).fill(term);
      await s.page.waitForFunction(({ t, names }) => {
        const shown = [...document.querySelectorAll(names)].map((td) => td.textContent);
        return shown.length > 0 && shown.every((n) => n.includes(t));
      }, { t: term, names: ui.names }, { timeout: 30_000, polling: 'raf' });
      times.push(Date.now() - t0);
    }
    return { ms: median(times), runs: times, debounceMs: ui.debounceMs };
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

/** The app's code as served: its wasm, or for a JS app its biggest script. */
function mainBundle(app) {
  const files = readdirSync(DISTS[app]).filter((f) => /\.(wasm|js)$/.test(f));
  const wasm = files.find((f) => f.endsWith('.wasm'));
  return wasm ?? files.sort((a, b) => statSync(join(DISTS[app], b)).size - statSync(join(DISTS[app], a)).size)[0];
}

function nginxLoad(app) {
  const base = APPS[app];
  const result = {};
  for (const [label, path] of [['index.html', '/admin/'], ['bundle', `/admin/${mainBundle(app)}`]]) {
    const out = execFileSync('wrk', ['-t2', '-c50', '-d20s', '--latency', '-H', 'Accept-Encoding: gzip', `${base}${path}`], { encoding: 'utf8' });
    const p99 = out.match(/^\s+99%\s+([\d.]+)(us|ms|s)/m);
    const toMs = { us: 0.001, ms: 1, s: 1000 };
    result[label] = { path, rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]), p99Ms: Number(p99[1]) * toMs[p99[2]] };
  }
  const pids = pidsListeningOn(Number(new URL(base).port));
  result.peakRssMiB = pids.reduce((sum, pid) => sum + Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)[1]), 0) / 1024;
  result.processes = pids.length;
  return result;
}

/** One tab left open on the overview (the login form for the floor), visible or
 * hidden. Opens and logs in now; `measure()` then counts what it fetches per minute
 * and how its heap grows over IDLE_SECONDS. */
async function openIdleTab(app, hidden) {
  // A tab left open all day has a warm cache: preflights and revalidations behave as in use.
  const s = await instrumentedPage({ throttle: false, cold: false });
  await s.page.goto(`${APPS[app]}/admin/login`);
  await loginReady(s.page);
  if (hasOverview(app)) {
    await logIn(s.page);
    await overviewLive(s.page);
    // The dashboard's overview idles with its charts drawn and kept live.
    if (UI[app].charts) await s.page.locator(UI[app].charts).first().waitFor({ state: 'attached', timeout: 60_000 });
  }
  if (hidden) {
    await s.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      Object.defineProperty(document, 'hidden', { value: true, configurable: true });
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    });
  }
  const heap = async () => { await s.cdp.send('HeapProfiler.collectGarbage'); return (await s.cdp.send('Runtime.getHeapUsage')).usedSize; };
  return {
    async measure() {
      try {
        s.reset();
        const before = await heap();
        await s.page.waitForTimeout(IDLE_SECONDS * 1000);
        const minutes = IDLE_SECONDS / 60;
        return { requestsPerMin: s.traffic.requests / minutes, bytesPerMin: s.traffic.bytes / minutes, heapGrowthKiB: ((await heap()) - before) / 1024 };
      } finally {
        await s.context.close();
      }
    },
  };
}

const apps = Object.keys(APPS);
// The idle tabs (every app, visible and hidden side by side) stay open through the
// timed measures below: they are counted, not timed, and once logged in they poll
// every few seconds at most, which costs each cold load alike. This keeps one run
// of the whole benchmark under 15 minutes.
const idleTabs = [];
for (const app of apps) idleTabs.push([app, await openIdleTab(app, false), await openIdleTab(app, true)]);
console.log(`idle tabs: ${idleTabs.length * 2} open for ${IDLE_SECONDS} s`);
const idlePending = Promise.all(idleTabs.map(async ([app, visible, hidden]) => {
  const [v, h] = await Promise.all([visible.measure(), hidden.measure()]);
  return [app, { visible: v, hidden: h }];
}));

const figures = Object.fromEntries(apps.map((app) => [app, { cold: [], throttled: [] }]));
for (let run = 0; run < RUNS; run += 1) {
  for (const app of apps) { // interleaved, so drift hits every app alike
    figures[app].cold.push(await coldLoad(app, false));
    figures[app].throttled.push(await coldLoad(app, true));
  }
  console.log(`cold loads: run ${run + 1} of ${RUNS} done`);
}
const warm = {};
for (const app of apps) warm[app] = await warmReload(app);
console.log('warm reloads: done');
const updates = {};
for (const spec of (process.env.BENCH_UPDATES ?? '').split(',').filter(Boolean)) {
  const [app, served, next] = spec.split('=');
  updates[app] = await update(app, served, next);
}
console.log('updates: done');
const search = {};
for (const app of apps.filter((a) => UI[a].players)) search[app] = await searchPlayers(app);
console.log('players search: done');
const load = Object.fromEntries(apps.map((app) => [app, nginxLoad(app)]));
console.log('nginx load: done');
const idleResults = Object.fromEntries(await idlePending);
await browser.close();

const gz = (file) => { try { return statSync(`${file}.gz`).size; } catch { return null; } };
const size = (app) => {
  const files = readdirSync(DISTS[app]);
  const measure = (ext) => {
    const picked = files.filter((f) => f.endsWith(ext)).map((f) => join(DISTS[app], f));
    if (picked.length === 0) return null;
    return { raw: picked.reduce((n, f) => n + statSync(f).size, 0), gz: picked.reduce((n, f) => n + (gz(f) ?? statSync(f).size), 0) };
  };
  return { wasm: measure('.wasm'), js: measure('.js') };
};
const summary = Object.fromEntries(apps.map((app) => {
  const f = figures[app];
  const m = (runs, key, field) => median(runs.map((r) => r[key]?.[field]).filter((x) => x != null));
  const timings = (runs) => runs.map((r) => ({ login: r.login.ms, overview: r.overview?.ms ?? null }));
  return [app, {
    ...size(app),
    loginBytes: m(f.cold, 'login', 'bytes'),
    loginFiles: f.cold[0].login.files,
    overviewBytes: m(f.cold, 'overview', 'bytes'),
    overviewFiles: f.cold[0].overview?.files ?? null,
    loginReadyMs: m(f.cold, 'login', 'ms'),
    loginReadyThrottledMs: m(f.throttled, 'login', 'ms'),
    overviewLiveMs: m(f.cold, 'overview', 'ms'),
    overviewLiveThrottledMs: m(f.throttled, 'overview', 'ms'),
    chartsDrawnMs: m(f.cold, 'overview', 'chartsMs'),
    chartsDrawnThrottledMs: m(f.throttled, 'overview', 'chartsMs'),
    runs: { cold: timings(f.cold), throttled: timings(f.throttled) },
    warmReload: warm[app],
    update: updates[app] ?? null,
    idle: idleResults[app],
    playersSearch100k: search[app] ?? null,
    nginx: load[app],
  }];
}));

const version = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim(); } catch { return 'unknown'; } };
const packageVersion = (dir, name) => JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
const peerDir = join(import.meta.dirname, 'react-admin');
const result = {
  measured_at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), kernel: os.release() },
  versions: {
    dashboard: JSON.parse(readFileSync(join(DISTS.dashboard, 'version.json'), 'utf8')),
    leptos: readFileSync(join(import.meta.dirname, '..', 'Cargo.lock'), 'utf8').match(/name = "leptos"\nversion = "([^"]+)"/)?.[1],
    'react-admin': Object.fromEntries(['react-admin', 'react', '@mui/material', 'vite'].map((p) => [p, packageVersion(peerDir, p)])),
    rustc: version('rustc', ['--version']), trunk: version('trunk', ['--version']), chromium: version('/usr/bin/chromium', ['--version']),
    nginx: version('sh', ['-c', 'nginx -v 2>&1']), node: process.version, wrk: version('sh', ['-c', 'wrk -v 2>&1 | head -1']),
  },
  settings: { runs: RUNS, idle_seconds: IDLE_SECONDS, idle_tabs: 'visible and hidden side by side, during the other measures', throttling: { cpu: 4, ...SLOW } },
  apps: summary,
  dashboard_wasm_contributors: contributors(readFileSync(join(env('BENCH_WORK'), 'twiggy.csv'), 'utf8')),
};

const wasmParts = result.dashboard_wasm_contributors;
const kb = (b) => (b == null ? 'n/a' : `${(b / 1000).toFixed(1)} KB`);
const ms = (x) => (x == null ? 'n/a' : `${Math.round(x)} ms`);
const rawGz = (x) => (x == null ? 'n/a' : `${kb(x.raw)} / ${kb(x.gz)}`);
const perMin = (x) => `${x.requestsPerMin.toFixed(1)} / ${kb(x.bytesPerMin)}`;
const served = (n) => `${Math.round(n.rps)} req/s, p99 ${n.p99Ms.toFixed(1)} ms`;
const row = (label, fn) => `| ${label} | ${apps.map((a) => fn(summary[a])).join(' | ')} |`;
const byFile = (files) => Object.entries(files).map(([f, b]) => `${f} ${kb(b)}`).join(', ');
const md = [
  `Measured ${result.measured_at} on ${result.machine.cpus} CPUs (${result.machine.cpu}), ${result.machine.memory_gib} GiB; medians of ${RUNS} interleaved runs; throttled = CPU 4x, 1.6 Mbit/s, 150 ms RTT; idle tabs ${IDLE_SECONDS / 60} min each.`,
  '',
  `| | ${apps.join(' | ')} |`,
  `|---|${apps.map(() => '---').join('|')}|`,
  row('wasm raw / compressed', (s) => rawGz(s.wasm)),
  row('JS raw / compressed', (s) => rawGz(s.js)),
  row('cold login load, bytes on the wire', (s) => kb(s.loginBytes)),
  row('overview after login, bytes on the wire', (s) => kb(s.overviewBytes)),
  row('login form usable (unthrottled)', (s) => ms(s.loginReadyMs)),
  row('login form usable (throttled)', (s) => ms(s.loginReadyThrottledMs)),
  row('overview live after login (unthrottled)', (s) => ms(s.overviewLiveMs)),
  row('overview live after login (throttled)', (s) => ms(s.overviewLiveThrottledMs)),
  row('overview charts drawn after login, unthrottled / throttled', (s) => (s.chartsDrawnMs == null ? 'n/a' : `${ms(s.chartsDrawnMs)} / ${ms(s.chartsDrawnThrottledMs)}`)),
  row('warm reload (cache primed): login usable / bytes on the wire', (s) => `${ms(s.warmReload.ms)} / ${kb(s.warmReload.bytes)}`),
  row('update to the next release: login usable / bytes on the wire', (s) => (s.update ? `${ms(s.update.ms)} / ${kb(s.update.bytes)}` : 'n/a')),
  row('idle tab, visible: requests / bytes per min', (s) => perMin(s.idle.visible)),
  row('idle tab, hidden: requests / bytes per min', (s) => perMin(s.idle.hidden)),
  row('idle tab, JS heap growth visible / hidden (dashboard: charts live)', (s) => `${s.idle.visible.heapGrowthKiB.toFixed(0)} / ${s.idle.hidden.heapGrowthKiB.toFixed(0)} KiB`),
  row('players search, 100000 players (debounce included)', (s) => (s.playersSearch100k ? `${ms(s.playersSearch100k.ms)} (debounce ${s.playersSearch100k.debounceMs} ms)` : 'n/a')),
  row('nginx, index.html at 50 connections', (s) => served(s.nginx['index.html'])),
  row('nginx, main bundle (wasm, or JS) at 50 connections', (s) => served(s.nginx.bundle)),
  row(`nginx peak RSS, all processes (pod: ${podMemory()})`, (s) => `${s.nginx.peakRssMiB.toFixed(1)} MiB`),
  '',
  'Cold login load by file (compressed, as served):',
  '',
  ...apps.map((a) => `- ${a}: ${byFile(summary[a].loginFiles)}`),
  '',
  'Update to the next release by file (what crossed the wire):',
  '',
  ...apps.filter((a) => summary[a].update).map((a) => `- ${a} (to ${summary[a].update.version}): ${byFile(summary[a].update.files)}`),
  '',
  'Overview after login by file:',
  '',
  ...apps.filter((a) => summary[a].overviewFiles).map((a) => `- ${a}: ${byFile(summary[a].overviewFiles)}`),
  '',
  `Biggest contributors to the dashboard wasm (twiggy, before wasm-opt, custom sections left out: ${kb(wasmParts.totalBytes)} in ${wasmParts.items} items). Generic code counts for the crate that defines it, so reactive_graph and tachys include the app's own reactive closures and views:`,
  '',
  '| crate | bytes | share |',
  '|---|---|---|',
  ...wasmParts.crates.map((c) => `| ${c.name} | ${kb(c.bytes)} | ${c.percent.toFixed(1)} % |`),
  '',
  '| biggest items | bytes |',
  '|---|---|',
  ...wasmParts.functions.slice(0, 10).map((f) => `| \`${f.name.replace(/\|/g, '\\|')}\` | ${kb(f.bytes)} |`),
].join('\n');
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(import.meta.dirname, 'results', 'latest.md'), `${md}\n`);
console.log(md);
