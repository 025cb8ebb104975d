// Shared by the browser tests: Debian's Chromium through playwright-core, the
// dashboard served by the project's nginx config, the reference gateway's dev controls.
import { mkdirSync } from 'node:fs';
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
export async function withPage(browser, name, fn, { allowConsoleErrors = false } = {}) {
  // The local certificate is self-signed or from a local CA; the handshake is still real TLS.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
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

/** Calls a dev control of the reference gateway (only there with --dev-controls). */
export async function dev(method, path, body) {
  const response = await fetch(`${env.gateway}/__dev${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`dev control ${method} ${path}: HTTP ${response.status}`);
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
