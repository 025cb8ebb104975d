// What the operator sees is what is sent, and nothing typed is lost: ban durations, drafts
// through a lapsed session, navigation and reloads; answers and requests that are out of date;
// exports; role gates; numbers; focus and timing for assistive technology; hostile text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import {
  api, dev, env, launchBrowser, loginAndWait, loginAs, requestLogMark, requestsSince, waitForRequest, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

/** Waits up to 5 s for `check()` to hold; `why()` says what was seen instead. */
async function until(check, why) {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within 5 s; seen: ${why()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const onlinePlayers = async () => (await api('GET', '/admin/players?online=true&limit=5')).body.items;

/** The JSON body of the next request the page sends that `match`es, once it is sent. */
const nextBody = (page, match) => page.waitForRequest(match).then((r) => r.postDataJSON());
const isBan = (r) => r.method() === 'POST' && /\/admin\/players\/[^/]+\/ban$/.test(new URL(r.url()).pathname);
const isBulk = (r) => r.method() === 'POST' && r.url().endsWith('/admin/players/bulk');

test('the ban dialog shows the duration it sends, after a cancel, a reopen and another ban', async () => {
  const [player] = await onlinePlayers();
  await withPage(browser, 'ban-duration', async (page) => {
    await loginAndWait(page, `/players/${player.id}`);
    await page.getByRole('button', { name: 'Ban…' }).click();
    let dialog = page.getByRole('dialog', { name: `Ban ${player.username}?` });
    await dialog.getByLabel(/^Reason/).fill('spawn camping');
    await dialog.getByLabel('For').selectOption({ label: 'Permanently' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Open again: what is shown is what was chosen, and is what goes.
    await page.getByRole('button', { name: 'Ban…' }).click();
    dialog = page.getByRole('dialog', { name: `Ban ${player.username}?` });
    assert.equal(await dialog.getByLabel('For').locator('option:checked').textContent(), 'Permanently');
    assert.equal(await dialog.getByLabel(/^Reason/).inputValue(), 'spawn camping', 'the reason is kept');
    const sent = nextBody(page, isBan);
    await dialog.getByRole('button', { name: 'Ban player' }).click();
    assert.deepEqual(await sent, { reason: 'spawn camping', duration_seconds: null });
    await page.getByTestId('ban').filter({ hasText: 'Banned permanently' }).waitFor();

    // A ban made: the next dialog starts afresh, at 24 hours, and says so.
    await page.getByRole('button', { name: 'Change ban…' }).click();
    dialog = page.getByRole('dialog', { name: `Ban ${player.username}?` });
    assert.equal(await dialog.getByLabel('For').locator('option:checked').textContent(), '24 hours');
    assert.equal(await dialog.getByLabel(/^Reason/).inputValue(), '');
    await dialog.getByLabel(/^Reason/).fill('reduced on appeal');
    const again = nextBody(page, isBan);
    await dialog.getByRole('button', { name: 'Ban player' }).click();
    assert.deepEqual(await again, { reason: 'reduced on appeal', duration_seconds: 86400 });
  });
});

test('a permanent bulk ban does not make the next bulk ban permanent', async () => {
  const players = (await api('GET', '/admin/players?sort=username&order=asc&limit=25&offset=0')).body.items;
  await withPage(browser, 'bulk-ban-duration', async (page) => {
    await loginAndWait(page, '/players');
    const banSelected = async (picked, duration, reason) => {
      for (const p of picked) await page.getByRole('checkbox', { name: `Select ${p.username}` }).check();
      await page.getByRole('button', { name: 'Ban selected…' }).click();
      const dialog = page.getByRole('dialog', { name: `Ban ${picked.length} players?` });
      const shown = await dialog.getByLabel('For').locator('option:checked').textContent();
      if (duration) await dialog.getByLabel('For').selectOption({ label: duration });
      await dialog.getByLabel(/^Reason/).fill(reason);
      const sent = nextBody(page, isBulk);
      await dialog.getByRole('button', { name: 'Ban them' }).click();
      const body = await sent;
      for (const p of picked) await dialog.getByTestId('bulk-list').getByText(`${p.username}: done`).waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
      await page.getByText(/\d+ selected/).waitFor({ state: 'detached' });
      return { shown, body };
    };
    const first = await banSelected(players.slice(0, 2), 'Permanently', 'botting ring');
    assert.equal(first.shown, '24 hours');
    assert.deepEqual(first.body, {
      action: 'ban', ids: players.slice(0, 2).map((p) => p.id), reason: 'botting ring', duration_seconds: null,
    });
    const second = await banSelected(players.slice(2, 4), null, 'chat spam');
    assert.equal(second.shown, '24 hours', 'the dialog says 24 hours…');
    assert.equal(second.body.duration_seconds, 86400, '…and 24 hours is what is sent');
  });
});

test('a dialog holding typed text survives a stray click and Escape: the text is there when it opens again', async () => {
  const [player] = await onlinePlayers();
  await withPage(browser, 'dialog-text-kept', async (page) => {
    await loginAndWait(page, `/players/${player.id}`);
    await page.getByRole('button', { name: 'Ban…' }).click();
    const dialog = page.getByRole('dialog', { name: `Ban ${player.username}?` });
    await dialog.getByLabel(/^Reason/).fill('typed with care');
    // The backdrop: the dialog element itself, outside its body.
    await page.mouse.click(5, 5);
    assert.equal(await dialog.isVisible(), true, 'a stray click does not close it');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Ban…' }).click();
    assert.equal(await dialog.getByLabel(/^Reason/).inputValue(), 'typed with care');
  });
});

test('a session that lapses mid-action: sign in over the page, the ban goes on, nothing typed is lost', async () => {
  const [player] = await onlinePlayers();
  await withPage(browser, 'lapse-in-place', async (page) => {
    await loginAndWait(page, `/players/${player.id}`);
    await page.getByLabel('New note').fill('note typed before the lapse');
    await page.getByRole('button', { name: 'Ban…' }).click();
    const dialog = page.getByRole('dialog', { name: `Ban ${player.username}?` });
    await dialog.getByLabel(/^Reason/).fill('exploit abuse');
    await dialog.getByLabel('For').selectOption({ label: '7 days' });
    const url = page.url();

    await dev('POST', '/expire-tokens', {});
    const mark = await requestLogMark();
    const sent = page.waitForRequest((r) => isBan(r) && r.headers()['x-galaxy-session'] === 'cookie');
    await dialog.getByRole('button', { name: 'Ban player' }).click();
    await waitForRequest(mark, { method: 'POST', path: `/admin/players/${player.id}/ban`, status: 401 });
    const signIn = page.getByRole('dialog', { name: 'Sign in again' });
    await signIn.waitFor();
    assert.equal(page.url(), url, 'the page stays');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('galaxy_admin_session')), null, 'the lapsed session is not kept for a reload');
    assert.equal(await signIn.getByLabel('Username').inputValue(), env.username);
    await sent;

    // Signed in again: the ban that was refused is sent again, as it was typed.
    const retried = nextBody(page, isBan);
    await signIn.getByLabel('Password').fill(env.password);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    assert.deepEqual(await retried, { reason: 'exploit abuse', duration_seconds: 604800 });
    await page.getByText(`${player.username} banned`).waitFor();
    await signIn.waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('New note').inputValue(), 'note typed before the lapse');
    assert.equal(page.url(), url);
  }, { allowConsoleErrors: true });
});

test('drafts outlive navigation and a reload; a note typed for one player stays with that player', async () => {
  const [one, two] = await onlinePlayers();
  await withPage(browser, 'drafts', async (page) => {
    await loginAndWait(page, '/config');
    const tick = page.locator('#config-tick_rate');
    await tick.fill('7.5');
    await page.getByRole('link', { name: 'Players' }).click();
    await page.locator('table.players').waitFor();
    await page.getByRole('link', { name: 'Runtime config' }).click();
    assert.equal(await tick.inputValue(), '7.5', 'kept across pages');
    await page.reload();
    assert.equal(await tick.inputValue(), '7.5', 'kept across a reload (a new build\'s Refresh)');
    await page.locator('tr[data-key=tick_rate]').getByRole('button', { name: 'Save' }).click();
    await page.getByText('tick_rate set to 7.5').waitFor();
    await page.reload();
    assert.equal(await tick.inputValue(), '7.5', 'saved: the draft is done');

    await page.goto(`${env.dashboard}/admin/players/${one.id}`);
    await page.getByLabel('New note').fill(`about ${one.username}`);
    await page.goto(`${env.dashboard}/admin/players/${two.id}`);
    await page.getByTestId('notes').waitFor();
    assert.equal(await page.getByLabel('New note').inputValue(), '');
    await page.goto(`${env.dashboard}/admin/players/${one.id}`);
    assert.equal(await page.getByLabel('New note').inputValue(), `about ${one.username}`);

    // Logging out forgets them.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').waitFor();
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('galaxy_draft:'))), []);
  });
});

test('a status answer older than the pause never shows the game running again', async () => {
  await withPage(browser, 'pause-flicker', async (page) => {
    await loginAndWait(page, '/');
    const state = page.getByTestId('game-state');
    await state.filter({ hasText: 'Running' }).waitFor();
    const running = (await api('GET', '/admin/game/status')).body;
    // The next status poll is answered late, with the status from before the pause.
    await dev('POST', '/faults', {
      path_prefix: '/admin/game/status', method: 'GET', count: 1, status: 200, body: running, delay_ms: 3000,
    });
    const stale = await page.waitForRequest((r) => r.url().includes('/admin/game/status'));
    const staleAnswered = page.waitForResponse((r) => r.request() === stale);
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid=game-state]');
      window.__states = [];
      new MutationObserver(() => window.__states.push(el.textContent)).observe(el, { childList: true, subtree: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Pause game' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Pause game' }).click();
    await page.getByText('Game paused').waitFor();
    await staleAnswered;
    // And one ordinary poll after it, answered and shown.
    await page.waitForResponse((r) => r.url().includes('/admin/game/status'));
    await state.filter({ hasText: 'Paused' }).waitFor();
    const states = await page.evaluate(() => window.__states);
    assert.deepEqual([...new Set(states)], ['Paused'], `shown meanwhile: ${states.join(', ')}`);
  });
});

test('requests of a page left, or of a search typed over, are aborted; stale rows are busy and inert', async () => {
  await withPage(browser, 'abort-stale', async (page) => {
    const aborted = [];
    page.on('requestfailed', (r) => aborted.push(`${new URL(r.url()).pathname}${new URL(r.url()).search} ${r.failure()?.errorText}`));
    await loginAndWait(page, '/');
    // Two: the page asks for the entries and for the tamper check (/admin/audit/verify), in either order.
    await dev('POST', '/faults', { path_prefix: '/admin/audit', method: 'GET', count: 2, delay_ms: 5000 });
    const audit = page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/admin/audit'));
    await page.getByRole('link', { name: 'Audit log' }).click();
    await audit;
    await page.getByRole('link', { name: 'Players' }).click();
    await page.locator('table.players').waitFor();
    await until(() => aborted.some((a) => a.startsWith('/api/admin/audit?') && a.endsWith('net::ERR_ABORTED')), () => aborted.join('\n'));

    // A search typed over: the first is aborted, and meanwhile the old rows cannot be acted on.
    await dev('POST', '/faults', { path_prefix: '/admin/players', method: 'GET', count: 1, delay_ms: 5000 });
    const first = page.waitForRequest((r) => /\/admin\/players\?.*search=a&/.test(r.url()));
    await page.locator('#player-search').fill('a');
    await first;
    const rows = page.locator('.rows').first();
    assert.equal(await rows.getAttribute('inert'), '');
    assert.equal(await rows.getAttribute('aria-busy'), 'true');
    await assert.rejects(
      page.locator('.rows input[type=checkbox]').first().check({ timeout: 1000 }),
      'inert rows cannot be selected',
    );
    await page.locator('#player-search').fill('ab');
    await until(() => aborted.some((a) => /search=a&.* net::ERR_ABORTED$/.test(a)), () => aborted.join('\n'));
    await page.waitForURL(/search=ab/);
    await page.locator('.rows:not([inert])').or(page.locator('p.empty')).first().waitFor();
  }, { allowConsoleErrors: true });
});

test('exports: named as the gateway names them, records counted as CSV counts them, not cut off at 15 s', async () => {
  assert.equal((await api('POST', '/admin/game/pause', { reason: 'first line\nsecond, "quoted" line' })).status, 200);
  assert.equal((await api('POST', '/admin/game/resume')).status, 200);
  await withPage(browser, 'exports', async (page) => {
    await loginAndWait(page, '/audit?action=game.pause');
    await page.locator('table.audit tbody tr').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^galaxy-audit-\d{8}T\d{6}Z\.csv$/);
    assert.match(readFileSync(await download.path(), 'utf8'), /first line\r?\nsecond, ""quoted"" line/);
    await page.getByText('Exported 1 entries').waitFor();

    // A slow whole-search export has its own time limit.
    await dev('POST', '/faults', { path_prefix: '/admin/players/export', count: 1, delay_ms: 17_000 });
    await page.goto(`${env.dashboard}/admin/players`);
    await page.locator('table.players').waitFor();
    const [slow] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.match(slow.suggestedFilename(), /^galaxy-players-\d{8}T\d{6}Z\.csv$/);
    await page.getByText(/^Exported \d+ players$/).waitFor();
  });
});

test('role gates live with the routes: a page a role cannot use is neither offered nor called', async () => {
  await withPage(browser, 'role-gates', async (page) => {
    await dev('POST', '/faults', { path_prefix: '/admin/auth/me', count: 1, delay_ms: 2500 });
    await page.goto(`${env.dashboard}/admin/`);
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill(env.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    // Before the role is known, the controls say why they wait.
    await page.getByText('Checking your role before you can pause or resume the game…').waitFor();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.getByText('Checking your role').waitFor({ state: 'detached' });
  });
  for (const role of ['viewer', 'operator']) {
    await withPage(browser, `role-gates-${role}`, async (page) => {
      await loginAs(page, `gate_${role}`, role, '/');
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).count(), 0);
      const mark = await requestLogMark();
      await page.goto(`${env.dashboard}/admin/accounts`);
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
      await page.getByText('This page needs the admin role.', { exact: false }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0);
      await waitForRequest(mark, { method: 'GET', path: '/admin/auth/me' });
      assert.deepEqual(await requestsSince(mark, { path: '/admin/accounts' }), [], 'the accounts endpoint is not called');
      await page.goto(`${env.dashboard}/admin/config`);
      const field = page.locator('#config-tick_rate');
      await field.waitFor();
      assert.equal(await field.evaluate((e) => e.readOnly), role === 'viewer', 'viewers cannot type where they cannot save');
    });
  }
});

test('the audit log finds an account by its name and suggests every action it records', async () => {
  const { body: created } = await api('POST', '/admin/accounts', { username: 'quasar_ops', role: 'operator' });
  assert.equal((await api('PUT', `/admin/accounts/${created.account.id}/role`, { role: 'viewer' })).status, 200);
  await withPage(browser, 'audit-account-name', async (page) => {
    await loginAndWait(page, '/audit?target=quasar');
    const row = page.locator('table.audit tbody tr', { hasText: 'account.role' });
    await row.waitFor();
    assert.match(await row.textContent(), /quasar_ops/);
    for (const action of ['player.ban', 'player.unban', 'player.kick', 'player.note', 'snapshot.pin', 'snapshot.unpin']) {
      assert.equal(await page.locator(`#audit-actions option[value="${action}"]`).count(), 1, action);
    }
  });
});

test('numbers: no float can hold it is refused; 20.0 is no change from 20', async () => {
  await withPage(browser, 'numbers', async (page) => {
    await loginAndWait(page, '/config');
    const row = page.locator('tr[data-key=tick_rate]');
    const field = row.locator('input');
    await field.waitFor();
    const current = await field.inputValue();
    await field.fill(`${current}${current.includes('.') ? '0' : '.0'}`);
    assert.equal(await row.getByRole('button', { name: 'Save' }).isDisabled(), true, 'the same number, written otherwise');
    await field.fill('1e99999999999');
    await row.getByText('Enter a number').waitFor();
    assert.equal(await row.getByRole('button', { name: 'Save' }).isDisabled(), true);
  });
});

test('navigation moves the focus to the new page and announces it; copying a tick copies digits', async () => {
  await withPage(browser, 'focus-announce-copy', async (page) => {
    await dev('PUT', '/tick', { tick: 123456789 });
    await loginAndWait(page, '/');
    await page.getByTestId('tick').filter({ hasText: /^123\u2009456\u2009\d{3}$/ }).waitFor();
    const copied = await page.evaluate(() => {
      const tick = document.querySelector('[data-testid=tick]');
      getSelection().selectAllChildren(tick);
      const data = new DataTransfer();
      document.dispatchEvent(new ClipboardEvent('copy', { clipboardData: data, bubbles: true, cancelable: true }));
      return { shown: tick.textContent, copied: data.getData('text/plain') };
    });
    assert.match(copied.shown, /\u2009/, 'grouped on screen');
    assert.equal(copied.copied, copied.shown.replace(/\u2009/g, ''), 'digits in the clipboard');

    await page.getByRole('link', { name: 'Players' }).click();
    await page.getByRole('heading', { name: 'Players', level: 1 }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Players');
    await page.getByTestId('page-announcement').filter({ hasText: 'Players' }).waitFor();
  });
});

test('the Undo toast waits while it is hovered or focused', async () => {
  await withPage(browser, 'undo-holds', async (page) => {
    await page.clock.install();
    await loginAndWait(page, '/config');
    const row = page.locator('tr[data-key=max_players]');
    const field = row.locator('input');
    await field.waitFor();
    await field.fill(String(Number(await field.inputValue()) + 1));
    await row.getByRole('button', { name: 'Save' }).click();
    const toast = page.locator('.toast', { has: page.getByRole('button', { name: 'Undo' }) });
    await toast.waitFor();
    await toast.hover();
    await page.clock.runFor(15_000);
    assert.equal(await toast.isVisible(), true, 'held while hovered');
    await page.mouse.move(1, 1);
    await toast.getByRole('button', { name: 'Undo' }).focus();
    await page.clock.runFor(15_000);
    assert.equal(await toast.isVisible(), true, 'held while focused');
    await field.focus();
    await page.clock.runFor(11_000);
    await toast.waitFor({ state: 'hidden' });
  });
});

test('markup built from server text (charts, events, notes, timeline, audit) shows it as text', async () => {
  const payload = '<img src=x onerror="window.__xss=1">';
  const [player] = await onlinePlayers();
  assert.equal((await api('POST', `/admin/players/${player.id}/notes`, { text: payload })).status, 201);
  assert.equal((await api('POST', `/admin/players/${player.id}/ban`, { reason: payload, duration_seconds: 3600 })).status, 200);
  assert.equal((await api('POST', '/admin/game/pause', { reason: payload })).status, 200);
  assert.equal((await api('POST', '/admin/game/resume')).status, 200);
  await withPage(browser, 'hostile-markup', async (page) => {
    const hostile = async (locator) => {
      await locator.filter({ hasText: payload }).first().waitFor();
      assert.equal(await locator.locator('img').count(), 0);
    };
    await loginAndWait(page, `/players/${player.id}`);
    await hostile(page.getByTestId('notes'));
    await hostile(page.getByTestId('timeline'));
    await page.goto(`${env.dashboard}/admin/audit`);
    await hostile(page.locator('table.audit'));
    await page.goto(`${env.dashboard}/admin/`);
    await hostile(page.getByTestId('events'));
    assert.equal(await page.locator('[data-testid=chart] img, .readout img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });
});

test('a link click adds to the history; Back and Forward bring the page and its query back', async () => {
  const [player] = (await api('GET', '/admin/players?search=a&limit=1')).body.items;
  await withPage(browser, 'history', async (page) => {
    await loginAndWait(page, '/');
    const length = () => page.evaluate(() => history.length);
    const before = await length();
    await page.getByRole('link', { name: 'Players' }).click();
    await page.waitForURL(/\/admin\/players$/);
    assert.equal(await length(), before + 1);
    await page.locator('#player-search').fill('a');
    await page.waitForURL(/\/admin\/players\?search=a$/);
    await page.getByRole('link', { name: player.username, exact: true }).click();
    await page.getByRole('heading', { name: player.username, level: 1 }).waitFor();
    await page.goBack();
    await page.waitForURL(/\/admin\/players\?search=a$/);
    assert.equal(await page.locator('#player-search').inputValue(), 'a');
    await page.getByRole('link', { name: player.username, exact: true }).waitFor();
    await page.goForward();
    await page.getByRole('heading', { name: player.username, level: 1 }).waitFor();
  });
});
