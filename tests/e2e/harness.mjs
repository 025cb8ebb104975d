// Shared by the browser tests: Debian's Chromium through playwright-core, the
// dashboard served by the project's nginx config, the reference gateway's dev controls.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through scripts/test.sh`);
  return value;
};

export const env = {
  dashboard: required('DASHBOARD_URL').replace(/\/$/, ''), // https://localhost:PORT
  gateway: required('GATEWAY_URL'), // https://localhost:PORT/api
  username: required('ADMIN_USERNAME'),
  password: required('ADMIN_PASSWORD'),
  artifacts: process.env.E2E_ARTIFACTS ?? join(import.meta.dirname, 'artifacts'),
};

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // Playwright gives every launch a fresh user-data-dir of its own.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * Runs `fn(page)` in a fresh browser context (fresh sessionStorage). Page errors
 * and console errors fail the test; a failure saves a screenshot.
 */
export async function withPage(browser, name, fn, { allowConsoleErrors = false, timezoneId } = {}) {
  // The local certificate is self-signed or from a local CA; the handshake is still real TLS.
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, timezoneId: timezoneId ?? 'UTC',
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}\n${e.stack}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowConsoleErrors) problems.push(`console error: ${m.text()}`);
  });
  try {
    await fn(page);
    if (problems.length) throw new Error(problems.join('\n'));
  } catch (error) {
    mkdirSync(env.artifacts, { recursive: true });
    const file = join(env.artifacts, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    error.message += `\n(screenshot: ${file})`;
    throw error;
  } finally {
    await context.close();
  }
}

/**
 * Calls a dev control of the reference gateway (only there with --dev-controls); its JSON,
 * if any. A string body is sent as it is: JSON text for numbers a JS number cannot hold.
 */
export async function dev(method, path, body) {
  const response = await fetch(`${env.gateway}/__dev${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`dev control ${method} ${path}: HTTP ${response.status}`);
  return response.status === 204 ? null : response.json().catch(() => null);
}

let apiToken;
/**
 * Calls the gateway's contract directly, as another operator or a scheduler would,
 * with a token of its own. Returns { status, body }.
 */
export async function api(method, path, body) {
  if (!apiToken) {
    const login = await fetch(`${env.gateway}/admin/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: env.username, password: env.password }),
    });
    if (!login.ok) throw new Error(`api login: HTTP ${login.status}`);
    apiToken = (await login.json()).access_token;
  }
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` };
  // A DELETE carries no body: its reason travels in a header (api/openapi.yaml, AuditReason).
  let payload = body;
  if (method === 'DELETE') {
    if (body?.reason) {
      headers['x-audit-log-reason'] = encodeURIComponent(body.reason)
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    }
    payload = undefined;
  }
  const response = await fetch(`${env.gateway}${path}`, {
    method,
    headers,
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  if (response.status === 401) { apiToken = undefined; return api(method, path, body); }
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The nth seeded player (1-based), in the gateway's username order. */
export async function seededPlayer(n) {
  const { body } = await api('GET', `/admin/players?limit=1&offset=${n - 1}`);
  return body.items[0];
}

/** Where the gateway's request log stands now, to wait for requests after it. */
export async function requestLogMark() {
  return (await dev('GET', '/requests?since=0')).next;
}

/**
 * Waits until the gateway has answered a request matching `match` ({ method, path,
 * status } — path is a string prefix or a RegExp) since `mark`; returns it. This is
 * how tests wait for the app instead of sleeping.
 */
export async function waitForRequest(mark, match, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  const hits = (r) => (!match.method || r.method === match.method)
    && (match.status === undefined || r.status === match.status)
    && (match.path instanceof RegExp ? match.path.test(r.path) : r.path.startsWith(match.path));
  for (;;) {
    const { items } = await dev('GET', `/requests?since=${mark}`);
    const found = items.find(hits);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(match)} request within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The requests matching `match` answered since `mark`. */
export async function requestsSince(mark, match) {
  const { items } = await dev('GET', `/requests?since=${mark}`);
  return items.filter((r) => (!match.method || r.method === match.method) && r.path.startsWith(match.path));
}

/** Logs in through the login form, starting from `path` (relative to /admin). */
export async function login(page, path = '/') {
  await page.goto(`${env.dashboard}/admin${path}`);
  await page.getByLabel('Username').fill(env.username);
  await page.getByLabel('Password').fill(env.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The tick shown on the overview, as a number. */
export async function shownTick(page) {
  const text = await page.getByTestId('tick').textContent();
  return Number(text.replace(/\D/g, ''));
}

/** Where the served dist and config.js live, so tests can simulate a deploy or a bad ConfigMap. */
const servedDist = () => required('E2E_DIST');
const servedConfig = () => required('E2E_CONFIG_DIR');

/** The config.js the tests normally run with. */
export const defaultConfig = () => ({
  API_BASE_URL: env.gateway,
  ENVIRONMENT: 'dev',
  VERSION_POLL_MS: 1000,
});

/** Replaces the served config.js (the ConfigMap); `null` removes it. */
export function writeConfig(config) {
  const file = join(servedConfig(), 'config.js');
  if (config === null) rmSync(file, { force: true });
  else writeFileSync(file, typeof config === 'string' ? config : `window.GALAXY_CONFIG = ${JSON.stringify(config)};\n`);
}

/** Replaces the served version.json, as a deploy of another build would. */
export function writeServedVersion(version) {
  writeFileSync(join(servedDist(), 'version.json'), `{"version":"${version}"}\n`);
}

export function runningVersion() {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'dist', 'version.json'), 'utf8')).version;
}

const axeSource = readFileSync(join(import.meta.dirname, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function seriousA11yViolations(page) {
  // evaluate() runs through DevTools, so the page's CSP does not block axe.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Counts requests whose URL contains `part`, from now on. */
export function countRequests(page, part) {
  const counter = { count: 0 };
  page.on('request', (r) => { if (r.url().includes(part)) counter.count += 1; });
  return counter;
}

/** Pretends the tab was hidden or shown, as switching tabs does. */
export async function setVisibility(page, state) {
  await page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { value: s, configurable: true });
    Object.defineProperty(document, 'hidden', { value: s === 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  }, state);
}

/** The password of the accounts tests create with `loginAs`. */
export const ACCOUNT_PASSWORD = 'correct horse battery';

/** Creates an account with `role` (a dev control) and logs in as it at `path`; returns the account. */
export async function loginAs(page, username, role, path = '/') {
  const account = await dev('POST', '/accounts', { username, password: ACCOUNT_PASSWORD, role });
  await page.goto(`${env.dashboard}/admin${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('role').filter({ hasText: role }).waitFor();
  return account;
}

/** Logs in at `path` and waits until the shell is there and knows the account's role. */
export async function loginAndWait(page, path = '/') {
  await login(page, path);
  await page.getByTestId('role').filter({ hasText: /\w/ }).waitFor();
}
