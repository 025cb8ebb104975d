// Passkeys in the console, made and used by Chromium's virtual authenticator (WebAuthn over the
// DevTools protocol): the browser's own `navigator.credentials` ceremonies against the gateway,
// with nothing of WebAuthn simulated in the page.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import {
  ACCOUNT_PASSWORD, api, dev, env, launchBrowser, loginAs, seededPlayer, seriousA11yViolations, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

/** A security key plugged into `page`'s tab: it answers every prompt at once, as if touched. */
async function plugInKey(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

/** Adds a passkey named `name` on the "Your sign-in" (or enrolment) page shown. */
async function addPasskey(page, name) {
  await page.getByLabel('Name of the new passkey').fill(name);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
}

/** The JSON body of the next request to `path` the page sends. */
function nextBody(page, path) {
  return page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname.endsWith(path))
    .then((r) => JSON.parse(r.postData()));
}

test('a new admin made to enrol sets up a passkey, restores a snapshot confirmed with it, and signs in with it', async () => {
  // Read before the policy: the tests' own admin (`api`) has no factor and would be made to enrol.
  const player = await seededPlayer(3);
  await dev('PUT', '/second-factor-roles', { roles: ['admin'] }); // back to none at the next reset
  await dev('PUT', '/confirm-dangerous-actions', { enabled: true });
  let replay;
  await withPage(browser, 'passkey-enrolment', async (page) => {
    const key = await plugInKey(page);
    await loginAs(page, 'altair', 'admin', '/snapshots');
    await page.getByRole('heading', { level: 1, name: 'Set up two-step sign-in' }).waitFor();
    await page.getByTestId('passkeys-empty').waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `enrolment with passkeys (${scheme})`);
    }

    // The key is made by the browser; keeping it takes the password, asked in place.
    await addPasskey(page, 'Desk key');
    const proof = page.getByRole('dialog', { name: 'Confirm: Add the passkey “Desk key” to your account' });
    await proof.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await proof.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    assert.equal((await page.getByTestId('recovery-codes').locator('li').allTextContents()).length, 10);
    assert.equal((await key.credentials()).length, 1, 'the authenticator holds the new passkey');
    await page.getByRole('button', { name: 'I have kept them' }).click();
    await page.getByRole('heading', { level: 1, name: 'Snapshots' }).waitFor();

    // A restore is confirmed with the passkey: one touch, no code to type.
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await page.getByText(/Snapshot #1 taken at tick \d+/).waitFor();
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog', { name: 'Pause the game first' }).getByRole('button', { name: 'Pause the game' }).click();
    const restore = page.getByRole('dialog', { name: 'Restore snapshot #1?' });
    await restore.getByRole('button', { name: /^Restore tick/ }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm: Restore snapshot 1' });
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `confirmation with a passkey (${scheme})`);
    }
    const restoreProof = nextBody(page, '/admin/auth/confirm');
    await confirm.getByRole('button', { name: 'Use your passkey' }).click();
    await page.getByText(/Restored snapshot #1: the world is back at tick \d+/).waitFor();
    const spent = await restoreProof;
    assert.equal(spent.action, 'restoreSnapshot');

    // Its answer approved that restore once: sent again in this session, for a delete, it
    // proves nothing (its ceremony was used up, and named the restore's purpose only).
    const reused = await page.evaluate(async ([url, body]) => {
      const r = await fetch(url, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-galaxy-session': 'cookie' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.json() };
    }, [`${env.gateway}/admin/auth/confirm`, { ...spent, action: 'deletePlayer', target: player.id, summary: 'x' }]);
    assert.equal(reused.status, 422, JSON.stringify(reused.body));
    assert.match(JSON.stringify(reused.body), /passkey's answer was not accepted/);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('tr[data-action="snapshot.restore"]').filter({ hasText: 'altair' }).waitFor();
    await page.locator('tr[data-action="auth.confirm"]').filter({ hasText: 'restoreSnapshot confirmed with a passkey' }).waitFor();

    // Signing in again: the password, then the passkey.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').fill('altair');
    await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    const secondStep = nextBody(page, '/admin/auth/login/second-factor');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    replay = await secondStep;
    assert.ok(replay.passkey?.response?.signature, 'an assertion went with the challenge');

    // Nothing a page script can read is a credential.
    const readable = await page.evaluate(() => JSON.stringify({
      cookie: document.cookie, local: { ...localStorage }, session: { ...sessionStorage },
    }));
    assert.doesNotMatch(readable, /eyJ|gas_|gak_/, readable);
  }, { allowConsoleErrors: true }); // the refusals before the set-up and the confirmations are logged

  // The same answer, replayed with its challenge, signs nobody in: its ceremony was used up.
  const replayed = await fetch(`${env.gateway}/admin/auth/login/second-factor`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(replay),
  });
  assert.equal(replayed.status, 401);
  assert.equal((await replayed.json()).detail, 'The passkey was not accepted');

  const { body: enrolled } = await api('GET', '/admin/audit?action=auth.factor_enrol&limit=5');
  assert.ok(enrolled.items.some((e) => e.admin === 'altair' && e.detail.startsWith('passkey “Desk key”')),
    JSON.stringify(enrolled.items));
  const { body: logins } = await api('GET', '/admin/audit?action=auth.login&limit=5');
  assert.ok(logins.items.some((e) => e.admin === 'altair' && e.detail?.includes('password and a passkey')),
    JSON.stringify(logins.items));
});

test('an operator adds a passkey on "Your sign-in", cannot add the same key twice, and removes it with its own proof', async () => {
  await withPage(browser, 'passkey-list', async (page) => {
    await plugInKey(page);
    await loginAs(page, 'mira', 'operator');
    await page.getByRole('link', { name: 'Your sign-in' }).click();
    await page.getByTestId('passkeys-empty').waitFor();

    // A blank name is refused before the browser is asked.
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'Give the passkey a name first' }).waitFor();

    // The account's first factor: the password proves it is them.
    await addPasskey(page, 'Laptop');
    await page.getByRole('dialog', { name: /^Confirm: Add the passkey “Laptop”/ }).getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await page.getByRole('dialog', { name: /^Confirm: Add the passkey “Laptop”/ }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('button', { name: 'I have kept them' }).click();
    await page.getByTestId('two-step-status').filter({ hasText: 'On: signing in takes your password and your passkey.' }).waitFor();
    // A factor changed: the other sessions (another device of the operator's) may be ended.
    await page.getByTestId('end-others-offer').waitFor();
    await page.getByRole('button', { name: 'End all other sessions' }).first().click();
    await page.getByText('Your other sessions ended').first().waitFor();
    assert.equal(await page.getByTestId('end-others-offer').count(), 0);

    // The virtual key holds one passkey of this account already, so the browser refuses to make
    // a second on it (the gateway listed it to exclude): said in words, nothing kept.
    await addPasskey(page, 'Same key');
    await page.getByRole('alert').filter({ hasText: 'already holds a passkey of your account' }).waitFor();
    assert.equal(await page.getByTestId('passkeys').locator('li').count(), 1);

    await page.getByRole('button', { name: 'Remove the passkey Laptop' }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm: Remove the passkey “Laptop”' });
    await confirm.getByRole('button', { name: 'Use your passkey' }).click();
    await page.getByText('Passkey “Laptop” removed').waitFor();
    await page.getByTestId('passkeys-empty').waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `your sign-in with passkeys (${scheme})`);
    }
  }, { allowConsoleErrors: true }); // the refusals asking for proofs are logged
  const { body } = await api('GET', '/admin/audit?action=auth.factor_remove&limit=5');
  assert.ok(body.items.some((e) => e.admin === 'mira' && e.detail === 'passkey “Laptop”'), JSON.stringify(body.items));
});
