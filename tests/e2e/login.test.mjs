import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { dev, env, launchBrowser, login, shownTick, withPage } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

test('an operator logs in through nginx and sees the game ticking', async () => {
  await withPage(browser, 'login-and-tick', async (page) => {
    await page.goto(`${env.dashboard}/admin/`);
    await page.waitForURL(/\/admin\/login\?next=%2F$/);
    assert.equal(await page.title(), 'Log in · Galaxy admin');

    await login(page, '/');
    await page.waitForURL(/\/admin\/?$/);
    await page.getByTestId('tick').waitFor();
    assert.equal(await page.title(), 'Overview · Galaxy admin');
    assert.equal(await page.getByTestId('game-state').textContent(), 'Running');
    assert.match(await page.getByTestId('game-time').textContent(), /^2000-01-01 12:\d\d:\d\d UTC$/);

    const first = await shownTick(page);
    await page.waitForFunction(
      (before) => Number(document.querySelector('[data-testid="tick"]').textContent.replace(/\D/g, '')) > before,
      first,
      { timeout: 10_000 },
    );
    assert.ok((await shownTick(page)) > first, 'the tick advances without a reload');
  });
});

test('bad credentials get a clear message and no session', async () => {
  await withPage(browser, 'bad-credentials', async (page) => {
    await page.goto(`${env.dashboard}/admin/login`);
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Incorrect username or password.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  }, { allowConsoleErrors: true }); // the browser logs the 401 itself
});
