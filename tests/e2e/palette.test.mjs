// The command palette: Ctrl+K from anywhere in the shell, pages, players and the role's
// actions, keyboard-only, a combobox a screen reader can follow.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import {
  api, dev, launchBrowser, loginAs, seededPlayer, seriousA11yViolations, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

const palette = (page) => page.getByRole('dialog', { name: 'Search or jump to' });
const combobox = (page) => palette(page).getByRole('combobox');

/** Opens the palette with the keyboard and waits until its input has the focus. */
async function open(page) {
  await page.keyboard.press('Control+k');
  await combobox(page).waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'combobox');
}

/** The option the combobox points at: it must be the one marked selected. */
async function activeOption(page) {
  const id = await combobox(page).getAttribute('aria-activedescendant');
  const option = page.locator(`[id="${id}"]`);
  assert.equal(await option.getAttribute('role'), 'option');
  assert.equal(await option.getAttribute('aria-selected'), 'true');
  assert.equal(await page.locator('[role="option"][aria-selected="true"]').count(), 1);
  return (await option.locator('.palette-label').textContent()).trim();
}

/** Moves with the arrows until `label` is the active option, then runs it with Enter. */
async function choose(page, label) {
  await palette(page).getByRole('option', { name: label }).first().waitFor();
  const names = await palette(page).getByRole('option').locator('.palette-label').allTextContents();
  const at = names.findIndex((n) => n.trim() === label);
  assert.ok(at >= 0, `${label} among ${names}`);
  await page.keyboard.press('Home');
  for (let i = 0; i < at; i += 1) await page.keyboard.press('ArrowDown');
  assert.equal(await activeOption(page), label);
  await page.keyboard.press('Enter');
}

test('Ctrl+K opens it, the arrows choose, Enter jumps to a page, Escape gives the focus back', async () => {
  await withPage(browser, 'palette-pages', async (page) => {
    await loginAs(page, 'pia', 'operator');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' });
    await link.focus();
    await open(page);
    assert.equal(await combobox(page).getAttribute('aria-expanded'), 'true');
    const listId = await combobox(page).getAttribute('aria-controls');
    assert.equal(await page.locator(`[id="${listId}"]`).getAttribute('role'), 'listbox');
    for (const group of ['Pages', 'Actions']) {
      await palette(page).getByRole('group', { name: group }).waitFor();
    }
    assert.equal(await activeOption(page), 'Overview');
    await page.keyboard.press('End');
    assert.equal(await activeOption(page), 'Log out');
    await page.keyboard.press('ArrowDown');
    assert.equal(await activeOption(page), 'Overview', 'the arrows wrap round');
    await page.keyboard.press('ArrowUp');
    assert.equal(await activeOption(page), 'Log out');

    await page.keyboard.press('Escape');
    await palette(page).waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Audit log', 'focus back where it was');

    await open(page);
    await page.keyboard.type('snap');
    await page.getByTestId('palette-count').filter({ hasText: /^\d+ results?$/ }).waitFor();
    assert.equal(await activeOption(page), 'Snapshots', 'the best match first');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Snapshots' }).waitFor();
    assert.match(page.url(), /\/admin\/snapshots$/);
    assert.equal(await palette(page).count(), 0);

    await open(page);
    await page.keyboard.type('zzzz');
    await page.getByTestId('palette-count').filter({ hasText: 'No results' }).waitFor();
    assert.equal(await combobox(page).getAttribute('aria-expanded'), 'false');
  });
});

test('a player is found by a part of the name and by id, and their page opens', async () => {
  const player = await seededPlayer(3);
  await withPage(browser, 'palette-players', async (page) => {
    await loginAs(page, 'pia', 'operator');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await open(page);
    await page.keyboard.type(player.username.slice(1));
    await palette(page).getByRole('group', { name: 'Players' }).waitFor();
    await choose(page, player.username);
    await page.waitForURL(`**/admin/players/${player.id}`);
    await page.getByRole('heading', { level: 1, name: player.username }).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await open(page);
    await page.keyboard.type(player.id.toUpperCase());
    await choose(page, player.username);
    await page.waitForURL(`**/admin/players/${player.id}`);
    await page.getByRole('heading', { level: 1, name: player.username }).waitFor();
  });
});

test('an operator pauses the game and takes a snapshot from the palette, through the same questions', async () => {
  await withPage(browser, 'palette-actions', async (page) => {
    await loginAs(page, 'pia', 'operator', '/players');
    await page.getByRole('heading', { level: 1, name: 'Players' }).waitFor();
    await open(page);
    await page.keyboard.type('pause');
    await choose(page, 'Pause the game');
    const question = page.getByRole('dialog', { name: 'Pause the game?' });
    await question.waitFor();
    await question.getByRole('button', { name: 'Pause game' }).click();
    await page.getByText('Game paused', { exact: true }).waitFor();
    assert.equal((await api('GET', '/admin/game/status')).body.paused, true);

    await open(page);
    await page.keyboard.type('game');
    await palette(page).getByRole('option', { name: 'Resume the game' }).waitFor();
    assert.equal(await palette(page).getByRole('option', { name: 'Pause the game' }).count(), 0, 'only what applies');
    await page.keyboard.press('Escape');

    const before = (await api('GET', '/admin/snapshots?limit=100')).body.items.length;
    await open(page);
    await page.keyboard.type('take a');
    await choose(page, 'Take a snapshot');
    await page.getByText(/^Snapshot #\d+ taken at tick \d+$/).waitFor();
    await palette(page).waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/admin/snapshots?limit=100')).body.items.length, before + 1);
  });
});

test('a viewer is offered the pages they may open and no operator action', async () => {
  await withPage(browser, 'palette-viewer', async (page) => {
    await loginAs(page, 'vic', 'viewer');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('button', { name: /Search or jump/ }).click();
    await palette(page).getByRole('option', { name: 'Log out' }).waitFor();
    const names = (await palette(page).getByRole('option').locator('.palette-label').allTextContents()).map((n) => n.trim());
    assert.deepEqual(names, [
      'Overview', 'Runtime config', 'Snapshots', 'Schedules', 'Players', 'Services', 'Audit log', 'Your sign-in', 'Log out',
    ]);
  });
});

test('axe-core finds no serious violation with the palette open, in both themes', async () => {
  const player = await seededPlayer(2);
  await withPage(browser, 'palette-axe', async (page) => {
    await loginAs(page, 'pia', 'operator');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await open(page);
    await page.keyboard.type(player.username.slice(0, 3));
    await palette(page).getByRole('group', { name: 'Players' }).waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `palette (${scheme})`);
    }
  });
});
