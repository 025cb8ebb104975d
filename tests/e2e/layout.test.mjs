// Layout: every page at a phone's width and at desktop widths, in both themes. Each is
// screenshotted into the artifacts (layout-<page>-<width>-<theme>.png, kept after a pass),
// and fails when the page scrolls sideways, when controls overlap, or when an action bar
// (.action-bar: a page's header actions, its filter rows) is broken up.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { dev, env, launchBrowser, loginAndWait, seededPlayer, withPage } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

const WIDTHS = [390, 1024, 1440, 1920];
/** From this width on an action bar keeps its items on one line. */
const DESKTOP = 1024;
const THEMES = ['light', 'dark'];

/** An hour of history with some lag and slow ticks, so the charts show their threshold zones. */
function history() {
  const count = 360;
  return Array.from({ length: count }, (_, i) => {
    const lagging = i > 200 && i < 240;
    return {
      seconds_ago: (count - 1 - i) * 10,
      tick_rate: 1,
      actual_rate: lagging ? 0.7 : 1,
      ticks_behind: lagging ? 7 : 0,
      tick_duration_ms: lagging ? 950 : 40 + (i % 30),
      players_online: 30 + (i % 20),
      paused: false,
    };
  });
}

/**
 * Runs in the page: what is wrong with its layout, as sentences. `desktop`: whether an
 * action bar must keep to one line (at a phone's width it may stack as a whole instead).
 */
function layoutProblems(desktop) {
  const problems = [];
  const name = (el) => {
    const text = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().replace(/\s+/g, ' ');
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} “${text.slice(0, 30)}”`;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  // Overlapping by more than a hair (a shared border pixel is not an overlap).
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;

  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    // The innermost elements past the edge: what to fix, not the page around it.
    const past = [...document.querySelectorAll('body *')]
      .filter((el) => shown(el) && el.getBoundingClientRect().right > root.clientWidth + 1);
    const wide = past.filter((el) => !past.some((other) => other !== el && el.contains(other))).slice(0, 4).map(name);
    problems.push(`the page scrolls sideways (${root.scrollWidth} px in ${root.clientWidth} px), past the edge: ${wide.join(', ')}`);
  }

  const controls = [...document.querySelectorAll('main :is(button, a.button, input, select, textarea)')]
    .filter((el) => shown(el) && !el.closest('dialog'));
  for (let i = 0; i < controls.length; i += 1) {
    for (let j = i + 1; j < controls.length; j += 1) {
      if (overlap(controls[i].getBoundingClientRect(), controls[j].getBoundingClientRect())) {
        problems.push(`${name(controls[i])} and ${name(controls[j])} overlap`);
      }
    }
  }

  // A page's actions are in action bars; a form's own buttons, a table row's or a list item's
  // are laid out with what they act on.
  for (const el of controls.filter((c) => c.matches('button, a.button'))) {
    if (!el.closest('.action-bar, form, table, li, .toasts, .load-error')) {
      problems.push(`${name(el)} is outside any action bar`);
    }
  }

  for (const bar of document.querySelectorAll('main .action-bar')) {
    if (!shown(bar)) continue;
    const items = [...bar.children].filter(shown).map((el) => ({ el, r: el.getBoundingClientRect() }));
    const label = `action bar ${items.map((i) => name(i.el)).join(' · ')}`;
    for (let i = 0; i < items.length; i += 1) {
      for (let j = i + 1; j < items.length; j += 1) {
        if (overlap(items[i].r, items[j].r)) problems.push(`${label}: ${name(items[i].el)} and ${name(items[j].el)} overlap`);
      }
    }
    // What lies before the start of a bar that scrolls can never be scrolled to.
    const start = bar.getBoundingClientRect().left + bar.scrollLeft;
    for (const item of items.filter((i) => i.r.left < start - 1)) {
      problems.push(`${label}: ${name(item.el)} is cut off at the start of the bar`);
    }
    // Lines: items whose vertical extents overlap share one.
    const lines = [];
    for (const item of items) {
      const line = lines.find((l) => l.some((o) => Math.min(o.r.bottom, item.r.bottom) - Math.max(o.r.top, item.r.top) > 1));
      if (line) line.push(item); else lines.push([item]);
    }
    const stacked = lines.every((l) => l.length === 1);
    if (lines.length > 1 && (desktop || !stacked)) {
      const alone = lines.filter((l) => l.length === 1).map((l) => name(l[0].el));
      problems.push(`${label}: wraps onto ${lines.length} lines${alone.length ? `, ${alone.join(', ')} alone` : ''}`);
    }
    // An item far from both neighbours on its line floats in the middle of the bar.
    for (const line of lines.filter((l) => l.length > 2)) {
      line.sort((a, b) => a.r.left - b.r.left);
      for (let i = 1; i < line.length - 1; i += 1) {
        const before = line[i].r.left - line[i - 1].r.right;
        const after = line[i + 1].r.left - line[i].r.right;
        if (before > 32 && after > 32) {
          problems.push(`${label}: ${name(line[i].el)} floats mid-bar (${Math.round(before)} px and ${Math.round(after)} px from its neighbours)`);
        }
      }
    }
  }
  return problems;
}

/** The page's own state has arrived: its heading, its data, nothing still loading. */
async function settled(page, path) {
  await page.locator('main h1').waitFor();
  if (path === '/') await page.getByTestId('chart').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('main [aria-busy="true"], main .loading'));
  await page.waitForLoadState('networkidle');
}

/** Two frames: a resize or a theme has been laid out and painted. */
const painted = (page) => page.evaluate(() => new Promise((resolve) => {
  requestAnimationFrame(() => requestAnimationFrame(resolve));
}));

test('layout: every page at 390, 1024, 1440 and 1920 px in both themes, action bars whole, nothing sideways', async () => {
  await dev('POST', '/history', { samples: history() });
  const player = await seededPlayer(3);
  mkdirSync(env.artifacts, { recursive: true });
  const problems = [];
  await withPage(browser, 'layout', async (page) => {
    await loginAndWait(page);
    // Every page the navigation offers (a page added to it is covered too), a player's
    // page, and the operator's own sign-in page.
    const nav = await page.locator('nav.sidebar a').evaluateAll(
      (links) => links.map((a) => new URL(a.href).pathname.replace(/^\/admin/, '')),
    );
    const pages = [...nav, `/players/${player.id}`, '/password'];
    assert.ok(pages.length >= 9, `pages: ${pages}`);
    for (const path of pages) {
      const slug = path === '/' ? 'overview' : path.startsWith('/players/') ? 'player' : path.slice(1).replace(/\W+/g, '-');
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(`${env.dashboard}/admin${path}`);
      await settled(page, path);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        for (const theme of THEMES) {
          await page.emulateMedia({ colorScheme: theme });
          await painted(page);
          await page.screenshot({ path: join(env.artifacts, `layout-${slug}-${width}-${theme}.png`), fullPage: true });
        }
        for (const problem of await page.evaluate(layoutProblems, width >= DESKTOP)) {
          problems.push(`${slug} at ${width} px: ${problem}`);
        }
      }
    }
  });
  assert.deepEqual(problems, []);
});
