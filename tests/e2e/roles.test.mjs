// Roles: what a viewer, an operator and an admin see and can do, and what happens to an
// open tab when an admin changes its account.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import {
  ACCOUNT_PASSWORD as PASSWORD, api, dev, env, launchBrowser, loginAs, requestLogMark, requestsSince, seededPlayer, waitForRequest, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

test('a viewer reads every page and can change nothing, each control saying why', async () => {
  await api('POST', '/admin/snapshots');
  const player = await seededPlayer(5);
  await withPage(browser, 'role-viewer', async (page) => {
    await loginAs(page, 'support_vi', 'viewer');
    assert.equal(await page.getByTestId('operator').textContent(), 'support_vi');
    const mark = await requestLogMark();

    await page.getByTestId('tick').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Pause game' }).isDisabled());
    await page.getByText('Needs the operator role to pause or resume the game.').waitFor();

    await page.getByRole('link', { name: 'Runtime config' }).click();
    await page.getByText('Needs the operator role to change values.').waitFor();
    const row = page.locator('tr[data-key="tick_rate"]');
    assert.ok(await row.getByRole('textbox').evaluate((e) => e.readOnly), 'nothing to type where nothing can be saved');
    assert.ok(await row.getByRole('button', { name: 'Save' }).isDisabled());

    await page.getByRole('link', { name: 'Snapshots' }).click();
    await page.getByText('Needs the operator role to take snapshots.').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Take snapshot' }).isDisabled());
    assert.ok(await page.getByRole('button', { name: 'Restore' }).isDisabled());
    assert.ok(await page.getByRole('button', { name: 'Pin' }).isDisabled(), 'pinning is for admins');
    assert.ok(await page.getByRole('button', { name: 'Delete' }).isDisabled());

    await page.goto(`${env.dashboard}/admin/players/${player.id}`);
    await page.getByText('Needs the admin role to delete players.').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Delete player' }).isDisabled());

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('tbody tr').first().waitFor();
    // Reads and CORS preflights only: no change was sent.
    const changes = (await requestsSince(mark, { path: '/admin/' })).filter((r) => !['GET', 'OPTIONS'].includes(r.method));
    assert.deepEqual(changes, [], 'a viewer sent no change');
  });
});

test('an operator runs the game but cannot restore or delete snapshots', async () => {
  await api('POST', '/admin/snapshots');
  await withPage(browser, 'role-operator', async (page) => {
    await loginAs(page, 'shift_op', 'operator', '/snapshots');
    await page.getByText('Needs the admin role to restore or delete snapshots.').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Restore' }).isDisabled());
    assert.ok(!(await page.getByRole('button', { name: 'Take snapshot' }).isDisabled()));
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await page.getByText(/Snapshot #2 taken/).waitFor();

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Pause game' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Pause game' }).click();
    await page.getByTestId('game-state').filter({ hasText: 'Paused' }).waitFor();

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('tbody tr', { hasText: 'game.pause' }).filter({ hasText: 'shift_op (operator)' }).waitFor();
  });
});

test('a 403 that still happens is explained and the role is asked again', async () => {
  await withPage(browser, 'role-403', async (page) => {
    await loginAs(page, 'shift_op', 'operator');
    await dev('POST', '/faults', {
      path_prefix: '/admin/game/pause', method: 'POST', status: 403,
      body: { detail: 'This action needs the admin role; you are signed in as operator' },
    });
    const mark = await requestLogMark();
    await page.getByRole('button', { name: 'Pause game' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Pause game' }).click();
    await page.getByRole('dialog').getByText('This action needs the admin role; you are signed in as operator (HTTP 403)').waitFor();
    await waitForRequest(mark, { method: 'GET', path: '/admin/auth/me', status: 200 });
  }, { allowConsoleErrors: true });
});

test('a role change or a disabled account lapses the open tab at its next request, saying why', async () => {
  await withPage(browser, 'role-change-elsewhere', async (page) => {
    const account = await loginAs(page, 'shift_op', 'operator', '/players');
    await page.locator('table.players').waitFor();
    // An admin, elsewhere, demotes the account.
    assert.equal((await api('PUT', `/admin/accounts/${account.id}/role`, { role: 'viewer' })).status, 200);
    const signIn = page.getByRole('dialog', { name: 'Sign in again' });
    await signIn.getByText('The gateway said: Session ended', { exact: false }).waitFor({ timeout: 10_000 });
    assert.equal(await signIn.getByLabel('Username').inputValue(), 'shift_op');
    await signIn.getByLabel('Password').fill(PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('role').filter({ hasText: 'viewer' }).waitFor();
    assert.match(page.url(), /\/admin\/players$/);

    assert.equal((await api('PUT', `/admin/accounts/${account.id}/disabled`, { disabled: true })).status, 200);
    await signIn.getByText('The gateway said: Account disabled', { exact: false }).waitFor({ timeout: 10_000 });
    await signIn.getByLabel('Password').fill(PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.getByText('This account is disabled; ask an admin to enable it.').waitFor();
    // Nothing more to do here: logging out instead goes to the login page.
    await signIn.getByRole('button', { name: 'Log out instead' }).click();
    await page.waitForURL(/\/admin\/login/);
  }, { allowConsoleErrors: true });
});

test('every operator changes their own password; the old one stops working', async () => {
  await withPage(browser, 'own-password', async (page) => {
    await loginAs(page, 'shift_op', 'operator');
    await page.getByRole('link', { name: 'Your sign-in' }).click();
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    const submit = page.getByRole('button', { name: 'Change password' });
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password (at least 12 characters)').fill('short');
    await page.getByLabel('New password again').fill('short');
    await submit.click();
    await page.getByText('The new password needs at least 12 characters').waitFor();

    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password (at least 12 characters)').fill('a much better passphrase');
    await page.getByLabel('New password again').fill('a much better passphrase');
    await submit.click();
    await page.getByRole('alert').filter({ hasText: 'current password is not correct' }).waitFor();

    await page.getByLabel('Current password').fill(PASSWORD);
    await submit.click();
    await page.getByText('Password changed; your other sessions have ended').waitFor();
    // This tab goes on with the new session.
    const mark = await requestLogMark();
    await page.getByRole('link', { name: 'Overview' }).click();
    await waitForRequest(mark, { method: 'GET', path: '/admin/game/status', status: 200 });
    const login = (password) => fetch(`${env.gateway}/admin/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'shift_op', password }),
    });
    assert.equal((await login(PASSWORD)).status, 401);
    assert.equal((await login('a much better passphrase')).status, 200);
  }, { allowConsoleErrors: true });
});

test('accounts: an admin creates, promotes, disables, resets and deletes; the one-time password works once shown', async () => {
  await withPage(browser, 'accounts', async (page) => {
    await page.goto(`${env.dashboard}/admin/accounts`);
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill(env.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Accounts' }).getAttribute('aria-current'), 'page');

    await page.getByLabel('New account').fill('night_op');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Account night_op created').waitFor();
    const otp = await page.getByLabel(/One-time password for night_op/).inputValue();
    assert.ok(otp.length >= 12, otp);
    const row = page.locator('tr[data-account="night_op"]');
    await row.waitFor();
    assert.equal(await row.getByLabel('Role of night_op').inputValue(), 'operator');
    const login = (password) => fetch(`${env.gateway}/admin/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'night_op', password }),
    });
    assert.equal((await login(otp)).status, 200, 'the password shown works');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByLabel(/One-time password/).waitFor({ state: 'detached' });

    await row.getByLabel('Role of night_op').selectOption('admin');
    await page.getByText('night_op is now admin').waitFor();
    await row.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('night_op disabled').waitFor();
    await row.getByText('Disabled', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('night_op enabled').waitFor();

    await row.getByRole('button', { name: 'Reset password' }).click();
    await page.getByText('New password for night_op').waitFor();
    const second = await page.getByLabel(/One-time password for night_op/).inputValue();
    assert.notEqual(second, otp);
    assert.equal((await login(otp)).status, 401, 'the old one is gone');

    // The bootstrap admin cannot lock itself out.
    const me = page.locator(`tr[data-account="${env.username}"]`);
    await me.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('alert').filter({ hasText: '(HTTP 409)' }).waitFor();

    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete account night_op?' });
    const confirm = dialog.getByRole('button', { name: 'Delete account' });
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel('Type night_op to confirm').fill('night_op');
    await confirm.click();
    await page.getByText('Account night_op deleted').waitFor();
    await row.waitFor({ state: 'detached' });
    assert.equal((await login(second)).status, 401);
  }, { allowConsoleErrors: true });
});

test('accounts: not in an operator\'s navigation, and the page says why if reached', async () => {
  await withPage(browser, 'accounts-operator', async (page) => {
    await loginAs(page, 'shift_op', 'operator');
    await page.getByRole('link', { name: 'Audit log' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Accounts' }).count(), 0);
    await page.goto(`${env.dashboard}/admin/accounts`);
    await page.getByText('This page needs the admin role.', { exact: false }).waitFor();
  }, { allowConsoleErrors: true });
});

test('a viewer sees a player\'s ban, notes and timeline but cannot ban, kick or add a note', async () => {
  const { body } = await api('GET', '/admin/players?online=true&limit=1');
  const player = body.items[0];
  assert.equal((await api('POST', `/admin/players/${player.id}/ban`, { reason: 'spam', duration_seconds: null })).status, 200);
  await withPage(browser, 'role-viewer-moderation', async (page) => {
    await loginAs(page, 'watcher', 'viewer', `/players/${player.id}`);
    await page.getByTestId('ban').filter({ hasText: 'Banned permanently by' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Change ban…' }).isDisabled());
    assert.ok(await page.getByRole('button', { name: 'Unban' }).isDisabled());
    await page.getByText('Needs the operator role to ban or kick players.').waitFor();
    assert.ok(await page.getByLabel('New note').evaluate((e) => e.readOnly), 'nothing to type where nothing can be added');
    assert.ok(await page.getByRole('button', { name: 'Add note' }).isDisabled());
    await page.getByTestId('timeline').locator('li[data-action="player.ban"]').waitFor();
    // The list: a viewer may select, and export, but not ban or kick.
    await page.getByRole('link', { name: 'Players', exact: true }).click();
    await page.getByRole('checkbox').first().check();
    assert.ok(await page.getByRole('button', { name: 'Ban selected…' }).isDisabled());
    assert.ok(await page.getByRole('button', { name: 'Kick selected…' }).isDisabled());
    assert.ok(!(await page.getByRole('button', { name: 'Export CSV' }).isDisabled()));
  });
});
