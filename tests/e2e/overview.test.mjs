// The overview: live status, pause/resume, lag levels, polling only while visible, outages.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import {
  api, countRequests, dev, env, launchBrowser, loginAndWait, requestLogMark, setVisibility, shownTick, waitForRequest, withPage,
} from './harness.mjs';

/** Waits until the gateway has answered `n` more status polls. */
async function polls(n) {
  let mark = await requestLogMark();
  for (let i = 0; i < n; i += 1) {
    const seen = await waitForRequest(mark, { method: 'GET', path: '/admin/game/status' });
    mark = seen.seq;
  }
}

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

test('the pause dialog stays open across polls, and confirming it after three of them pauses', async () => {
  await withPage(browser, 'dialog-survives-polls', async (page) => {
    await loginAndWait(page);
    await page.getByTestId('tick').waitFor();
    await page.getByRole('button', { name: 'Pause game' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause the game?' });
    await dialog.waitFor();
    const before = await shownTick(page);
    await polls(3);
    await page.waitForFunction((b) => Number(document.querySelector('[data-testid="tick"]').textContent.replace(/\D/g, '')) > b, before);
    assert.ok(await dialog.isVisible(), 'still open after three polls changed the figures');
    await dialog.getByRole('button', { name: 'Pause game' }).click();
    await page.getByTestId('game-state').filter({ hasText: 'Paused' }).waitFor();
    await dialog.waitFor({ state: 'detached' });
  });
});

test('a Resume error and the busy guard survive polls', async () => {
  await withPage(browser, 'resume-error-survives', async (page) => {
    await loginAndWait(page);
    await page.getByRole('button', { name: 'Pause game' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Pause game' }).click();
    await page.getByTestId('game-state').filter({ hasText: 'Paused' }).waitFor();

    // A slow Resume: the button stays busy through the polls that happen meanwhile.
    // 10 s: well past the two polls below, even on a busy machine.
    await dev('POST', '/faults', { path_prefix: '/admin/game/resume', delay_ms: 10_000, status: 503, body: { detail: 'Tick engine is restarting' } });
    await page.getByRole('button', { name: 'Resume game' }).click();
    const busy = page.getByRole('button', { name: 'Resuming…' });
    await busy.waitFor();
    await polls(2);
    assert.ok(await busy.isDisabled(), 'still busy after two polls');
    const error = page.getByRole('alert').filter({ hasText: 'Tick engine is restarting (HTTP 503)' });
    await error.waitFor({ timeout: 15_000 });
    await polls(3);
    assert.ok(await error.isVisible(), 'the error is still there after three more polls');
  }, { allowConsoleErrors: true });
});

test('after a success, a non-outage error keeps the figures, says how old they are and why', async () => {
  await withPage(browser, 'stale-figures', async (page) => {
    await loginAndWait(page);
    await page.getByTestId('freshness').filter({ hasText: /^Updated \d+ s ago$/ }).waitFor();
    const tick = await page.getByTestId('tick').textContent();
    await dev('POST', '/faults', { path_prefix: '/admin/game/status', count: 100, status: 403, body: { detail: 'Your network is not allowed' } });
    const error = page.getByTestId('status-error');
    await error.filter({ hasText: 'Could not refresh the status: Your network is not allowed (HTTP 403)' }).waitFor({ timeout: 8000 });
    await page.getByTestId('freshness').filter({ hasText: /^Updated [3-9] s ago$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('tick').textContent(), tick, 'the last figures stay');
    assert.equal(await page.locator('.banner.outage').count(), 0, 'a refusal is not an outage');
    await dev('DELETE', '/faults');
    await error.waitFor({ state: 'detached', timeout: 10_000 });
  }, { allowConsoleErrors: true });
});

test('ticks beyond 2^53 are shown exactly, on the overview and in snapshots', async () => {
  await api('POST', '/admin/game/pause');
  // As text: 2^53 + 1 is no JS number (it would round to 2^53, as a dashboard using f64 would).
  await dev('PUT', '/tick', '{"tick": 9007199254740993}');
  const { body: snapshot } = await api('POST', '/admin/snapshots');
  const exact = '9\u2009007\u2009199\u2009254\u2009740\u2009993';
  await withPage(browser, 'big-tick', async (page) => {
    await loginAndWait(page);
    await page.getByTestId('tick').filter({ hasText: new RegExp(`^${exact}$`) }).waitFor();
    await page.getByRole('link', { name: 'Snapshots' }).click();
    const row = page.locator('tbody tr', { hasText: `#${snapshot.id}` });
    await row.locator('td.num', { hasText: new RegExp(`^${exact}$`) }).waitFor();
  });
});

test('times are shown in the operator\'s zone, named', async () => {
  await withPage(browser, 'time-zone', async (page) => {
    await loginAndWait(page);
    await page.getByTestId('game-time').filter({ hasText: /^2000-01-01 17:\d\d:\d\d UTC\+05:30$/ }).waitFor();
  }, { timezoneId: 'Asia/Kolkata' });
});

test('players online is a status card, as the gateway counts them', async () => {
  const { body: status } = await api('GET', '/admin/game/status');
  assert.ok(status.players_online > 0, 'the seeded world has players online');
  await withPage(browser, 'players-online', async (page) => {
    await loginAndWait(page);
    const card = page.getByTestId('players-online');
    await card.waitFor();
    assert.equal(Number((await card.textContent()).replace(/\D/g, '')), status.players_online);
    // A player deleted while online leaves the count at the next poll.
    const victim = (await api('GET', '/admin/players?limit=200')).body.items.find((p) => p.online);
    assert.ok([200, 204].includes((await api('DELETE', `/admin/players/${victim.id}`)).status));
    await page.waitForFunction(
      (expected) => Number(document.querySelector('[data-testid="players-online"]').textContent.replace(/\D/g, '')) === expected,
      status.players_online - 1,
    );
  });
});

/** Samples for the gateway's history: `count` of them, `step` seconds apart, ending now. */
function samples(count, step, at = () => ({})) {
  return Array.from({ length: count }, (_, i) => ({
    seconds_ago: (count - 1 - i) * step,
    tick_rate: 1,
    actual_rate: 1,
    ticks_behind: 0,
    tick_duration_ms: 5,
    players_online: 40,
    paused: false,
    ...at(i),
  }));
}

test('history: four charts for each range, the range in the URL, a spike kept by min/max', async () => {
  // A day of history with one lag spike three hours ago.
  await dev('POST', '/history', {
    samples: samples(24 * 60, 60, (i) => (i === 21 * 60 ? { ticks_behind: 480, tick_duration_ms: 900 } : {})),
  });
  await withPage(browser, 'history-ranges', async (page) => {
    const mark = await requestLogMark();
    await loginAndWait(page);
    const charts = page.getByTestId('chart');
    await charts.nth(3).waitFor();
    assert.equal(await charts.count(), 4);
    const asked = await waitForRequest(mark, { method: 'GET', path: '/admin/metrics/history' });
    assert.equal(asked.query, 'range=1h', 'an hour unless the URL says otherwise');
    assert.equal(await page.getByRole('link', { name: '1h' }).getAttribute('aria-current'), 'true');
    for (const range of ['10m', '6h', '24h']) {
      const before = await requestLogMark();
      await page.getByRole('link', { name: range, exact: true }).click();
      await page.waitForURL(new RegExp(`/admin/?\\?range=${range}$`));
      await waitForRequest(before, { method: 'GET', path: '/admin/metrics/history' });
      await page.getByRole('link', { name: range, exact: true }).and(page.locator('[aria-current]')).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="chart"] path.band[d^="M"]').length === 4);
    }
    // 24 h: the spike is one sample of a 12-minute bucket, and still the chart's top:
    // the value axis reads up to it in round steps.
    const behind = charts.filter({ hasText: 'Ticks behind' });
    assert.deepEqual(await behind.locator('.value-axis text').allTextContents(), ['0', '100', '200', '300', '400', '500']);
    assert.notEqual(await behind.locator('path.zone.critical').getAttribute('d'), '', 'the spike reaches the critical zone');
    // Time ticks at round hours of the operator's clock (UTC here), every four hours for a day.
    const times = await behind.locator('.time-axis text').allTextContents();
    assert.ok(times.length >= 4 && times.every((t) => /^\d\d:00$/.test(t) && Number(t.slice(0, 2)) % 4 === 0), `ticks: ${times}`);
    // The table alternative has the same figures.
    await page.getByText('The figures as a table').click();
    const spike = page.locator('.history-table tbody tr', { hasText: '480' });
    assert.equal(await spike.count(), 1);
    assert.match(await spike.locator('td').nth(2).textContent(), /\(0–480\)$/, 'min–max of the bucket');
    // The range survives a reload.
    await page.reload();
    await page.getByRole('link', { name: '24h', exact: true }).and(page.locator('[aria-current]')).waitFor();
  });
});

test('history: a pause is marked on the charts with who and why, after a reload too, and read out by keyboard', async () => {
  await withPage(browser, 'history-pause', async (page) => {
    await loginAndWait(page, '/?range=10m');
    await page.getByTestId('chart').first().waitFor();
    await page.getByRole('button', { name: 'Pause game' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause the game?' });
    await dialog.getByLabel('Reason (optional, kept in the audit log)').fill('maintenance window');
    await dialog.getByRole('button', { name: 'Pause game' }).click();
    await page.getByTestId('game-state').filter({ hasText: 'Paused' }).waitFor();
    // Live: the status poll saw the pause and the charts asked for what is new since.
    const event = page.getByTestId('events').locator('li[data-action="game.pause"]');
    await event.waitFor();
    assert.match(await event.textContent(), new RegExp(`Paused the game, by ${env.username} \\(admin\\): “maintenance window”$`));
    assert.equal(await page.locator('[data-testid="marker"][data-action="game.pause"]').count(), 4, 'one on each chart');
    assert.equal(await page.title(), 'Paused · Overview · Galaxy admin');

    // The pointer out of the way (it reads out what it rests on), then a reload.
    await page.mouse.move(0, 0);
    await page.reload();
    // The range from the URL first (the router may give the query a moment after the
    // path), then its charts with the marker.
    await page.getByRole('link', { name: '10m', exact: true }).and(page.locator('[aria-current]')).waitFor();
    await page.locator('[data-testid="marker"][data-action="game.pause"]').first().waitFor({ state: 'attached' });

    // Keyboard: from the newest slice back to the one with the pause in it. Right after a
    // reload the pause may lie past the newest slice loaded (its slice comes with the next
    // live update): from the oldest slice, start again at End, until the deadline.
    await page.locator('.charts').focus();
    await page.keyboard.press('End');
    const readout = page.getByTestId('chart-readout');
    await readout.filter({ hasText: 'tick rate' }).waitFor();
    const moved = (was) => page.waitForFunction(
      (text) => document.querySelector('[data-testid="chart-readout"]').textContent !== text, was, { timeout: 2000 },
    ).then(() => true, () => false);
    const deadline = Date.now() + 20_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const before = await readout.textContent();
      await page.keyboard.press('End');
      await moved(before); // already at End: nothing moves
      // Each step waits for the read-out to move, so the text checked is the step's own.
      for (let i = 0; i < 40; i += 1) {
        const shown = await readout.textContent();
        if (shown.includes('Paused the game')) { found = true; break; }
        await page.keyboard.press('ArrowLeft');
        if (!(await moved(shown))) break; // the oldest slice
      }
    }
    assert.match(await readout.textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: tick rate .* Paused the game, by .*maintenance window/);
    // The pointer reads the same way.
    const box = await page.getByTestId('chart').first().locator('svg.area').boundingBox();
    await page.mouse.move(box.x + 2, box.y + box.height / 2);
    await readout.filter({ hasText: /^\d{4}-/ }).waitFor();
  });
});

test('the tab title says when the game is lagging', async () => {
  await dev('PUT', '/tick-capacity', { ticks_per_second: 0 });
  await withPage(browser, 'title-lagging', async (page) => {
    await loginAndWait(page, '/players');
    await page.waitForFunction(() => document.title === 'Lagging · Players · Galaxy admin', null, { timeout: 20_000 });
    await dev('PUT', '/tick-capacity', { ticks_per_second: null });
  });
});
