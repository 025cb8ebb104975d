// Sessions: login, errors, deep links through a login, expiry, logout.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import {
  api, defaultConfig, dev, env, launchBrowser, loginAs, login, loginAndWait, requestLogMark, seededPlayer, seriousA11yViolations,
  shownTick, waitForRequest, withPage,
  writeConfig,
} from './harness.mjs';

const COOKIE = '__Host-galaxy_admin_session';
/** What the page keeps for a reload: who is signed in and until when, never the token. */
const storedSession = (page) => page.evaluate(() => sessionStorage.getItem('galaxy_admin_session'));
const sessionCookie = async (page) => (await page.context().cookies(env.gateway)).find((c) => c.name === COOKIE);

/** Everything this page's scripts can read that looks like a credential (a JWT), wherever it is. */
const readableCredentials = (page) => page.evaluate(() => {
  const jwt = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
  const values = [document.cookie, document.location.href];
  for (const store of [sessionStorage, localStorage]) {
    for (let i = 0; i < store.length; i += 1) values.push(store.key(i), store.getItem(store.key(i)));
  }
  return values.filter((v) => jwt.test(v ?? ''));
});

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });
afterEach(() => writeConfig(defaultConfig()));

test('an operator logs in through nginx and sees the game ticking', async () => {
  await withPage(browser, 'login-and-tick', async (page) => {
    await page.goto(`${env.dashboard}/admin/`);
    await page.waitForURL(/\/admin\/login$/);
    assert.equal(await page.title(), 'Log in · Galaxy admin');

    await login(page, '/');
    await page.waitForURL(/\/admin\/?$/);
    await page.getByTestId('tick').waitFor();
    assert.equal(await page.title(), 'Overview · Galaxy admin');
    assert.equal(await page.getByTestId('game-state').textContent(), 'Running');
    assert.match(await page.getByTestId('game-time').textContent(), /^2000-01-01 12:\d\d:\d\d UTC$/);

    const first = await shownTick(page);
    await page.waitForFunction(
      (before) => Number(document.querySelector('[data-testid="tick"]').textContent.replace(/\D/g, '')) > before,
      first,
      { timeout: 10_000 },
    );
    assert.ok((await shownTick(page)) > first, 'the tick advances without a reload');
    assert.equal(await page.getByTestId('operator').textContent(), env.username);
    assert.match(await page.getByTestId('session-time').textContent(), /^Session (59 min|1 h)/);
    const cookie = await sessionCookie(page);
    assert.ok(cookie, 'the gateway set the session cookie');
    assert.deepEqual(
      { httpOnly: cookie.httpOnly, secure: cookie.secure, sameSite: cookie.sameSite, path: cookie.path },
      { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' },
    );
    assert.deepEqual(await readableCredentials(page), [], 'no credential is readable by the page');
  });
});

test('bad credentials get a clear message and no session', async () => {
  await withPage(browser, 'bad-credentials', async (page) => {
    await page.goto(`${env.dashboard}/admin/login`);
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Incorrect username or password.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  }, { allowConsoleErrors: true }); // the browser itself logs the 401
});

test('rate limiting counts down the gateway\'s own Retry-After (exposed through CORS) and blocks the button', async () => {
  // 37 s is no default of the dashboard's (60): the countdown can only come from the header.
  await dev('PUT', '/login-lockout', { seconds: 37 });
  await withPage(browser, 'rate-limit', async (page) => {
    await page.goto(`${env.dashboard}/admin/login`);
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill('wrong');
    const button = page.getByRole('button', { name: 'Log in' });
    for (let i = 0; i < 6; i += 1) {
      await button.click();
      await page.waitForFunction(() => !document.querySelector('button[type=submit]').textContent.includes('…'));
    }
    const notice = page.getByText(/Too many failed attempts\. Try again in \d+ s\./);
    await notice.waitFor();
    const first = Number((await notice.textContent()).match(/in (\d+) s/)[1]);
    assert.ok(first >= 35 && first <= 37, `${first} s: the gateway said 37`);
    assert.ok(await button.isDisabled());
    await page.waitForFunction((n) => {
      const m = document.body.textContent.match(/Try again in (\d+) s/);
      return m && Number(m[1]) < n;
    }, first, { timeout: 3000 });
  }, { allowConsoleErrors: true });
});

test('a deep link loaded cold survives the login round trip', async () => {
  const player = await seededPlayer(42);
  await withPage(browser, 'deep-link', async (page) => {
    await page.goto(`${env.dashboard}/admin/players/${player.id}`);
    await page.waitForURL(new RegExp(`/admin/login\\?next=%2Fplayers%2F${player.id}$`));
    await page.getByLabel('Username').fill(env.username);
    await page.getByLabel('Password').fill(env.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(new RegExp(`/admin/players/${player.id}$`));
    await page.getByRole('heading', { level: 1, name: player.username }).waitFor();
    assert.equal(await page.title(), `Player ${player.id} · Galaxy admin`);
  });
});

test('Back from the login page leaves the dashboard instead of looping through the redirect', async () => {
  await withPage(browser, 'back-from-login', async (page) => {
    // Where the operator came from: any page before the dashboard.
    await page.goto('about:blank');
    await page.goto(`${env.dashboard}/admin/players`);
    await page.waitForURL(/\/admin\/login\?next=%2Fplayers$/);
    await page.goBack();
    await page.waitForURL('about:blank');
  });
});

test('a laptop clock hours off neither breaks login nor shifts the session time', async () => {
  await withPage(browser, 'clock-skew', async (page) => {
    // Three hours ahead: the token's exp is in this clock's past.
    await page.clock.install({ time: Date.now() + 3 * 3600 * 1000 });
    await loginAndWait(page);
    await page.getByTestId('tick').waitFor();
    assert.match(await page.getByTestId('session-time').textContent(), /^Session (59 min|1 h)/);
    assert.equal(await page.locator('.session-warning').count(), 0);
  });
  await withPage(browser, 'clock-skew-behind', async (page) => {
    // Three hours behind: the warning must still come 5 minutes before the real end.
    await dev('PUT', '/token-ttl', { seconds: 200 });
    await page.clock.install({ time: Date.now() - 3 * 3600 * 1000 });
    await loginAndWait(page);
    await page.getByText(/Your session ends in 3 min \d\d s\./).waitFor();
  });
});

test('when the session time reaches zero the operator signs in again over the page, told why', async () => {
  await dev('PUT', '/token-ttl', { seconds: 120 });
  await withPage(browser, 'expiry-at-zero', async (page) => {
    await page.clock.install();
    await loginAndWait(page, '/services');
    await page.getByTestId('gateway-readiness').filter({ hasText: 'Ready' }).waitFor();
    const first = (await sessionCookie(page)).value;
    // Only this clock moves on: the gateway would still accept the token for a while.
    await page.clock.fastForward(121_000);
    const signIn = page.getByRole('dialog', { name: 'Sign in again' });
    await signIn.getByText('Your session expired. Sign in to carry on', { exact: false }).waitFor();
    assert.match(page.url(), /\/admin\/services$/, 'the page stays');
    assert.equal(await storedSession(page), null);
    await signIn.getByLabel('Password').fill(env.password);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.waitFor({ state: 'detached' });
    assert.match(page.url(), /\/admin\/services$/);
    assert.match(await storedSession(page), new RegExp(`^\\d+\\n${env.username}$`));
    assert.notEqual((await sessionCookie(page)).value, first, 'a new session, in a new cookie');
  });
});

test('a 401 mid-session holds everything and asks to sign in again once, over the page', async () => {
  await withPage(browser, 'expired-mid-session', async (page) => {
    await loginAndWait(page, '/players?search=nova');
    await page.locator('table.players').waitFor();
    const statusCalls = [];
    page.on('request', (r) => { if (r.url().includes('/admin/game/status')) statusCalls.push(Date.now()); });
    await dev('POST', '/expire-tokens', {});
    const signIn = page.getByRole('dialog', { name: 'Sign in again' });
    await signIn.waitFor({ timeout: 10_000 });
    assert.match(page.url(), /\/admin\/players\?search=nova$/);
    assert.equal(await page.getByRole('dialog').count(), 1, 'asked once');
    assert.equal(await page.locator('.toast').count(), 0, 'no flood of error toasts');
    assert.equal(await storedSession(page), null);
    const before = statusCalls.length;
    await page.waitForTimeout(4500);
    assert.equal(statusCalls.length, before, 'pollers wait for the new sign-in');

    await signIn.getByLabel('Password').fill(env.password);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.waitFor({ state: 'detached' });
    await page.waitForRequest((r) => r.url().includes('/admin/game/status'));
    assert.equal(await page.locator('#player-search').inputValue(), 'nova');
    assert.match(page.url(), /\/admin\/players\?search=nova$/);
  }, { allowConsoleErrors: true });
});

test('the header warns a few minutes before the session ends', async () => {
  await dev('PUT', '/token-ttl', { seconds: 200 });
  await withPage(browser, 'expiry-warning', async (page) => {
    await loginAndWait(page);
    await page.getByText(/Your session ends in 3 min \d\d s\./).waitFor();
    assert.match(await page.getByTestId('session-time').getAttribute('class'), /expiring/);
  });
});

test('logout ends the session at the gateway too: a cookie captured before is refused after it', async () => {
  await withPage(browser, 'logout', async (page) => {
    await loginAndWait(page);
    const captured = (await sessionCookie(page))?.value;
    assert.ok(captured, 'the session cookie, as malware on the device could take it');
    const mark = await requestLogMark();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal((await waitForRequest(mark, { method: 'POST', path: '/admin/auth/logout' })).status, 204);
    assert.equal(await sessionCookie(page), undefined, 'the gateway cleared the cookie');
    const replayed = await fetch(`${env.gateway}/admin/auth/me`, {
      headers: { cookie: `${COOKIE}=${captured}`, 'x-galaxy-session': 'cookie' },
    });
    assert.equal(replayed.status, 401, 'the ended session is refused');
    await page.goto(`${env.dashboard}/admin/`);
    await page.waitForURL(/\/admin\/login/);
  });
});

test('a form on another origin cannot use the session cookie: the gateway refuses it and nothing happens', async () => {
  await withPage(browser, 'cross-origin-form', async (page) => {
    await loginAndWait(page);
    assert.ok(await sessionCookie(page), 'signed in, with the cookie');
    // A page on a sibling port of localhost (the same site, so SameSite alone would not stop
    // the cookie) that posts a form to the gateway, as a CSRF attack would.
    const attacker = 'https://localhost:30009';
    await page.route(`${attacker}/**`, (route) => route.fulfill({
      contentType: 'text/html',
      body: `<form method="post" action="${env.gateway}/admin/game/pause"><input name="reason" value="pwned"><button>Win a prize</button></form>`,
    }));
    await page.goto(`${attacker}/prize`);
    const mark = await requestLogMark();
    await page.getByRole('button', { name: 'Win a prize' }).click();
    const forged = await waitForRequest(mark, { method: 'POST', path: '/admin/game/pause' });
    assert.equal(forged.status, 403, 'refused by the CSRF defence');
    assert.match(await page.locator('body').textContent(), /cross_site_request/);
    assert.equal((await api('GET', '/admin/game/status')).body.paused, false, 'the game still runs');
  }, { allowConsoleErrors: true }); // the browser logs the 403
});

test('after a time without activity the operator is asked and can stay; left alone, the page is kept under a sign-in', async () => {
  // Polling goes on all along (status every 2 s): only the operator's activity counts.
  await dev('PUT', '/session-idle', { seconds: 12 });
  await withPage(browser, 'idle', async (page) => {
    await loginAndWait(page, '/players?search=nova');
    await page.locator('table.players').waitFor();
    assert.match(await page.getByTestId('session-time').getAttribute('title'), /after 12 s without activity/);
    const asked = page.getByText(/^Still there\? Without activity you will be signed out in \d+ s\./);
    await asked.waitFor({ timeout: 15_000 });
    const mark = await requestLogMark();
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await waitForRequest(mark, { method: 'GET', path: '/admin/auth/me', status: 200 });
    await asked.waitFor({ state: 'detached' });

    await asked.waitFor({ timeout: 15_000 });
    const signIn = page.getByRole('dialog', { name: 'Sign in again' });
    await signIn.getByText(/without activity/).waitFor({ timeout: 15_000 });
    const [ended] = (await api('GET', '/admin/audit?action=auth.session_end&limit=1')).body.items;
    assert.match(ended?.detail ?? '', /^signed out after 12 s without activity/);
    assert.equal(await page.locator('#player-search').inputValue(), 'nova', 'the page is kept');
    await signIn.getByLabel('Password').fill(env.password);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.waitFor({ state: 'detached' });
    assert.match(page.url(), /\/admin\/players\?search=nova$/);
  }, { allowConsoleErrors: true }); // the browser logs the 401
});

test('another account signing in in another tab takes this tab\'s session: it lapses rather than act as them', async () => {
  await withPage(browser, 'other-tab', async (page) => {
    await loginAndWait(page, '/players?search=nova');
    const other = await page.context().newPage();
    await loginAs(other, 'vega', 'viewer');
    const signIn = page.getByRole('dialog', { name: 'Sign in again' });
    await signIn.getByText(/another account signed in in this browser/).waitFor();
    assert.equal(await signIn.getByLabel('Username').inputValue(), env.username);
    assert.equal(await page.locator('#player-search').inputValue(), 'nova', 'the page is kept');
    // The other tab's operator goes on as themselves.
    assert.equal(await other.getByTestId('operator').textContent(), 'vega');
  }, { allowConsoleErrors: true });
});

test('a session on another device is ended from "Your sessions": it is refused at its next request', async () => {
  // The stolen laptop: another browser profile (its own cookie jar) signed in as the same operator.
  const laptop = await browser.newContext({
    ignoreHTTPSErrors: true, timezoneId: 'UTC', userAgent: 'Stolen laptop/1.0 (X11; Linux)',
  });
  try {
    const stolen = await laptop.newPage();
    await loginAndWait(stolen);
    await withPage(browser, 'your-sessions', async (page) => {
      await loginAndWait(page);
      await page.getByRole('link', { name: 'Your sign-in' }).click();
      const sessions = page.getByTestId('sessions');
      const laptopRow = sessions.locator('tbody tr', { hasText: 'Stolen laptop/1.0' });
      await laptopRow.waitFor();
      const ours = sessions.locator('tbody tr', { hasText: 'This session' });
      assert.equal(await ours.count(), 1, 'this tab\'s session is marked, and has no End button');
      assert.equal(await ours.getByRole('button').count(), 0);
      const mark = await requestLogMark();
      await laptopRow.getByRole('button', { name: 'End' }).click();
      await waitForRequest(mark, { method: 'DELETE', path: '/admin/auth/sessions/', status: 204 });
      await page.getByText('Session ended').waitFor();
      await laptopRow.waitFor({ state: 'detached' });
      assert.equal(await ours.count(), 1, 'this session goes on');
    });
    // The laptop's overview polls the game status: its next request is refused and the page
    // asks to sign in again, saying why.
    const signIn = stolen.getByRole('dialog', { name: 'Sign in again' });
    await signIn.getByText(/session was ended/).waitFor({ timeout: 15_000 });
    const [ended] = (await api('GET', '/admin/audit?action=auth.session_end&limit=1')).body.items;
    assert.match(ended?.detail ?? '', /Stolen laptop\/1\.0/);
  } finally {
    await laptop.close();
  }
});

test('an unreachable gateway is named on the login page', async () => {
  writeConfig({ ...defaultConfig(), API_BASE_URL: 'https://localhost:9/api' });
  await withPage(browser, 'unreachable-login', async (page) => {
    await login(page, '/');
    await page.getByText('Cannot reach the Galaxy gateway at https://localhost:9/api.', { exact: false }).waitFor();
  }, { allowConsoleErrors: true });
});

test('an operator makes an API key on "Your sign-in", a script uses it, and revoking it stops the script', async () => {
  let key;
  const asScript = (k) => fetch(`${env.gateway}/admin/game/status`, { headers: { authorization: `Bearer ${k}` } });
  await withPage(browser, 'api-keys', async (page) => {
    await loginAs(page, 'altair', 'operator', '/password');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByText('No API keys yet.').waitFor();
    assert.deepEqual(await page.getByLabel('Role').locator('option').allTextContents(), ['viewer', 'operator'],
      'no key above the operator\'s own role');
    await page.getByLabel('Name', { exact: true }).fill('nightly backup');
    await page.getByLabel('Role').selectOption('operator');
    await page.getByLabel('Expires after (days, 1 to 365)').fill('30');
    await page.getByLabel('Only from these addresses (optional)').fill('127.0.0.1, ::1');
    await page.getByRole('button', { name: 'Make API key' }).click();
    key = await page.locator('#new-api-key').inputValue();
    assert.match(key, /^gak_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('tr[data-key="nightly backup"]');
    await row.getByRole('cell', { name: 'Active' }).waitFor();
    assert.match(await row.textContent(), new RegExp(`${key.slice(0, 10)}…`));
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `API keys (${scheme})`);
    }
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.locator('#new-api-key').count(), 0, 'the secret is shown once');
    assert.equal((await asScript(key)).status, 200, 'the script works with the key');

    await row.getByRole('button', { name: 'Revoke API key nightly backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API key “nightly backup”?' });
    await dialog.getByLabel('Reason (optional, kept in the audit log)').fill('the script moved to a new host');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('API key “nightly backup” revoked').waitFor();
    await row.getByRole('cell', { name: 'Revoked' }).waitFor();
    assert.equal(await row.getByRole('button').count(), 0);
  });
  const refused = await asScript(key);
  assert.equal(refused.status, 401, 'a revoked key is refused');
  const revoked = (await api('GET', '/admin/audit?action=api_key.revoke&limit=5')).body.items[0];
  assert.equal(revoked?.reason, 'the script moved to a new host');
});
