// Two-step sign-in in the console: an account with an authenticator app (set up through the
// API, as a script or the CLI can) signs in with its password and then a code; a code works
// once, a recovery code works once, and the sign-in over a lapsed page asks for a code too.
// Codes are computed here with the `otpauth` package from the account's secret, as a phone would.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { TOTP } from 'otpauth';
import {
  ACCOUNT_PASSWORD, api, dev, env, launchBrowser, loginAndWait, loginAs, seededPlayer, seriousA11yViolations, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

/** The code the app shows for `secret` (base32) `ahead` seconds from now. */
const codeFor = (secret, ahead = 0) => new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' })
  .generate({ timestamp: Date.now() + ahead * 1000 });

/** A call to the gateway as `token`'s account. */
async function as(token, method, path, body) {
  const response = await fetch(`${env.gateway}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** An account (an operator unless said) with an authenticator app; its secret and recovery codes. */
async function accountWithApp(username, role = 'operator') {
  await dev('POST', '/accounts', { username, password: ACCOUNT_PASSWORD, role });
  const login = await fetch(`${env.gateway}/admin/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: ACCOUNT_PASSWORD }),
  });
  const { access_token: token } = await login.json();
  const { body: { secret } } = await as(token, 'POST', '/admin/auth/totp/secret');
  const enrolled = await as(token, 'PUT', '/admin/auth/totp', { secret, code: codeFor(secret), current_password: ACCOUNT_PASSWORD });
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
  return { secret, recovery: enrolled.body.recovery_codes };
}

async function passwordStep(page, username) {
  await page.goto(`${env.dashboard}/admin/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByLabel('Authentication code').waitFor();
}

async function verify(page, code) {
  await page.getByLabel('Authentication code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

test('a password, then a code that works once; a recovery code works once', async () => {
  const { secret, recovery } = await accountWithApp('nova');
  await withPage(browser, 'two-step-login', async (page) => {
    await passwordStep(page, 'nova');
    assert.equal(await page.getByLabel('Password').count(), 0, 'the password is not asked twice');
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `code step (${scheme})`);
    }
    await verify(page, '000000');
    await page.getByRole('alert').filter({ hasText: 'Incorrect code.' }).waitFor();
    // The set-up used this step's code: the next step's is the one to type now.
    const next = codeFor(secret, 30);
    await verify(page, next);
    await page.getByTestId('role').filter({ hasText: 'operator' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await passwordStep(page, 'nova');
    await verify(page, next);
    await page.getByRole('alert').filter({ hasText: 'Incorrect code.' }).waitFor();
    await verify(page, recovery[0]);
    await page.getByTestId('role').filter({ hasText: 'operator' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await passwordStep(page, 'nova');
    await verify(page, recovery[0]);
    await page.getByRole('alert').filter({ hasText: 'Incorrect code.' }).waitFor();
  }, { allowConsoleErrors: true }); // the browser logs the refused codes' 401s

  const { body } = await api('GET', '/admin/audit?action=auth.login&limit=10');
  const details = body.items.filter((e) => e.admin === 'nova').map((e) => e.detail);
  assert.ok(details.some((d) => d.includes('with password and an authenticator code')), details.join('\n'));
  assert.ok(details.some((d) => d.includes('with password and a recovery code (9 left)')), details.join('\n'));
  assert.ok(details.every((d) => !d.includes(recovery[0]) && !d.includes(codeFor(secret, 30))), 'never a code');
});

test('the sign-in over a lapsed page asks for the code too, and the page goes on', async () => {
  const { recovery } = await accountWithApp('orion');
  await withPage(browser, 'two-step-again', async (page) => {
    await passwordStep(page, 'orion');
    await verify(page, recovery[1]);
    await page.getByTestId('role').filter({ hasText: 'operator' }).waitFor();
    await page.goto(`${env.dashboard}/admin/players?search=nova`);
    await page.locator('table.players').waitFor();

    await dev('POST', '/expire-tokens', {});
    const signIn = page.getByRole('dialog', { name: 'Sign in again' });
    await signIn.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.getByLabel('Authentication code').fill(recovery[2]);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.waitFor({ state: 'detached' });
    assert.match(page.url(), /\/admin\/players\?search=nova$/);
    assert.equal(await page.locator('#player-search').inputValue(), 'nova');
  }, { allowConsoleErrors: true });
});

test('a dangerous action is confirmed in place with a fresh code, keeping what was typed', async () => {
  const { secret, recovery } = await accountWithApp('vega', 'admin');
  const player = await seededPlayer(9);
  const name = player.username;
  const reason = 'a duplicate account, ticket #7';
  await dev('PUT', '/confirm-dangerous-actions', { enabled: true }); // back off at the next reset
  await withPage(browser, 'confirm-in-place', async (page) => {
    await passwordStep(page, 'vega');
    await verify(page, recovery[0]);
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.goto(`${env.dashboard}/admin/players/${player.id}`);
    await page.getByRole('button', { name: 'Delete player' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete player ${name}?` });
    await dialog.getByLabel(`Type ${name} to confirm`).fill(name);
    await dialog.getByLabel('Reason (optional, kept in the audit log)').fill(reason);
    await dialog.getByRole('button', { name: 'Delete player' }).click();

    // The gateway refused it without a proof; the console asks over the dialog.
    const confirm = page.getByRole('dialog', { name: `Confirm: Delete player ${name}` });
    await confirm.getByLabel('Authentication code').waitFor();
    // The field has the focus, so the code can be typed at once.
    await page.waitForFunction(() => document.activeElement?.getAttribute('autocomplete') === 'one-time-code');
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `confirmation (${scheme})`);
    }
    await confirm.getByLabel('Authentication code').fill('000000');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await confirm.getByRole('alert').filter({ hasText: 'The code is not right or was already used.' }).waitFor();
    assert.equal((await api('GET', `/admin/players/${player.id}`)).status, 200, 'nothing done on a wrong code');

    // Declined: not done, said in the dialog, which keeps what was typed.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Not done: it was not confirmed.' }).waitFor();
    assert.equal(await dialog.getByLabel('Reason (optional, kept in the audit log)').inputValue(), reason);
    assert.equal((await api('GET', `/admin/players/${player.id}`)).status, 200, 'nothing done when declined');

    // Again, with the app's code (the set-up used this step's): the very request goes on with the proof.
    await dialog.getByRole('button', { name: 'Delete player' }).click();
    await confirm.getByLabel('Authentication code').fill(codeFor(secret, 30));
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(`Player ${name} deleted`).waitFor();
    assert.equal(await confirm.count(), 0);
  }, { allowConsoleErrors: true }); // the browser logs the refusals (403, 422)

  const { body: deleted } = await api('GET', `/admin/audit?action=player.delete&target=${player.id}`);
  assert.equal(deleted.items[0]?.reason, reason, 'the reason typed before the confirmation went with the action');
  const { body: confirmed } = await api('GET', '/admin/audit?action=auth.confirm&limit=5');
  assert.ok(confirmed.items.some((e) => e.admin === 'vega' && e.target_type === 'player' && e.target_id === player.id
    && e.detail.startsWith('deletePlayer confirmed with an authenticator code')), JSON.stringify(confirmed.items));
  const { body: failed } = await api('GET', '/admin/audit?action=auth.confirm_failed&limit=5');
  assert.ok(failed.items.some((e) => e.admin === 'vega'), 'the wrong code is recorded');
});

/** Sets up an authenticator app on the set-up form shown; its key and the recovery codes shown. */
async function setUpApp(page) {
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await page.getByRole('img', { name: 'QR code of the key for your authenticator app' }).waitFor();
  const secret = (await page.getByTestId('totp-secret').textContent()).replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.getByLabel('2. Code the app now shows').fill('000000');
  await page.getByLabel('3. Your password, to show it is you').fill(ACCOUNT_PASSWORD);
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  await page.getByRole('alert').filter({ hasText: /code/i }).waitFor();
  assert.equal(await page.getByTestId('recovery-codes').count(), 0, 'a wrong code enrols nothing');
  await page.getByLabel('2. Code the app now shows').fill(codeFor(secret));
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  await page.getByTestId('recovery-codes').waitFor();
  const codes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
  assert.equal(codes.length, 10);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await seriousA11yViolations(page), [], `recovery codes (${scheme})`);
  }
  return { secret, recovery: codes };
}

test('an operator sets up an authenticator app on "Your sign-in"; the next sign-in asks for a code', async () => {
  await withPage(browser, 'two-step-set-up', async (page) => {
    await loginAs(page, 'lyra', 'operator');
    await page.getByRole('link', { name: 'Your sign-in' }).click();
    const status = page.getByTestId('two-step-status');
    await status.filter({ hasText: 'Off: signing in takes only your password.' }).waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `your sign-in (${scheme})`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `set-up (${scheme})`);
    }
    await page.getByRole('button', { name: 'Cancel' }).click();
    const { recovery } = await setUpApp(page);
    await page.getByRole('button', { name: 'I have kept them' }).click();
    await status.filter({ hasText: 'On: signing in takes your password and a code of your authenticator app. 10 of 10' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await passwordStep(page, 'lyra');
    await verify(page, recovery[0]);
    await page.getByTestId('role').filter({ hasText: 'operator' }).waitFor();
    await page.getByRole('link', { name: 'Your sign-in' }).click();
    await status.filter({ hasText: '9 of 10 recovery codes left' }).waitFor();
  }, { allowConsoleErrors: true }); // the refused code's 422 is logged
  const { body } = await api('GET', '/admin/audit?action=auth.factor_enrol&limit=5');
  assert.ok(body.items.some((e) => e.admin === 'lyra'), JSON.stringify(body.items));
  assert.ok(body.items.every((e) => !JSON.stringify(e).match(/[A-Z2-7]{32}/)), 'never the key');
});

test('a new admin made to set up a second factor restores a snapshot after confirming with it', async () => {
  await dev('PUT', '/second-factor-roles', { roles: ['admin'] }); // back to none at the next reset
  await dev('PUT', '/confirm-dangerous-actions', { enabled: true });
  await withPage(browser, 'forced-enrolment', async (page) => {
    await loginAs(page, 'rigel', 'admin', '/snapshots');
    // Every page waits for the second factor the role requires.
    await page.getByRole('heading', { level: 1, name: 'Set up two-step sign-in' }).waitFor();
    await page.getByRole('link', { name: 'Players' }).click();
    await page.getByRole('heading', { level: 1, name: 'Set up two-step sign-in' }).waitFor();
    await page.getByTestId('two-step-status').filter({ hasText: 'Off, and your role requires it' }).waitFor();
    const { secret } = await setUpApp(page);
    await page.getByRole('button', { name: 'I have kept them' }).click();
    await page.getByRole('heading', { level: 1, name: 'Players' }).waitFor();

    await page.getByRole('link', { name: 'Snapshots' }).click();
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await page.getByText(/Snapshot #1 taken at tick \d+/).waitFor();
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog', { name: 'Pause the game first' }).getByRole('button', { name: 'Pause the game' }).click();
    const restore = page.getByRole('dialog', { name: 'Restore snapshot #1?' });
    await restore.getByLabel('Reason (optional, kept in the audit log)').fill('the acceptance run');
    await restore.getByRole('button', { name: /^Restore tick/ }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm: Restore snapshot 1' });
    // The set-up used this step's code: the next one confirms.
    await confirm.getByLabel('Authentication code').fill(codeFor(secret, 30));
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(/Restored snapshot #1: the world is back at tick \d+/).waitFor();

    // The audit log shows the restore and the confirmation that approved it.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('tr[data-action="snapshot.restore"]').filter({ hasText: 'rigel' }).waitFor();
    await page.locator('tr[data-action="auth.confirm"]').filter({ hasText: 'restoreSnapshot confirmed with an authenticator code' }).waitFor();
    // Nothing a page script can read is a credential: the session is an HttpOnly cookie.
    const readable = await page.evaluate(() => JSON.stringify({
      cookie: document.cookie, local: { ...localStorage }, session: { ...sessionStorage },
    }));
    assert.doesNotMatch(readable, /eyJ|gas_|gak_|[A-Z2-7]{32}/, readable);
  }, { allowConsoleErrors: true }); // the refusals before the set-up and the confirmation are logged
  const { body } = await api('GET', '/admin/audit?action=auth.factor_enrol&limit=5');
  assert.ok(body.items.some((e) => e.admin === 'rigel'), JSON.stringify(body.items));
});

test('an admin ends another account\'s sessions and resets its two-step sign-in', async () => {
  await accountWithApp('deneb');
  await withPage(browser, 'admin-factor-reset', async (page) => {
    await loginAndWait(page, '/accounts');
    const row = page.locator('tr[data-account="deneb"]');
    await row.getByRole('cell', { name: 'On', exact: true }).waitFor();
    const own = page.locator(`tr[data-account="${env.username}"]`);
    assert.equal(await own.getByRole('button', { name: /End the sessions|Reset the two-step/ }).count(), 0,
      'not on the admin\'s own row: theirs are on Your sign-in');
    await row.getByRole('button', { name: 'End the sessions of deneb' }).click();
    const end = page.getByRole('dialog', { name: 'End every session of deneb?' });
    await end.getByLabel('Reason (optional, kept in the audit log)').fill('laptop stolen, ticket #11');
    await end.getByRole('button', { name: 'End sessions' }).click();
    await page.getByText(/^Ended \d+ sessions? of deneb$/).waitFor();

    await row.getByRole('button', { name: 'Reset the two-step sign-in of deneb' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset two-step sign-in of deneb?' });
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `reset dialog (${scheme})`);
    }
    await dialog.getByLabel('Reason (optional, kept in the audit log)').fill('lost phone, ticket #12');
    await dialog.getByRole('button', { name: 'Reset two-step' }).click();
    await page.getByText('Two-step sign-in of deneb reset').waitFor();
    await row.getByRole('cell', { name: 'Off', exact: true }).waitFor();
    assert.equal(await row.getByRole('button', { name: /Reset the two-step/ }).count(), 0);
  });
  const reset = (await api('GET', '/admin/audit?action=account.factor_reset&limit=5')).body.items[0];
  assert.equal(reset?.reason, 'lost phone, ticket #12');
  const ended = (await api('GET', '/admin/audit?action=account.sessions_end&limit=5')).body.items;
  assert.ok(ended.some((e) => JSON.stringify(e).includes('deneb') && e.reason === 'laptop stolen, ticket #11'),
    JSON.stringify(ended));
  // The password alone signs deneb in now: no challenge.
  const login = await fetch(`${env.gateway}/admin/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'deneb', password: ACCOUNT_PASSWORD }),
  });
  assert.ok((await login.json()).access_token, 'a session, not a challenge');
});
