// Two-step sign-in in the console: an account with an authenticator app (set up through the
// API, as a script or the CLI can) signs in with its password and then a code; a code works
// once, a recovery code works once, and the sign-in over a lapsed page asks for a code too.
// Codes are computed here with the `otpauth` package from the account's secret, as a phone would.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { TOTP } from 'otpauth';
import {
  ACCOUNT_PASSWORD, api, dev, env, launchBrowser, seriousA11yViolations, withPage,
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

/** An operator account with an authenticator app; its secret and recovery codes. */
async function accountWithApp(username) {
  await dev('POST', '/accounts', { username, password: ACCOUNT_PASSWORD, role: 'operator' });
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
