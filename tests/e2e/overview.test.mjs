// The overview: live status, pause/resume, lag levels, polling only while visible, outages.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { countRequests, dev, launchBrowser, loginAndWait, setVisibility, shownTick, withPage } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

test('pausing asks first, stops the clock, and shows a banner on every page until resumed', async () => {
  await withPage(browser, 'pause-resume', async (page) => {
    await loginAndWait(page);
    await page.getByRole('button', { name: 'Pause game' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause the game?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await dialog.count(), 0);
    assert.equal(await page.getByTestId('game-state').textContent(), 'Running');

    await page.getByRole('button', { name: 'Pause game' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Pause game' }).click();
    await page.getByText('Game paused', { exact: true }).waitFor();
    await page.getByTestId('game-state').filter({ hasText: 'Paused' }).waitFor();
    const banner = page.getByText('The game is paused.', { exact: false });
    await banner.waitFor();
    const frozen = await shownTick(page);
    await page.waitForTimeout(2500);
    assert.equal(await shownTick(page), frozen, 'no ticks while paused');

    for (const link of ['Runtime config', 'Players', 'Services']) {
      await page.getByRole('link', { name: link }).click();
      await banner.waitFor();
    }
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Resume game' }).click();
    await page.getByTestId('game-state').filter({ hasText: 'Running' }).waitFor();
    await banner.waitFor({ state: 'detached' });
  });
});

test('ticks behind are a warning above 1 and critical above 5', async () => {
  await withPage(browser, 'lag', async (page) => {
    await loginAndWait(page);
    await dev('PUT', '/tick-capacity', { ticks_per_second: 0 });
    await page.locator('.card.lag.warning').waitFor({ timeout: 8000 });
    await page.locator('.card.lag.critical').waitFor({ timeout: 12_000 });
  });
});

test('status is polled only while the tab is visible, and at once when it comes back', async () => {
  await withPage(browser, 'visibility', async (page) => {
    await loginAndWait(page);
    await page.getByTestId('tick').waitFor();
    await setVisibility(page, 'hidden');
    const hidden = countRequests(page, '/admin/game/status');
    await page.waitForTimeout(5000);
    assert.equal(hidden.count, 0, 'nothing while hidden');
    const shown = countRequests(page, '/admin/game/status');
    await setVisibility(page, 'visible');
    await page.waitForTimeout(500);
    assert.equal(shown.count, 1, 'one check on becoming visible');
  });
});

test('a gateway outage shows one banner, backs off, and recovers by itself', async () => {
  await withPage(browser, 'outage', async (page) => {
    await loginAndWait(page);
    await page.getByTestId('tick').waitFor();
    await dev('POST', '/faults', { path_prefix: '/admin/game/status', count: 2, status: 503 });
    const banner = page.locator('.banner.outage');
    await banner.waitFor({ timeout: 8000 });
    assert.equal(await banner.count(), 1);
    assert.match(await banner.textContent(), /^The Galaxy gateway is unavailable \(HTTP 503\)\. Retrying automatically\.$/);
    assert.equal(await page.locator('.toast').count(), 0, 'no toasts for an outage');
    // Checks every 2 s; after each failure the wait doubles (4 s, then 8 s), so the
    // third check, about 12 s after the first failure, succeeds without a reload.
    const failedAt = Date.now();
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    assert.ok(Date.now() - failedAt >= 9000, 'it backed off rather than hammering the gateway');
    const before = await shownTick(page);
    await page.waitForFunction(
      (b) => Number(document.querySelector('[data-testid="tick"]').textContent.replace(/\D/g, '')) > b, before, { timeout: 8000 },
    );
  }, { allowConsoleErrors: true });
});

test('a dropped connection and a malformed answer are readable errors, never a crash', async () => {
  await withPage(browser, 'dropped-malformed', async (page) => {
    await dev('POST', '/faults', { path_prefix: '/admin/game/status', count: 50, drop: true });
    await loginAndWait(page);
    await page.getByText('Cannot reach the Galaxy gateway.', { exact: false }).first().waitFor({ timeout: 8000 });
    await dev('DELETE', '/faults');
    await page.locator('.banner.outage').waitFor({ state: 'detached', timeout: 40_000 });
    await dev('POST', '/faults', { path_prefix: '/admin/config', malformed: true });
    await page.getByRole('link', { name: 'Runtime config' }).click();
    await page.getByText('The gateway sent a response the dashboard cannot read', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('tr[data-key="tick_rate"]').waitFor();
  }, { allowConsoleErrors: true });
});
