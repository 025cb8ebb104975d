// Player moderation: bans that end by themselves, kicks, notes, the player's timeline.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import {
  api, dev, env, launchBrowser, loginAndWait, loginAs, seriousA11yViolations, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

const onlinePlayers = async () => (await api('GET', '/admin/players?online=true&limit=5')).body.items;

test('an operator bans a griefer for 24 hours with a reason in three clicks; the ban ends by itself', async () => {
  const [griefer] = await onlinePlayers();
  await withPage(browser, 'ban', async (page) => {
    await loginAs(page, 'night_shift', 'operator', `/players/${griefer.id}`);
    await page.getByRole('button', { name: 'Ban…' }).click();
    const dialog = page.getByRole('dialog', { name: `Ban ${griefer.username}?` });
    assert.deepEqual(await seriousA11yViolations(page), [], 'the ban dialog');
    await dialog.getByLabel(/^Reason/).fill('griefing new players at the spawn');
    assert.equal(await dialog.getByLabel('For').inputValue(), '0', '24 hours unless another is picked');
    assert.equal(await dialog.getByLabel('For').locator('option:checked').textContent(), '24 hours');
    await dialog.getByRole('button', { name: 'Ban player' }).click();
    await page.getByText(`${griefer.username} banned`).waitFor();

    const ban = page.getByTestId('ban');
    await ban.filter({ hasText: 'by night_shift: griefing new players at the spawn' }).waitFor();
    assert.match(await ban.textContent(), /^Banned until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by /);
    assert.equal(await page.getByTestId('online').textContent(), 'Offline', 'the live session ended');
    const entry = page.getByTestId('timeline').locator('li[data-action="player.ban"]');
    await entry.waitFor();
    assert.match(await entry.textContent(), /Banned the player .*griefing new players at the spawn/);

    // A day later the ban is gone by itself, and the timeline says so.
    await dev('POST', '/clock', { advance_seconds: 86_400 + 60 });
    await page.reload();
    await page.getByTestId('ban').filter({ hasText: 'Not banned' }).waitFor();
    await page.getByTestId('timeline').locator('li[data-action="player.ban_expired"]').waitFor();
  });
});

test('kick ends a live session; notes are kept newest first with their author', async () => {
  const [, player] = await onlinePlayers();
  await withPage(browser, 'kick-notes', async (page) => {
    await loginAndWait(page, `/players/${player.id}`);
    await page.getByRole('button', { name: 'Kick' }).click();
    await page.getByText(`${player.username} kicked: the live session ended`).waitFor();
    await page.getByTestId('online').filter({ hasText: 'Offline' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Kick' }).count(), 0, 'nothing left to kick');
    await page.getByTestId('timeline').locator('li[data-action="player.kick"]').waitFor();

    for (const text of ['first warning in chat', 'second warning']) {
      await page.getByLabel('New note').fill(text);
      await page.getByRole('button', { name: 'Add note' }).click();
      await page.getByTestId('notes').locator('li', { hasText: text }).waitFor();
    }
    const notes = page.getByTestId('notes').locator('li');
    assert.match(await notes.first().textContent(), new RegExp(`UTC · ${env.username}second warning$`));
    assert.equal(await notes.count(), 2);
  });
});

test('several players kicked in one confirmation, each outcome reported; filters; the whole search as CSV', async () => {
  const page1 = (await api('GET', '/admin/players?sort=username&order=asc&limit=25&offset=0')).body.items;
  const online = page1.filter((p) => p.online).slice(0, 2);
  const offline = page1.find((p) => !p.online);
  assert.ok(online.length === 2 && offline, 'the seeded first page has both');
  assert.equal((await api('POST', `/admin/players/${offline.id}/ban`, { reason: 'alt account', duration_seconds: 3600 })).status, 200);
  await withPage(browser, 'bulk', async (page) => {
    await loginAndWait(page, '/players');
    for (const p of [...online, offline]) await page.getByRole('checkbox', { name: `Select ${p.username}` }).check();
    await page.getByText('3 selected').waitFor();
    await page.getByRole('button', { name: 'Kick selected…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kick 3 players?' });
    await dialog.waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], 'the bulk dialog');
    await dialog.getByRole('button', { name: 'Kick them' }).click();
    const list = dialog.getByTestId('bulk-list');
    for (const p of online) await list.getByText(`${p.username}: done`).waitFor();
    await list.getByText(new RegExp(`^${offline.username}: not done, .+`)).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByText('3 selected').waitFor({ state: 'detached' });
    await page.locator('tr', { hasText: online[0].username }).filter({ hasText: 'Offline' }).waitFor();

    // Only the banned ones, in the URL.
    await page.getByLabel('Show').selectOption('banned');
    await page.waitForURL(/\/admin\/players\?banned=true$/);
    // The rows of the search before stay (busy and inert) until the banned ones arrive.
    await page.waitForFunction(() => document.querySelectorAll('table.players tbody tr').length === 1);
    await page.locator('table.players tbody tr').filter({ hasText: offline.username }).filter({ hasText: /OfflineBanned until .* by admin: alt account/ }).waitFor();

    // Every online player (not only this page) as CSV.
    await page.getByLabel('Show').selectOption('online');
    await page.waitForURL(/\/admin\/players\?online=true$/);
    const total = (await api('GET', '/admin/players?online=true&limit=1')).body.total;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const rows = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
    assert.equal(rows[0], 'id,username,ship_id,created_at,online,banned_until,ban_reason');
    assert.equal(rows.length - 1, total);
    assert.ok(total > 25, 'more than a page');
    await page.getByText(`Exported ${total} players`).waitFor();
  });
});
