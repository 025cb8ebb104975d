// The operator pages: runtime config, snapshots, players, services, audit log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import {
  api, defaultConfig, dev, env, launchBrowser, loginAndWait, requestLogMark, requestsSince, seededPlayer, seriousA11yViolations,
  waitForRequest, withPage, writeConfig,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

test('runtime config: edit with validation, server 422 next to the field, reset to default', async () => {
  await withPage(browser, 'runtime-config', async (page) => {
    await loginAndWait(page, '/config');
    const row = page.locator('tr[data-key="tick_rate"]');
    // The page's code arrives as its own module: its title comes with it, after the shell's role.
    await row.waitFor();
    assert.equal(await page.title(), 'Runtime config · Galaxy admin');
    const input = row.getByRole('textbox');
    const save = row.getByRole('button', { name: 'Save' });

    await input.fill('250');
    await row.getByText('Must be between 0.1 and 100').waitFor();
    assert.ok(await save.isDisabled(), 'invalid input cannot be sent');

    await input.fill('2.5');
    await save.click();
    await page.getByText('tick_rate set to 2.5').waitFor();
    await row.locator('td').nth(2).filter({ hasNotText: 'never' }).waitFor();

    // The server is the authority: its own 422 shows next to the field.
    await dev('POST', '/faults', {
      path_prefix: '/admin/config/tick_rate', method: 'PUT', status: 422,
      body: { detail: [{ loc: ['body', 'value'], msg: 'Tick rate is locked during the tournament', type: 'value_error' }] },
    });
    await input.fill('3');
    await save.click();
    await row.getByText('value: Tick rate is locked during the tournament').waitFor();

    await dev('POST', '/faults', { path_prefix: '/admin/config/motd', method: 'PUT', status: 500 });
    const motd = page.locator('tr[data-key="motd"]');
    await motd.getByRole('textbox').fill('Welcome, pilots');
    await motd.getByRole('button', { name: 'Save' }).click();
    await motd.getByText('Injected fault: HTTP 500 (HTTP 500)').waitFor();

    await row.getByRole('button', { name: 'Reset to default' }).click();
    await page.getByText('tick_rate reset to its default').waitFor();
    await page.waitForFunction(() => document.getElementById('config-tick_rate').value === '1.0');
  }, { allowConsoleErrors: true });
});

test('snapshots: create, restore only while paused with the tick named and a way back, delete with confirmation', async () => {
  await withPage(browser, 'snapshots', async (page) => {
    await loginAndWait(page, '/snapshots');
    await page.getByText('No snapshots yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await page.getByText(/Snapshot #1 taken at tick \d+/).waitFor();
    const tick = (await page.locator('tbody tr').first().locator('td').nth(1).textContent()).replace(/\D/g, '');

    await page.getByRole('button', { name: 'Restore' }).click();
    const explain = page.getByRole('dialog', { name: 'Pause the game first' });
    await explain.waitFor();
    await explain.getByRole('button', { name: 'Pause the game' }).click();
    const confirm = page.getByRole('dialog', { name: 'Restore snapshot #1?' });
    await confirm.waitFor();
    assert.match(await confirm.textContent(), new RegExp(`back to tick ${Number(tick).toLocaleString('en').replace(/,/g, '\u2009')}`));
    assert.match(await confirm.textContent(), /A snapshot of the world as it is now is taken first, so restoring that one undoes this\./);
    await confirm.getByLabel('Reason (optional, kept in the audit log)').fill('rollback after a bad event');
    await confirm.getByRole('button', { name: `Restore tick ${tick}` }).click();
    await page.getByText(`Restored snapshot #1: the world is back at tick ${tick}`).waitFor();
    // The gateway took the world before the restore as #2; the list shows it without a reload.
    await page.locator('tbody tr', { hasText: '#2' }).filter({ hasText: 'before restore of #1' }).waitFor();
    const restored = (await api('GET', '/admin/audit?action=snapshot.restore')).body.items[0];
    assert.equal(restored.reason, 'rollback after a bad event');

    // The first cell names the snapshot (#2's label mentions #1).
    const first = page.locator('tbody tr').filter({ has: page.getByRole('cell', { name: /^#1\b/ }) });
    await first.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete snapshot #1?' }).getByRole('button', { name: 'Delete snapshot' }).click();
    await page.getByText('Snapshot #1 deleted').waitFor();
    await first.waitFor({ state: 'detached' });
    assert.equal(await page.locator('tbody tr').count(), 1, 'the way back stays');

    await dev('POST', '/faults', { path_prefix: '/admin/snapshots', method: 'POST', status: 500 });
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await page.getByText('Injected fault: HTTP 500 (HTTP 500)').waitFor();
  }, { allowConsoleErrors: true });
});

test('players: debounced search, sort and paging live in the URL and the back button restores them', async () => {
  await withPage(browser, 'players', async (page) => {
    await loginAndWait(page, '/players');
    await page.locator('table.players tbody tr').first().waitFor();
    assert.equal(await page.locator('table.players tbody tr').count(), 25);

    const requests = [];
    page.on('request', (r) => { if (r.url().includes('/admin/players?')) requests.push(r.url()); });
    await page.locator('#player-search').pressSequentially('ar', { delay: 40 });
    await page.waitForURL(/\/admin\/players\?search=ar$/);
    await page.waitForTimeout(400);
    assert.equal(requests.length, 1, `one request for the whole word: ${requests}`);
    const names = await page.locator('table.players tbody td.name').allTextContents();
    assert.ok(names.length > 0 && names.every((n) => n.includes('ar')), names.join());

    const sorted = await requestLogMark();
    await page.getByRole('button', { name: /Joined/ }).click();
    await page.waitForURL(/search=ar&sort=created_at$/);
    // The rows by join date have arrived once the gateway answered and the rows are no longer busy.
    await waitForRequest(sorted, { method: 'GET', path: '/admin/players' });
    await page.locator('.rows[aria-busy="false"]').waitFor();
    const firstPage = await page.locator('table.players tbody td.name').allTextContents();
    await page.getByRole('button', { name: 'Next' }).click();
    // Paged by the gateway's cursor; the URL keeps it and where the page starts.
    await page.waitForURL(/search=ar&sort=created_at&cursor=[\w-]+&at=26$/);
    await page.locator('.page-info', { hasText: /^26–\d+ of \d+ · page 2 of \d+$/ }).waitFor();
    const secondPage = await page.locator('table.players tbody td.name').allTextContents();
    assert.ok(secondPage.every((n) => !firstPage.includes(n)), 'the next page has other players');
    const secondUrl = page.url();
    await page.goBack();
    await page.waitForURL(/search=ar&sort=created_at$/);
    await page.locator('.page-info', { hasText: /page 1 of/ }).waitFor();
    assert.deepEqual(await page.locator('table.players tbody td.name').allTextContents(), firstPage);
    await page.goForward();
    await page.waitForURL(secondUrl);
    await page.locator('.page-info', { hasText: /^26–/ }).waitFor();
    assert.deepEqual(await page.locator('table.players tbody td.name').allTextContents(), secondPage);
    await page.goBack();
    await page.waitForURL(/search=ar&sort=created_at$/);
    await page.goBack();
    await page.waitForURL(/search=ar$/);
    assert.equal(await page.locator('#player-search').inputValue(), 'ar');

    await page.locator('#page-size').selectOption('100');
    await page.waitForURL(/size=100/);
    await page.locator('#player-search').fill('nobody_by_this_name');
    await page.getByText('No players match “nobody_by_this_name”.').waitFor();
  });
});

test('players: the detail page deletes only after the username is typed, its reason kept', async () => {
  const player = await seededPlayer(7);
  await withPage(browser, 'player-delete', async (page) => {
    await loginAndWait(page, `/players/${player.id}`);
    const name = player.username;
    await page.getByRole('heading', { level: 1, name }).waitFor();
    assert.equal(await page.locator('.facts').getByText(player.ship_id).count(), 1, 'the ship is shown by its UUID');
    await page.getByRole('button', { name: 'Delete player' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete player ${name}?` });
    const confirm = dialog.getByRole('button', { name: 'Delete player' });
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel(`Type ${name} to confirm`).fill(name.slice(0, -1));
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel(`Type ${name} to confirm`).fill(name);
    // A DELETE's reason travels in a header: a body would be dropped by some proxies (and is
    // refused by the gateway, so a reason is never lost without a word).
    const reason = 'chargeback — “sold” the account, ticket #42';
    await dialog.getByLabel('Reason (optional, kept in the audit log)').fill(reason);
    await confirm.click();
    await page.getByText(`Player ${name} deleted`).waitFor();
    await page.waitForURL(/\/admin\/players$/);
    const { body: audit } = await api('GET', `/admin/audit?action=player.delete&target=${player.id}`);
    assert.equal(audit.items[0]?.reason, reason);
    // Well-formed: the gateway is asked, and says it is gone.
    const mark = await requestLogMark();
    await page.goto(`${env.dashboard}/admin/players/${player.id}`);
    await page.getByRole('heading', { name: 'Player not found' }).waitFor();
    await waitForRequest(mark, { method: 'GET', path: `/admin/players/${player.id}`, status: 404 });
  }, { allowConsoleErrors: true });
});

test('players: a malformed id is not found without asking; a well-formed unknown one is asked', async () => {
  await withPage(browser, 'player-ids', async (page) => {
    await loginAndWait(page);
    for (const bad of ['42', 'not-a-uuid', '0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b3']) {
      const mark = await requestLogMark();
      await page.goto(`${env.dashboard}/admin/players/${bad}`);
      await page.getByRole('heading', { name: 'Player not found' }).waitFor();
      await waitForRequest(mark, { method: 'GET', path: '/admin/game/status' });
      assert.deepEqual(await requestsSince(mark, { path: '/admin/players/' }), [], `${bad}: no request`);
    }
    const unknown = '0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33';
    const mark = await requestLogMark();
    await page.goto(`${env.dashboard}/admin/players/${unknown}`);
    await page.getByRole('heading', { name: 'Player not found' }).waitFor();
    await waitForRequest(mark, { method: 'GET', path: `/admin/players/${unknown}`, status: 404 });
  }, { allowConsoleErrors: true });
});

test('players: Last pages from the end; a page whose rows are gone, or an unknown cursor, is replaced and said so', async () => {
  await withPage(browser, 'players-past-end', async (page) => {
    await loginAndWait(page, '/players');
    const info = page.locator('.page-info');
    await info.waitFor();
    const [, total] = (await info.textContent()).match(/of (\d+) · page 1 of \d+$/);
    await page.getByRole('button', { name: 'Last' }).click();
    await page.waitForURL(/\/admin\/players\?cursor=last$/);
    // The last page of an exactly counted list knows its range.
    await page.locator('.page-info', { hasText: new RegExp(`^\\d+–${total} of ${total} · page (\\d+) of \\1$`) }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Next' }).isDisabled());
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.waitForURL(/cursor=[\w-]+&at=\d+$/);
    // The page before the last: its range ends short of the total.
    await page.locator('.page-info', { hasText: new RegExp(`^\\d+–(?!${total} )\\d+ of ${total} ·`) }).waitFor();
    const shown = await page.locator('table.players tbody td.name').allTextContents();
    // Next leads to the last page by cursor; then another operator deletes all its players,
    // so that page's link now leads past the end.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/cursor=[\w-]+&at=\d+$/);
    await page.locator('.page-info', { hasText: new RegExp(`–${total} of ${total} ·`) }).waitFor();
    const beyond = page.url();
    const gone = await page.locator('table.players tbody td.name a').evaluateAll((links) => links.map((a) => a.href.split('/').pop()));
    assert.ok(gone.length > 0);
    for (const id of gone) assert.equal((await api('DELETE', `/admin/players/${id}`)).status, 204);
    await page.goto(beyond);
    await page.getByText('The rows of that page are gone; showing the last page.').waitFor();
    await page.waitForURL(/\/admin\/players\?cursor=last$/);
    await page.locator('.page-info', { hasText: new RegExp(`–${Number(total) - gone.length} of ${Number(total) - gone.length} ·`) }).waitFor();
    assert.deepEqual(await page.locator('table.players tbody td.name').allTextContents(), shown);
    // A cursor the gateway does not know (hand-edited, or from another order) starts over.
    await page.goto(`${env.dashboard}/admin/players?search=nova&cursor=bm90LWEtY3Vyc29y&at=51`);
    await page.getByText('That page no longer exists in this order; showing the first page.').waitFor();
    await page.waitForURL(/\/admin\/players\?search=nova$/);
    await page.locator('.page-info', { hasText: /^1–/ }).waitFor();
  }, { allowConsoleErrors: true });
});

test('players: loading, empty and error states are distinct', async () => {
  await withPage(browser, 'player-states', async (page) => {
    await dev('POST', '/faults', { path_prefix: '/admin/players', count: 1, delay_ms: 1500 });
    await loginAndWait(page, '/players');
    await page.getByText('Loading players…').waitFor();
    await page.locator('table.players').waitFor();
    await dev('POST', '/faults', { path_prefix: '/admin/players', count: 1, status: 500 });
    await page.locator('#player-search').fill('ace');
    await page.getByRole('alert').filter({ hasText: 'Injected fault' }).waitFor();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('table.players').waitFor();
  }, { allowConsoleErrors: true });
});

test('player names and other server strings are shown as text, never as HTML', async () => {
  const payload = '<img src=x onerror="window.__xss=1">';
  await dev('POST', '/faults', {
    path_prefix: '/admin/players', count: 5, status: 200,
    body: {
      items: [{
        id: '0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33', username: payload, ship_id: '1c7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33',
        created_at: '2025-01-01T00:00:00Z', online: true, ban: null,
      }],
      total: 1,
    },
  });
  await withPage(browser, 'xss', async (page) => {
    await loginAndWait(page, '/players');
    const cell = page.locator('table.players td.name');
    await cell.waitFor();
    assert.equal(await cell.textContent(), payload);
    assert.equal(await page.locator('table.players img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });
});

test('services: status and version of each, gateway readiness, and this build', async () => {
  await dev('PUT', '/services/physics', { version: '1.3.0', status: 'not_ready' });
  await withPage(browser, 'services', async (page) => {
    await loginAndWait(page, '/services');
    const row = page.locator('tr', { hasText: 'physics' });
    await row.waitFor();
    assert.match(await row.textContent(), /1\.3\.0.*Not ready/);
    await page.getByTestId('gateway-readiness').filter({ hasText: /^Ready \(v1\.4\.0\)$/ }).waitFor();
    assert.match(await page.getByTestId('dashboard-version').textContent(), /^v\d+\.\d+\.\d+/);

    // A backend deploy: the toast fires and the table follows, without a reload or a blank.
    await dev('PUT', '/services/galaxy', { version: '1.0.3' });
    await page.getByText('Services updated: galaxy 1.0.2 → 1.0.3').waitFor({ timeout: 8000 });
    await page.locator('tr', { hasText: 'galaxy' }).filter({ hasText: '1.0.3' }).waitFor();
  });
});

test('audit log: who changed tick_rate, from what to what and why, narrowed with one click', async () => {
  const before = (await api('GET', '/admin/config')).body.items.find((i) => i.key === 'tick_rate').value;
  assert.equal((await api('PUT', '/admin/config/tick_rate', { value: 2.5, reason: 'load test' })).status, 200);
  assert.equal((await api('PUT', '/admin/config/motd', { value: 'Hello' })).status, 200);
  await withPage(browser, 'audit', async (page) => {
    await loginAndWait(page, '/audit');
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    // Newest first: this session's login, the motd change, then the tick_rate change.
    assert.match(await rows.nth(0).textContent(), /auth\.login/);
    const change = page.locator('tbody tr', { hasText: 'tick_rate' });
    const cells = change.locator('td');
    assert.equal(await cells.nth(1).textContent(), `${env.username} (admin)`);
    assert.equal(await cells.nth(2).textContent(), 'config.update');
    assert.match(await cells.nth(4).textContent(), new RegExp(`^${before}(\\.0)? → 2\\.5$`), 'the value before and after');
    assert.equal(await cells.nth(5).textContent(), 'load test');
    assert.match(await cells.nth(6).textContent(), /^\d[\d\u2009]*$/, 'the game tick at the time');
    // The config key still exists: its name leads to the config page.
    assert.equal(await cells.nth(3).getByRole('link', { name: 'tick_rate' }).getAttribute('href'), '/admin/config');

    // One click: only the entries about tick_rate.
    await change.getByRole('link', { name: '(entries)' }).click();
    await page.waitForURL(/\/admin\/audit\?target=tick_rate$/);
    await page.locator('tbody tr').filter({ hasText: 'motd' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('tbody tr').count(), 1);
    // Narrowed further by action, keeping the target.
    await page.locator('tbody tr').first().getByRole('link', { name: 'config.update' }).click();
    await page.waitForURL(/\?action=config\.update&target=tick_rate$/);
    assert.equal(await page.locator('tbody tr').count(), 1);
    // And back: every entry again.
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.locator('tbody tr', { hasText: 'motd' }).waitFor();
    assert.ok(await page.locator('tbody tr').count() >= 3);
  });
});

test('audit log: the tamper check says up to which entry the chain holds, and shows where a changed entry breaks it', async () => {
  assert.equal((await api('PUT', '/admin/config/tick_rate', { value: 2.5 })).status, 200);
  assert.equal((await api('PUT', '/admin/config/motd', { value: 'Hello' })).status, 200);
  const [changed, earlier] = (await api('GET', '/admin/audit?action=config.update')).body.items;
  await withPage(browser, 'audit-chain', async (page) => {
    await loginAndWait(page, '/audit');
    const status = page.getByTestId('audit-chain');
    // The log's ids carry on over the test's reset: the chain is checked from its oldest entry.
    const passed = status.getByText(/^Tamper check passed: entries #\d+–#\d+ verified, the hash chain is intact\.$/);
    await passed.waitFor();
    const [from, through] = (await passed.textContent()).match(/#(\d+)–#(\d+)/).slice(1).map(Number);
    assert.ok(from <= earlier.id && through > changed.id, `both config changes are among #${from}–#${through}`);
    assert.match(await status.locator('code').textContent(), /^[0-9a-f]{64}$/, 'the newest hash, to keep elsewhere');

    // Someone with access to the store changes the entry; the console's next check says so.
    await dev('POST', `/audit/${changed.id}/tamper`, { after: '"Hi"' });
    await status.getByRole('button', { name: 'Check again' }).click();
    const alert = status.getByRole('alert');
    await alert.waitFor();
    const before = changed.id - 1 === from ? `entry #${from}` : `entries #${from}–#${changed.id - 1}`;
    assert.equal(
      await alert.textContent(),
      `Tamper check failed at entry #${changed.id}: it does not follow from the entry before it. `
        + 'One of the two was changed, removed or inserted after it was written. '
        + `Verified before it: ${before}.`,
    );
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `broken chain (${scheme})`);
    }
  });
});

test('audit log: the form filters by who, action, target and time (the zone converted); the CSV export has just those', async () => {
  assert.equal((await api('PUT', '/admin/config/tick_rate', { value: 3, reason: 'load, "test" =1+1' })).status, 200);
  assert.equal((await api('PUT', '/admin/config/motd', { value: 'Hi' })).status, 200);
  await withPage(browser, 'audit-form', async (page) => {
    await loginAndWait(page, '/audit');
    const form = page.getByRole('form', { name: 'Filter the audit log' });
    await form.getByLabel('Who').fill(env.username);
    await form.getByLabel('Action').fill('config');
    await form.getByLabel('Target').fill('TICK_rate');
    // Tokyo is UTC+9 all year: 09:00 there on 1 January 2000 is midnight UTC.
    await form.getByLabel('From').fill('2000-01-01T09:00');
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/audit\?actor=admin&action=config&target=TICK_rate&from=2000-01-01T00%3A00%3A00\.000Z$/);
    await page.locator('tbody tr', { hasText: 'motd' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('tbody tr').count(), 1);
    // The form shows the URL's filters back, the time in the operator's zone.
    assert.equal(await form.getByLabel('From').inputValue(), '2000-01-01T09:00');

    const mark = await requestLogMark();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const asked = await waitForRequest(mark, { method: 'GET', path: '/admin/audit/export' });
    assert.equal(asked.query, 'actor=admin&action=config&target=TICK_rate&from=2000-01-01T00%3A00%3A00.000Z');
    assert.match(download.suggestedFilename(), /^galaxy-audit-\d{8}T\d{6}Z\.csv$/, "the name the gateway gives it");
    const csv = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
    assert.equal(csv.length, 2, 'the header and the one entry');
    assert.match(csv[0], /^id,at,admin,/);
    assert.match(csv[1], /tick_rate/);
    assert.match(csv[1], /"load, ""test"" =1\+1"/, 'quoted as CSV');
    await page.getByText('Exported 1 entries').waitFor();

    // Until a day later in 2000: nothing.
    await form.getByLabel('Until').fill('2000-01-02T09:00');
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No entries match.').waitFor();
    await form.getByRole('link', { name: 'Clear' }).click();
    await page.locator('tbody tr', { hasText: 'motd' }).waitFor();
    assert.equal(await form.getByLabel('Who').inputValue(), '');
  }, { timezoneId: 'Asia/Tokyo' });
});

test('audit log: a deleted player is named, with its reason, but no longer linked', async () => {
  const gone = await seededPlayer(2);
  assert.ok([200, 204].includes((await api('DELETE', `/admin/players/${gone.id}`, { reason: 'cheating' })).status));
  await withPage(browser, 'audit-links', async (page) => {
    await loginAndWait(page, `/audit?target=${gone.id}`);
    const row = page.locator('tbody tr', { hasText: 'player.delete' });
    await row.waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1, 'only the entries about that player');
    assert.equal(await row.locator('td').nth(5).textContent(), 'cheating');
    const target = row.locator('td').nth(3);
    assert.match(await target.textContent(), new RegExp(gone.id));
    assert.equal(await target.locator(`a[href$="/players/${gone.id}"]`).count(), 0, 'its page is gone');
  });
});

test('audit log: later pages stay put while new entries arrive', async () => {
  for (let i = 0; i < 55; i += 1) await api('PUT', '/admin/config/motd', { value: `m${i}` });
  await withPage(browser, 'audit-stable-paging', async (page) => {
    await loginAndWait(page, '/audit');
    await page.locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/audit\?cursor=[\w-]+&at=51$/);
    await page.locator('.page-info', { hasText: /^51–/ }).waitFor();
    const first = page.locator('tbody tr').first();
    await first.waitFor();
    const shown = await first.textContent();
    const mark = await requestLogMark();
    // Another operator keeps working meanwhile.
    for (let i = 0; i < 3; i += 1) await api('PUT', '/admin/config/motd', { value: `late${i}` });
    await page.getByRole('button', { name: 'Refresh' }).click();
    // The entries themselves, not the tamper check (/admin/audit/verify) the page also asks for.
    const asked = await waitForRequest(mark, { method: 'GET', path: /^\/admin\/audit$/ });
    assert.match(asked.query, /cursor=[\w-]+.*until_id=\d+/, 'page 2 is counted up to the newest entry of the first load');
    await page.getByRole('button', { name: 'Refreshing…' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('tbody tr').first().textContent(), shown);
  });
});

test('runtime config in prod: old and new values are confirmed first, with a reason for the audit log', async () => {
  writeConfig({ ...defaultConfig(), ENVIRONMENT: 'prod' });
  try {
    await withPage(browser, 'config-prod', async (page) => {
      await loginAndWait(page, '/config');
      const row = page.locator('tr[data-key="tick_rate"]');
      const input = row.getByRole('textbox');
      const before = await input.inputValue();
      await input.fill('4');
      await row.getByRole('button', { name: 'Save' }).click();
      const dialog = page.getByRole('dialog', { name: 'Change tick_rate in production?' });
      await dialog.getByText(`${before} → 4. The running game uses the new value at once.`).waitFor();
      // Cancel sends nothing.
      const mark = await requestLogMark();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal((await requestsSince(mark, { method: 'PUT', path: '/admin/config' })).length, 0);

      await row.getByRole('button', { name: 'Save' }).click();
      await dialog.getByLabel('Reason (optional, kept in the audit log)').fill('event weekend');
      await dialog.getByRole('button', { name: 'Apply in production' }).click();
      await page.getByText('tick_rate set to 4').waitFor();
      await dialog.waitFor({ state: 'detached' });
      const entry = (await api('GET', '/admin/audit?action=config.update&target=tick_rate')).body.items[0];
      assert.deepEqual([entry.after, entry.reason], ['4.0', 'event weekend'], 'the gateway keeps tick_rate a float');
    });
  } finally {
    writeConfig(defaultConfig());
  }
});

test('runtime config: Undo in the toast puts the value before back, through the same conflict check', async () => {
  await withPage(browser, 'config-undo', async (page) => {
    await loginAndWait(page, '/config');
    const row = page.locator('tr[data-key="motd"]');
    const input = row.getByRole('textbox');
    const before = await input.inputValue();
    await input.fill('Server restarts at noon');
    await row.getByRole('button', { name: 'Save' }).click();
    const toast = page.locator('.toast', { hasText: 'motd set to Server restarts at noon' });
    await toast.getByRole('button', { name: 'Undo' }).click();
    await page.getByText(`motd set to ${before}`).waitFor();
    assert.equal(await input.inputValue(), before);
    const [undo, change] = (await api('GET', '/admin/audit?action=config.update&target=motd')).body.items;
    assert.deepEqual([change.after, undo.before, undo.after], ['"Server restarts at noon"', '"Server restarts at noon"', JSON.stringify(before)]);

    // Someone else changes it before the operator undoes: a conflict, not an overwrite.
    await input.fill('Second message');
    await row.getByRole('button', { name: 'Save' }).click();
    const second = page.locator('.toast', { hasText: 'motd set to Second message' });
    await second.waitFor();
    assert.equal((await api('PUT', '/admin/config/motd', { value: 'Set elsewhere' })).status, 200);
    await second.getByRole('button', { name: 'Undo' }).click();
    await row.getByTestId('conflict').waitFor();
  }, { allowConsoleErrors: true }); // the browser logs the 412
});

test('runtime config: a change by someone else since loading is caught, shown, and can be re-applied or dropped', async () => {
  await withPage(browser, 'config-conflict', async (page) => {
    await loginAndWait(page, '/config');
    const row = page.locator('tr[data-key="tick_rate"]');
    const input = row.getByRole('textbox');
    await input.waitFor();
    // Another operator changes it after this page loaded.
    assert.equal((await api('PUT', '/admin/config/tick_rate', { value: 5 })).status, 200);
    await input.fill('2');
    await row.getByRole('button', { name: 'Save' }).click();
    const conflict = row.getByTestId('conflict');
    await conflict.getByText('Changed by someone else since you loaded it: it is now 5', { exact: false }).waitFor();
    assert.equal((await api('GET', '/admin/config')).body.items.find((i) => i.key === 'tick_rate').value, 5, 'nothing overwritten');
    await conflict.getByRole('button', { name: 'Apply my value anyway' }).click();
    await page.getByText('tick_rate set to 2').waitFor();
    await conflict.waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/admin/config')).body.items.find((i) => i.key === 'tick_rate').value, 2);

    // And the other way: keep theirs.
    await api('PUT', '/admin/config/max_players', { value: 4242 });
    const players = page.locator('tr[data-key="max_players"]');
    await players.getByRole('textbox').fill('10');
    await players.getByRole('button', { name: 'Save' }).click();
    await players.getByTestId('conflict').getByRole('button', { name: 'Keep their value' }).click();
    await page.waitForFunction(() => document.getElementById('config-max_players').value === '4242');
    assert.equal((await api('GET', '/admin/config')).body.items.find((i) => i.key === 'max_players').value, 4242);
  }, { allowConsoleErrors: true });
});

test('runtime config: Save and Reset of one key cannot race', async () => {
  await withPage(browser, 'config-race', async (page) => {
    await loginAndWait(page, '/config');
    const row = page.locator('tr[data-key="snapshot_interval"]');
    await row.getByRole('textbox').fill('120');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByText('snapshot_interval set to 120').waitFor();
    await dev('POST', '/faults', { path_prefix: '/admin/config/snapshot_interval', method: 'PUT', delay_ms: 1500 });
    const mark = await requestLogMark();
    await row.getByRole('textbox').fill('300');
    await row.getByRole('button', { name: 'Save' }).click();
    const reset = row.getByRole('button', { name: 'Reset to default' });
    await row.getByRole('button', { name: 'Saving…' }).waitFor();
    assert.ok(await reset.isDisabled(), 'Reset waits for the Save in flight');
    await reset.click({ force: true }); // a disabled button ignores even a forced click
    await page.getByText('snapshot_interval set to 300').waitFor();
    assert.deepEqual((await requestsSince(mark, { method: 'DELETE', path: '/admin/config/' })), []);
  });
});

test('runtime config: unsaved input survives a gateway outage and recovery', async () => {
  await withPage(browser, 'config-draft', async (page) => {
    await loginAndWait(page, '/config');
    const input = page.locator('#config-motd');
    await input.fill('Half-typed message');
    await dev('POST', '/faults', { path_prefix: '/admin/game/status', count: 1, status: 503 });
    const banner = page.locator('.banner.outage');
    await banner.waitFor({ timeout: 8000 });
    const mark = await requestLogMark();
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    // The page loads its list again on recovery; the typing must outlive that.
    await waitForRequest(mark, { method: 'GET', path: '/admin/config', status: 200 });
    await page.locator('tr[data-key="motd"]').waitFor();
    assert.equal(await input.inputValue(), 'Half-typed message');
  }, { allowConsoleErrors: true });
});

test('snapshots: who took each one; an admin pins one, which cannot be deleted until unpinned', async () => {
  assert.equal((await api('POST', '/admin/snapshots')).status, 201);
  await dev('POST', '/snapshots', {});
  await withPage(browser, 'snapshots-pin', async (page) => {
    await loginAndWait(page, '/snapshots');
    const mine = page.locator('tbody tr', { hasText: '#1' });
    await mine.filter({ hasText: `by ${env.username}` }).waitFor();
    await page.locator('tbody tr', { hasText: '#2' }).filter({ hasText: 'scheduled' }).waitFor();
    await mine.getByRole('button', { name: 'Pin' }).click();
    await page.getByText('Snapshot #1 pinned').waitFor();
    await mine.filter({ hasText: 'pinned' }).getByRole('button', { name: 'Unpin' }).waitFor();
    assert.ok(await mine.getByRole('button', { name: 'Delete' }).isDisabled(), 'a pinned snapshot cannot be deleted');
    assert.equal(await mine.getByRole('button', { name: 'Delete' }).getAttribute('title'), 'Pinned: unpin it to delete it');
    // The gateway refuses it too.
    assert.equal((await api('DELETE', '/admin/snapshots/1')).status, 409);
    await mine.getByRole('button', { name: 'Unpin' }).click();
    await page.getByText('Snapshot #1 unpinned').waitFor();
    await mine.getByRole('button', { name: 'Pin' }).waitFor();
    assert.ok(!(await mine.getByRole('button', { name: 'Delete' }).isDisabled()));
  });
});

test('snapshots: paged by cursor; deleting the only row of the last page lands on the last page, said so', async () => {
  // Keep them all: retention would otherwise remove the oldest beyond 20.
  assert.equal((await api('PUT', '/admin/config/snapshot_retention', { value: 100 })).status, 200);
  for (let i = 0; i < 21; i += 1) assert.equal((await api('POST', '/admin/snapshots')).status, 201);
  await withPage(browser, 'snapshots-paging', async (page) => {
    await loginAndWait(page, '/snapshots');
    await page.locator('.page-info', { hasText: /^1–20 of 21 · page 1 of 2$/ }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/admin\/snapshots\?cursor=[\w-]+&at=21$/);
    await page.locator('.page-info', { hasText: /^21–21 of 21 · page 2 of 2$/ }).waitFor();
    const next = page.url();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete snapshot #1?' }).getByRole('button', { name: 'Delete snapshot' }).click();
    await page.getByText('The rows of that page are gone; showing the last page.').waitFor();
    await page.waitForURL(/\/admin\/snapshots\?cursor=last$/);
    await page.locator('.page-info', { hasText: /^1–20 of 20 · page 1 of 1$/ }).waitFor();
    // An old link to that page leads to the last page too.
    await page.goto(next);
    await page.getByText('The rows of that page are gone; showing the last page.').waitFor();
    await page.waitForURL(/\/admin\/snapshots\?cursor=last$/);
  }, { allowConsoleErrors: true });
});

test('snapshots: one taken by the scheduler appears by itself; refreshing never blanks the list', async () => {
  await api('POST', '/admin/snapshots');
  await withPage(browser, 'snapshots-refresh', async (page) => {
    await loginAndWait(page, '/snapshots');
    await page.locator('tbody tr', { hasText: '#1' }).waitFor();
    const { body: taken } = await api('POST', '/admin/snapshots');
    // Watch for a blank: the table must never leave while the list loads again.
    await page.evaluate(() => {
      window.__blanked = false;
      new MutationObserver(() => { if (!document.querySelector('table.data')) window.__blanked = true; })
        .observe(document.body, { childList: true, subtree: true });
    });
    await page.locator('tbody tr', { hasText: `#${taken.id}` }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByRole('button', { name: 'Refreshing…' }).waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Refresh', exact: true }).waitFor();
    // A refresh that fails keeps the rows and says why.
    await dev('POST', '/faults', { path_prefix: '/admin/snapshots', method: 'GET', status: 500, body: { detail: 'Database is busy' } });
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByText('Could not refresh: Database is busy (HTTP 500)').waitFor();
    assert.equal(await page.locator('tbody tr', { hasText: `#${taken.id}` }).count(), 1);
    assert.equal(await page.evaluate(() => window.__blanked), false);
  }, { allowConsoleErrors: true });
});

test('audit log: Last shows the oldest entries with their range, and First goes back', async () => {
  for (let i = 0; i < 55; i += 1) await api('PUT', '/admin/config/motd', { value: `m${i}` });
  await withPage(browser, 'audit-paging', async (page) => {
    await loginAndWait(page, '/audit');
    await page.locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Last' }).click();
    await page.waitForURL(/\/audit\?cursor=last$/);
    // The last page, once it is shown: it ends at the total, on the last page number.
    const lastInfo = page.locator('.page-info', { hasText: /^\d+–(\d+) of \1 · page (\d+) of \2$/ });
    await lastInfo.waitFor();
    const info = await lastInfo.textContent();
    const [, from, to, total] = info.match(/^(\d+)–(\d+) of (\d+) · page (\d+) of \4$/);
    assert.equal(to, total, info);
    assert.equal(Number(to) - Number(from) + 1, await page.locator('tbody tr').count());
    assert.ok(await page.getByRole('button', { name: 'Next' }).isDisabled());
    await page.getByRole('button', { name: 'First' }).click();
    await page.waitForURL(/\/audit$/);
    await page.locator('.page-info', { hasText: new RegExp(`^1–50 of ${total} · page 1 of`) }).waitFor();
  });
});
