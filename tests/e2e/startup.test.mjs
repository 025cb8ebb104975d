// Start-up: config.js problems, the environment badge, the loading indicator, the crash screen, not found.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { defaultConfig, dev, env, launchBrowser, loginAndWait, withPage, writeConfig } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });
afterEach(() => writeConfig(defaultConfig()));

const configErrorCases = [
  ['a missing config.js', null, /window\.GALAXY_CONFIG is not defined/],
  ['a config.js without API_BASE_URL', { ENVIRONMENT: 'dev' }, /API_BASE_URL is required/],
  ['a plain-http API_BASE_URL', { API_BASE_URL: 'http://gateway/api' }, /API_BASE_URL must be an absolute https URL/],
  ['an unknown environment', { API_BASE_URL: '/api', ENVIRONMENT: 'production' }, /ENVIRONMENT must be dev, staging or prod/],
  ['a misspelt key', { API_BASE_URL: '/api', STATUS_POLL: 5 }, /STATUS_POLL is not a known setting/],
];

for (const [name, config, message] of configErrorCases) {
  test(`${name} shows a configuration error naming the key and the file`, async () => {
    writeConfig(config);
    await withPage(browser, `config-${name}`, async (page) => {
      await page.goto(`${env.dashboard}/admin/overview/deep/link`);
      await page.getByRole('heading', { name: 'The dashboard is not configured' }).waitFor();
      assert.match(await page.locator('.config-error').textContent(), message);
      assert.match(await page.locator('.fatal').textContent(), /\/admin\/config\.js/);
    }, { allowConsoleErrors: config === null }); // a missing file is a 404 in the console
  });
}

test('the environment badge is on every page and prod stands out', async () => {
  await withPage(browser, 'env-badge', async (page) => {
    await loginAndWait(page);
    assert.equal(await page.getByTestId('environment').textContent(), 'DEV');
    await page.getByRole('link', { name: 'Players' }).click();
    assert.equal(await page.getByTestId('environment').textContent(), 'DEV');
  });
  writeConfig({ ...defaultConfig(), ENVIRONMENT: 'prod' });
  await withPage(browser, 'env-badge-prod', async (page) => {
    await loginAndWait(page);
    const badge = page.getByTestId('environment');
    assert.equal(await badge.textContent(), 'PROD');
    const background = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(background, 'rgba(0, 0, 0, 0)', 'prod has a filled, loud badge');
  });
});

test('index.html takes the login at once; the app takes over what was typed, focus and a submit, without a flash', async () => {
  const html = await (await fetch(`${env.dashboard}/admin/`)).text();
  assert.match(html, /id="?boot"?[^>]*role="?status"?/);
  assert.match(html, /Loading Galaxy admin/, 'without JavaScript the indicator stays');
  await withPage(browser, 'early-login', async (page) => {
    // The app's wasm is held back until the form has been used.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route(/_bg\.wasm/, async (route) => { await held; await route.continue(); });
    await page.goto(`${env.dashboard}/admin/players?search=nova`);
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill(env.password);
    await page.getByLabel('Password').press('Enter');
    assert.equal(await page.evaluate(() => window.wasmBindings), undefined, 'typed before the app ran');
    // Every frame from here on has a login card or the shell: nothing blank in between.
    await page.evaluate(() => {
      window.__blank = 0;
      const watch = () => {
        if (!document.querySelector('.login-card, .shell')) window.__blank += 1;
        requestAnimationFrame(watch);
      };
      requestAnimationFrame(watch);
    });
    release();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.waitForURL(/\/admin\/players\?search=nova$/);
    assert.equal(await page.evaluate(() => window.__blank), 0, 'no frame without the form or the shell');
    assert.equal(await page.locator('#boot, #boot-login, #boot-frame').count(), 0, 'the static page is gone');
  });
  await withPage(browser, 'early-login-focus', async (page) => {
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route(/_bg\.wasm/, async (route) => { await held; await route.continue(); });
    await page.goto(`${env.dashboard}/admin/login`);
    await page.getByLabel('Username').fill('half_typ');
    release();
    await page.waitForFunction(() => window.wasmBindings !== undefined);
    await page.keyboard.type('ed');
    assert.equal(await page.getByLabel('Username').inputValue(), 'half_typed', 'the focus stayed in the field');
  });
});

test('a deep link of a signed-in tab shows the shell\'s frame before the app runs', async () => {
  await withPage(browser, 'early-frame', async (page) => {
    await loginAndWait(page, '/');
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route(/_bg\.wasm/, async (route) => { await held; await route.continue(); });
    await page.goto(`${env.dashboard}/admin/audit`);
    await page.locator('#boot-frame .sidebar').waitFor();
    assert.equal(await page.locator('#boot-login').isVisible(), false);
    release();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  });
});

test('a page whose module does not arrive says so, keeps the shell, and Retry loads it', async () => {
  await withPage(browser, 'page-module-lost', async (page) => {
    // The audit page's code comes in its own module (src/app/chunks.rs), asked for only
    // when the page is first shown; it is asked three times (with pauses) before the page
    // gives up, and here all three fail as a dropped connection would.
    const asked = [];
    await page.route(/\/admin\/split_audit-[0-9a-f]{16}\.wasm$/, async (route) => {
      asked.push(route.request().url());
      if (asked.length <= 3) await route.abort('connectionreset');
      else await route.continue();
    });
    await loginAndWait(page, '/');
    assert.equal(asked.length, 0, 'the overview does not load the audit page\'s module');
    await page.getByRole('link', { name: 'Audit log' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load this page' });
    await alert.waitFor();
    assert.equal(asked.length, 3, 'asked three times before giving up');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), true, 'the shell stays');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    assert.equal(asked.length, 4, `asked three times, then again on Retry: ${asked.join(', ')}`);
    assert.equal(await alert.count(), 0);
  }, { allowConsoleErrors: true }); // the lost module is logged in the console
});

test('a panic replaces the page with a readable message and a reload button', async () => {
  await withPage(browser, 'panic', async (page) => {
    await page.goto(`${env.dashboard}/admin/login`);
    await page.getByLabel('Username').waitFor();
    await page.evaluate(() => { try { window.wasmBindings.crash_for_diagnostics(); } catch { /* the trap */ } });
    await page.getByRole('heading', { name: 'The dashboard stopped' }).waitFor();
    assert.match(await page.locator('.fatal-detail').textContent(), /crash requested for diagnostics/);
    await page.getByRole('link', { name: 'Reload' }).click();
    await page.getByLabel('Username').waitFor();
  }, { allowConsoleErrors: true });
});

test('unknown routes inside /admin show a not-found page in the shell', async () => {
  await withPage(browser, 'not-found', async (page) => {
    await loginAndWait(page, '/warp/drive');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.equal(await page.title(), 'Not found · Galaxy admin');
    await page.getByRole('link', { name: 'Go to the overview' }).click();
    await page.getByTestId('tick').waitFor();
  });
});
