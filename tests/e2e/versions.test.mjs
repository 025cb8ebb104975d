// Version awareness: the new-build banner and the services toast.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { dev, launchBrowser, loginAndWait, runningVersion, withPage, writeServedVersion } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });
afterEach(() => writeServedVersion(runningVersion()));

const bump = (version, part) => {
  const [major, minor, patch] = version.split('.').map(Number);
  return part === 'minor' ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
};

test('a newer dashboard build shows a persistent refresh banner', async () => {
  await withPage(browser, 'new-build', async (page) => {
    await loginAndWait(page);
    const newer = bump(runningVersion(), 'minor');
    writeServedVersion(newer);
    const banner = page.getByText(`New admin dashboard v${newer} available — refresh to update`);
    await banner.waitFor({ timeout: 10_000 });
    writeServedVersion(runningVersion());
    await page.waitForTimeout(2500);
    assert.ok(await banner.isVisible(), 'it stays once shown');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByTestId('tick').waitFor();
    await page.waitForTimeout(2500);
    assert.equal(await banner.count(), 0, 'gone after the reload when the server is back to this build');
  });
});

test('an equal or older version.json never shows the banner', async () => {
  await withPage(browser, 'older-build', async (page) => {
    await loginAndWait(page);
    writeServedVersion('0.0.1');
    await page.waitForTimeout(4000);
    writeServedVersion(runningVersion());
    await page.waitForTimeout(3000);
    assert.equal(await page.getByText('New admin dashboard').count(), 0);
  });
});

test('a single poll of a newer version (one new pod mid-rollout) is not enough', async () => {
  await withPage(browser, 'one-poll', async (page) => {
    await loginAndWait(page);
    await page.waitForTimeout(1200);
    let served = 0;
    // Alternate old and new on each request, as two pods behind a round-robin would.
    await page.route('**/admin/version.json', (route) => {
      served += 1;
      const version = served % 2 ? bump(runningVersion(), 'patch') : runningVersion();
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ version }) });
    });
    await page.waitForTimeout(6000);
    assert.ok(served >= 4, `${served} polls`);
    assert.equal(await page.getByText('New admin dashboard').count(), 0);
  });
});

test('a backend deploy shows a short toast naming the service and both versions', async () => {
  await withPage(browser, 'services-toast', async (page) => {
    await loginAndWait(page);
    await page.waitForTimeout(1500); // the first poll learns the current versions
    await dev('PUT', '/services/physics', { version: '1.3.0' });
    const toast = page.getByText('Services updated: physics 1.2.0 → 1.3.0');
    await toast.waitFor({ timeout: 8000 });
    await toast.waitFor({ state: 'hidden', timeout: 15_000 });
    await page.waitForTimeout(2500);
    assert.equal(await page.getByText('Services updated').count(), 0, 'the new set is current: no repeat');
  });
});

test('version polling errors back off quietly, without toasts, and recover', async () => {
  await withPage(browser, 'versions-backoff', async (page) => {
    await loginAndWait(page);
    await dev('POST', '/faults', { path_prefix: '/versions', count: 100, status: 503 });
    const calls = [];
    page.on('request', (r) => { if (r.url().endsWith('/api/versions')) calls.push(Date.now()); });
    await page.waitForTimeout(8000);
    // 1 s interval doubling: 1, 2, 4 s -> between 2 and 4 calls in 8 s rather than 8.
    // At least 2: a poller that died after the first failure must fail this test.
    assert.ok(calls.length >= 2 && calls.length <= 4, `${calls.length} calls`);
    assert.equal(await page.locator('.toast').count(), 0);
    await dev('DELETE', '/faults');
    const before = calls.length;
    await page.waitForRequest((r) => r.url().endsWith('/api/versions'), { timeout: 20_000 });
    assert.ok(calls.length > before, 'polling goes on after the errors');
  }, { allowConsoleErrors: true });
});

test('a hung version.json is abandoned and the next check still happens', async () => {
  await withPage(browser, 'version-hung', async (page) => {
    let asked = 0;
    // The first request never gets an answer, as behind a stuck proxy.
    await page.route('**/admin/version.json', (route) => {
      asked += 1;
      if (asked === 1) return undefined;
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ version: runningVersion() }) });
    });
    let seen = 0;
    const second = new Promise((resolve) => {
      page.on('request', (r) => { if (r.url().endsWith('/admin/version.json') && (seen += 1) === 2) resolve(); });
    });
    await loginAndWait(page);
    // The check times out after 10 s, then the next is scheduled as after any failure.
    await Promise.race([second, page.waitForTimeout(30_000).then(() => { throw new Error(`${seen} requests in 30 s`); })]);
  });
});
