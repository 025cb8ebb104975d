// The operator pages: runtime config, snapshots, players, services, audit log.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { dev, env, launchBrowser, loginAndWait, withPage } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

test('runtime config: edit with validation, server 422 next to the field, reset to default', async () => {
  await withPage(browser, 'runtime-config', async (page) => {
    await loginAndWait(page, '/config');
    assert.equal(await page.title(), 'Runtime config · Galaxy admin');
    const row = page.locator('tr[data-key="tick_rate"]');
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

test('snapshots: create, restore only while paused with the tick named, delete with confirmation', async () => {
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
    await confirm.getByRole('button', { name: `Restore tick ${tick}` }).click();
    await page.getByText(`Restored snapshot #1: the world is back at tick ${tick}`).waitFor();

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete snapshot #1?' }).getByRole('button', { name: 'Delete snapshot' }).click();
    await page.getByText('Snapshot #1 deleted').waitFor();
    await page.getByText('No snapshots yet.', { exact: false }).waitFor();

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

    await page.getByRole('button', { name: /Joined/ }).click();
    await page.waitForURL(/search=ar&sort=created_at$/);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/search=ar&sort=created_at&page=2$/);
    await page.goBack();
    await page.waitForURL(/search=ar&sort=created_at$/);
    await page.locator('.page-info', { hasText: /page 1 of/ }).waitFor();
    await page.goBack();
    await page.waitForURL(/search=ar$/);
    assert.equal(await page.locator('#player-search').inputValue(), 'ar');

    await page.locator('#page-size').selectOption('100');
    await page.waitForURL(/size=100/);
    await page.locator('#player-search').fill('nobody_by_this_name');
    await page.getByText('No players match “nobody_by_this_name”.').waitFor();
  });
});

test('players: the detail page deletes only after the username is typed', async () => {
  await withPage(browser, 'player-delete', async (page) => {
    await loginAndWait(page, '/players/7');
    const name = await page.getByRole('heading', { level: 1 }).textContent();
    await page.getByRole('button', { name: 'Delete player' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete player ${name}?` });
    const confirm = dialog.getByRole('button', { name: 'Delete player' });
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel(`Type ${name} to confirm`).fill(name.slice(0, -1));
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel(`Type ${name} to confirm`).fill(name);
    await confirm.click();
    await page.getByText(`Player ${name} deleted`).waitFor();
    await page.waitForURL(/\/admin\/players$/);
    await page.goto(`${env.dashboard}/admin/players/7`);
    await page.getByRole('heading', { name: 'Player not found' }).waitFor();
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
    body: { items: [{ id: 1, username: payload, ship_id: null, created_at: '2025-01-01T00:00:00Z', online: true }], total: 1 },
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
  });
});

test('audit log: recent admin actions, newest first', async () => {
  await withPage(browser, 'audit', async (page) => {
    await loginAndWait(page, '/config');
    const motd = page.locator('tr[data-key="motd"]');
    await motd.getByRole('textbox').fill('Hello');
    await motd.getByRole('button', { name: 'Save' }).click();
    await page.getByText('motd set to Hello').waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    const first = page.locator('tbody tr').first();
    await first.waitFor();
    assert.match(await first.textContent(), new RegExp(`${env.username}config\\.updatemotdvalue = "Hello"`));
    assert.match(await page.locator('tbody tr').nth(1).textContent(), /auth\.login/);
  });
});
