// Two-step sign-in in the console: an account with an authenticator app (set up through the
// API, as a script or the CLI can) signs in with its password and then a code; a code works
// once, a recovery code works once, and the sign-in over a lapsed page asks for a code too.
// Codes are computed here with the `otpauth` package from the account's secret, as a phone would.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { TOTP } from 'otpauth';
import {
  ACCOUNT_PASSWORD, api, dev, env, launchBrowser, seededPlayer, seriousA11yViolations, withPage,
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

