// Keyboard use, dialogs, themes, and axe-core on every page.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import {
  dev, env, launchBrowser, loginAndWait, seededPlayer, seriousA11yViolations, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

test('axe-core finds no serious or critical violation on any page, in both themes', async () => {
  const player = `/players/${(await seededPlayer(3)).id}`;
  const pages = ['/', '/config', '/snapshots', '/players', player, '/services', '/audit', '/password', '/accounts', '/nowhere'];
  await withPage(browser, 'axe-login', async (page) => {
    await page.goto(`${env.dashboard}/admin/login`);
    await page.getByLabel('Username').waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], 'login');
  });
  for (const scheme of ['light', 'dark']) {
    await withPage(browser, `axe-${scheme}`, async (page) => {
      await page.emulateMedia({ colorScheme: scheme });
      await loginAndWait(page);
      for (const path of pages) {
        await page.goto(`${env.dashboard}/admin${path}`);
        await page.locator('main h1').waitFor();
        if (path === '/') await page.getByTestId('chart').first().waitFor();
        await page.waitForLoadState('networkidle');
        assert.deepEqual(await seriousA11yViolations(page), [], `${path} (${scheme})`);
      }
      // The history: its table alternative open, a moment read out.
      await page.goto(`${env.dashboard}/admin/`);
      await page.getByTestId('chart').first().waitFor();
      await page.getByText('The figures as a table').click();
      await page.locator('.charts').focus();
      await page.keyboard.press('End');
      assert.deepEqual(await seriousA11yViolations(page), [], `history (${scheme})`);
      await page.goto(`${env.dashboard}/admin${player}`);
      await page.getByRole('button', { name: 'Delete player' }).click();
      await page.getByRole('dialog').waitFor();
      assert.deepEqual(await seriousA11yViolations(page), [], `delete dialog (${scheme})`);
    });
  }
});

test('dialogs take focus, keep Tab inside, close on Escape and give focus back', async () => {
  await withPage(browser, 'dialog-focus', async (page) => {
    await loginAndWait(page);
    const opener = page.getByRole('button', { name: 'Pause game' });
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Pause the game?' });
    await dialog.waitFor();
    const inside = () => page.evaluate(() => document.activeElement?.closest('dialog[open]') !== null);
    assert.ok(await inside(), 'focus moved into the dialog');
    for (let i = 0; i < 5; i += 1) {
      await page.keyboard.press('Tab');
      assert.ok(await inside(), `Tab ${i + 1} stays inside`);
    }
    await page.keyboard.press('Shift+Tab');
    assert.ok(await inside());
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Pause game');
    assert.equal(await page.getByTestId('game-state').textContent(), 'Running');
  });
});

test('a dialog stays open and modal while its request runs: Escape, the backdrop and Cancel wait', async () => {
  await withPage(browser, 'dialog-busy', async (page) => {
    await loginAndWait(page);
    await dev('POST', '/faults', { path_prefix: '/admin/game/pause', delay_ms: 2500 });
    await page.getByRole('button', { name: 'Pause game' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause the game?' });
    await dialog.getByRole('button', { name: 'Pause game' }).click();
    await dialog.getByRole('button', { name: 'Working…' }).waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.mouse.click(5, 5); // the backdrop
    assert.ok(await dialog.getByRole('button', { name: 'Cancel' }).isDisabled());
    assert.ok(await dialog.isVisible(), 'still open while pausing');
    assert.ok(await page.evaluate(() => document.querySelector('dialog').matches(':modal')), 'and still modal');
    await page.getByTestId('game-state').filter({ hasText: 'Paused' }).waitFor();
    await dialog.waitFor({ state: 'detached' });

    // Idle, the backdrop closes it.
    await page.getByRole('button', { name: 'Resume game' }).click();
    await page.getByTestId('game-state').filter({ hasText: 'Running' }).waitFor();
    await page.getByRole('button', { name: 'Pause game' }).click();
    await dialog.waitFor();
    await page.mouse.click(5, 5);
    await dialog.waitFor({ state: 'detached' });
  });
});

test('toasts can be dismissed by keyboard or pointer', async () => {
  await withPage(browser, 'toast-dismiss', async (page) => {
    await loginAndWait(page, '/snapshots');
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    const toast = page.locator('.toast', { hasText: 'Snapshot #1 taken' });
    await toast.waitFor();
    await toast.getByRole('button', { name: 'Dismiss' }).focus();
    await page.keyboard.press('Enter');
    await toast.waitFor({ state: 'hidden', timeout: 1000 });
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    const second = page.locator('.toast', { hasText: 'Snapshot #2 taken' });
    await second.getByRole('button', { name: 'Dismiss' }).click();
    await second.waitFor({ state: 'detached', timeout: 1000 });
  });
});

test('every input has a label and focus is visible', async () => {
  await withPage(browser, 'labels-focus', async (page) => {
    await loginAndWait(page, '/players');
    await page.locator('table.players').waitFor();
    const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input, select')]
      .filter((el) => !el.labels?.length && !el.getAttribute('aria-label')).map((el) => el.outerHTML));
    assert.deepEqual(unlabeled, []);
    // Start from a known place in the document, then move by keyboard.
    await page.locator('main h1').click();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      tag: document.activeElement?.tagName,
      outline: getComputedStyle(document.activeElement).outlineStyle,
    }));
    assert.notEqual(focused.tag, 'BODY', 'Tab reaches a control');
    assert.notEqual(focused.outline, 'none', `${focused.tag} shows a focus ring`);
  });
});

test('the theme follows the OS until chosen, and the choice is remembered', async () => {
  await withPage(browser, 'theme', async (page) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await loginAndWait(page);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true', 'follows the dark OS');
    const dark = await background();
    await toggle.click();
    await page.locator('button.theme-toggle[aria-pressed="false"]').waitFor();
    const light = await background();
    assert.notEqual(light, dark);
    await page.reload();
    await page.locator('button.theme-toggle[aria-pressed="false"]').waitFor();
    assert.equal(await background(), light, 'remembered across reloads despite the dark OS');
  });
});

test('the layout holds from 1280 px down to a tablet', async () => {
  await withPage(browser, 'responsive', async (page) => {
    await loginAndWait(page, '/players');
    await page.locator('table.players').waitFor();
    for (const width of [1280, 1024, 768]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scroll at ${width}px (${overflow}px)`);
    }
  });
});
