// Two-step sign-in: an admin made to set up an authenticator app at first sign-in, codes that
// work once, recovery codes that work once, and the audit of it all. Codes are computed here
// with the `otpauth` package from the key the page shows, as a phone would.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { TOTP } from 'otpauth';
import {
  ACCOUNT_PASSWORD, api, dev, env, launchBrowser, requestLogMark, seriousA11yViolations, waitForRequest, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

/** The code the app shows for `secret` (base32) `ahead` seconds from now. */
const codeFor = (secret, ahead = 0) => new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' })
  .generate({ timestamp: Date.now() + ahead * 1000 });

async function passwordStep(page, username) {
  await page.goto(`${env.dashboard}/admin/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('an admin is made to set up an authenticator app, then signs in with codes that work once', async () => {
  await dev('PUT', '/second-factor-roles', { roles: ['admin'] });
  await dev('POST', '/accounts', { username: 'nova', password: ACCOUNT_PASSWORD, role: 'admin' });
  await withPage(browser, 'two-step', async (page) => {
    await passwordStep(page, 'nova');
    await page.getByRole('heading', { name: 'Set up two-step sign-in' }).waitFor();
    assert.equal(await page.getByTestId('role').count(), 0, 'no console until a factor is set up');
    const secret = (await page.getByTestId('totp-secret').textContent()).replaceAll(' ', '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `set-up (${scheme})`);
    }

    // A wrong code is refused next to the form; the right one, with the password, turns it on.
    await page.getByLabel('2. Your password').fill(ACCOUNT_PASSWORD);
    await page.getByLabel('3. The code the app shows').fill('000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('alert').filter({ hasText: 'the code does not match' }).waitFor();
    await page.getByLabel('3. The code the app shows').fill(codeFor(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByTestId('recovery-codes').locator('li');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    const recovery = await codes.allTextContents();
    const carryOn = page.getByRole('button', { name: 'Continue' });
    assert.ok(await carryOn.isDisabled(), 'not before the codes are saved');
    await page.getByLabel('I have saved these codes').check();
    await carryOn.click();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.getByTestId('tick').waitFor();

    // Next time: the password, then a code of the next step (the last one confirmed the app).
    await page.getByRole('button', { name: 'Log out' }).click();
    await passwordStep(page, 'nova');
    const codeField = page.getByLabel('Authentication code');
    await codeField.waitFor();
    assert.equal(await page.getByLabel('Password').count(), 0, 'the password is not asked twice');
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `code step (${scheme})`);
    }
    const next = codeFor(secret, 30);
    await codeField.fill(next);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();

    // The same code again is refused; a recovery code works, once.
    await page.getByRole('button', { name: 'Log out' }).click();
    await passwordStep(page, 'nova');
    await page.getByLabel('Authentication code').fill(next);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'Incorrect code.' }).waitFor();
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recovery[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.getByRole('link', { name: 'Sign-in security' }).click();
    await page.getByTestId('two-step-status').filter({ hasText: '9 of 10 recovery codes left' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await passwordStep(page, 'nova');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recovery[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'Incorrect code.' }).waitFor();
  }, { allowConsoleErrors: true }); // the refused codes are 422s and 401s, logged by the browser

  // Read as the bootstrap admin, which signs in with its password alone once the policy is off.
  await dev('PUT', '/second-factor-roles', { roles: [] });
  const { body } = await api('GET', '/admin/audit?actor=nova');
  const actions = body.items.map((e) => e.action);
  assert.ok(actions.includes('auth.factor_enrol'), actions.join());
  const logins = body.items.filter((e) => e.action === 'auth.login').map((e) => e.detail);
  assert.ok(logins.some((d) => d.endsWith('with password, sent to set up a second factor')), logins.join('\n'));
  assert.ok(logins.some((d) => d.endsWith('with password and an authenticator code')), logins.join('\n'));
  assert.ok(logins.some((d) => d.endsWith('with password and a recovery code (9 left)')), logins.join('\n'));
});

test('an operator sets up an authenticator app from the console and replaces it with a current code', async () => {
  await dev('POST', '/accounts', { username: 'ops', password: ACCOUNT_PASSWORD, role: 'operator' });
  await withPage(browser, 'two-step-voluntary', async (page) => {
    await passwordStep(page, 'ops');
    await page.getByTestId('role').filter({ hasText: 'operator' }).waitFor();
    await page.getByRole('link', { name: 'Sign-in security' }).click();
    await page.getByTestId('two-step-status').filter({ hasText: 'Off: you sign in with your password alone.' }).waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const first = (await page.getByTestId('totp-secret').textContent()).replaceAll(' ', '');
    await page.getByLabel('2. Your password').fill(ACCOUNT_PASSWORD);
    await page.getByLabel('3. The code the app shows').fill(codeFor(first));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByLabel('I have saved these codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('two-step-status').filter({ hasText: '10 of 10 recovery codes left' }).waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], 'security page');

    await page.getByRole('button', { name: 'Replace the authenticator app' }).click();
    const second = (await page.getByTestId('totp-secret').textContent()).replaceAll(' ', '');
    assert.notEqual(second, first);
    await page.getByLabel('3. The code the app shows').fill(codeFor(second));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('alert').filter({ hasText: 'enter a code from your current authenticator app' }).waitFor();
    await page.getByLabel('2. A code from your current app').fill(codeFor(first, 30));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByLabel('I have saved these codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('two-step-status').filter({ hasText: '10 of 10' }).waitFor();

    // A lost phone: an admin resets it from the accounts page; ops signs in with the password alone.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill(env.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.getByRole('link', { name: 'Accounts' }).click();
    const row = page.locator('tr[data-account="ops"]');
    assert.equal(await row.locator('td').nth(3).textContent(), 'On');
    await row.getByRole('button', { name: 'Reset two-step' }).click();
    await page.getByText('Two-step sign-in of ops reset; their sessions ended').waitFor();
    await row.locator('td').nth(3).filter({ hasText: 'Off' }).waitFor();
    assert.equal(await row.getByRole('button', { name: 'Reset two-step' }).count(), 0);
  }, { allowConsoleErrors: true }); // the refused current code is a 422, logged by the browser
});

test('a restore is confirmed in place with a fresh code: the dialog and its reason stay, and the restore goes on', async () => {
  await dev('PUT', '/confirm-dangerous-actions', { enabled: true });
  await dev('POST', '/accounts', { username: 'rhea', password: ACCOUNT_PASSWORD, role: 'admin' });
  // rhea's authenticator app, set up through the API as the console's page would.
  const gateway = async (method, path, token, body) => {
    const response = await fetch(`${env.gateway}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return response.json();
  };
  const { access_token: token } = await gateway('POST', '/admin/auth/login', null, { username: 'rhea', password: ACCOUNT_PASSWORD });
  const { secret } = await gateway('POST', '/admin/auth/totp/secret', token);
  const { recovery_codes: recovery } = await gateway('PUT', '/admin/auth/totp', token, {
    secret, code: codeFor(secret), current_password: ACCOUNT_PASSWORD,
  });

  await withPage(browser, 'confirm-restore', async (page) => {
    // Signed in with a recovery code, so the app's next code is still unused for the confirmation.
    await passwordStep(page, 'rhea');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recovery[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.getByRole('link', { name: 'Snapshots' }).click();
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await page.getByText(/Snapshot #\d+ taken at tick \d+/).waitFor();
    await page.getByRole('button', { name: 'Restore' }).first().click();
    await page.getByRole('dialog', { name: 'Pause the game first' }).getByRole('button', { name: 'Pause the game' }).click();
    const restore = page.getByRole('dialog', { name: /^Restore snapshot #(\d+)\?$/ });
    await restore.waitFor();
    const id = (await restore.getByRole('heading').textContent()).match(/#(\d+)/)[1];
    await restore.getByLabel('Reason (optional, kept in the audit log)').fill('roll back the bad event');
    await restore.getByRole('button', { name: /^Restore tick/ }).click();

    // The gateway wants a fresh code: asked over the restore dialog, which keeps its reason.
    const confirm = page.getByRole('dialog', { name: `Confirm: Restore snapshot ${id}` });
    await confirm.waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `confirmation (${scheme})`);
    }
    await confirm.getByLabel('Authentication code').fill('000000');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await confirm.getByRole('alert').filter({ hasText: 'not right or was already used' }).waitFor();
    assert.equal(await restore.getByLabel('Reason (optional, kept in the audit log)').inputValue(), 'roll back the bad event');
    await confirm.getByLabel('Authentication code').fill(codeFor(secret, 30));
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(new RegExp(`Restored snapshot #${id}: the world is back at tick \\d+`)).waitFor();
    assert.equal(await confirm.count(), 0);
  }, { allowConsoleErrors: true }); // the refusals are 403 and 422, logged by the browser

  await dev('PUT', '/confirm-dangerous-actions', { enabled: false });
  const { body } = await api('GET', '/admin/audit?actor=rhea&limit=10');
  const [restored, confirmed] = body.items.filter((e) => ['snapshot.restore', 'auth.confirm'].includes(e.action));
  assert.equal(restored.action, 'snapshot.restore');
  assert.equal(restored.reason, 'roll back the bad event');
  assert.equal(confirmed.action, 'auth.confirm');
  assert.match(confirmed.detail, /^restoreSnapshot confirmed with an authenticator code/);
  assert.ok(body.items.some((e) => e.action === 'auth.confirm_failed'), 'the wrong code is recorded too');
});

test('an operator ends a stolen session from another device, and a token replayed after signing out is refused', async () => {
  await dev('POST', '/accounts', { username: 'uma', password: ACCOUNT_PASSWORD, role: 'operator' });
  const storedToken = (page) => page.evaluate(() => sessionStorage.getItem('galaxy_admin_session')?.split('\n')[3] ?? null);
  await withPage(browser, 'sessions-owner', async (page) => {
    await passwordStep(page, 'uma');
    await page.getByTestId('role').filter({ hasText: 'operator' }).waitFor();
    await withPage(browser, 'sessions-thief', async (thief) => {
      await passwordStep(thief, 'uma');
      await thief.getByTestId('role').filter({ hasText: 'operator' }).waitFor();

      await page.getByRole('link', { name: 'Sign-in security' }).click();
      const rows = page.getByTestId('sessions').locator('tbody tr');
      await rows.nth(1).waitFor();
      assert.equal(await rows.count(), 2);
      await page.getByTestId('sessions').getByText('This session').waitFor();
      assert.deepEqual(await seriousA11yViolations(page), [], 'sessions');
      const other = rows.filter({ has: page.getByRole('button', { name: 'End' }) });
      await other.getByRole('button', { name: 'End' }).click();
      await page.getByText(/^Ended the session on /).waitFor();
      await rows.nth(1).waitFor({ state: 'detached' });

      // The other device's next request is refused, and it is told why.
      await thief.getByRole('link', { name: 'Players' }).click();
      await thief.getByRole('dialog', { name: 'Sign in again' })
        .getByText('Your session ended. The gateway said: This session was ended; log in again.').waitFor();
    }, { allowConsoleErrors: true }); // the refused requests are 401s, logged by the browser

    const captured = await storedToken(page);
    assert.ok(captured);
    const mark = await requestLogMark();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/admin\/login/);
    assert.equal(await storedToken(page), null, 'nothing is left in the tab');
    // The gateway ends the session too (told in the background): once it has answered, the
    // captured token is refused.
    const logout = await waitForRequest(mark, { method: 'POST', path: '/admin/auth/logout' });
    assert.equal(logout.status, 204);
    const answer = await fetch(`${env.gateway}/admin/auth/me`, { headers: { authorization: `Bearer ${captured}` } });
    assert.deepEqual([answer.status, (await answer.json()).detail], [401, 'This session was ended; log in again']);
  });

  const { body } = await api('GET', '/admin/audit?actor=uma');
  const actions = body.items.map((e) => e.action);
  assert.ok(actions.includes('auth.session_end') && actions.includes('auth.logout'), actions.join());
});
