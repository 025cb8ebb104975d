// Schedules: tonight's maintenance planned in the browser, run by the gateway on its (dev)
// clock while nobody watches, and read back in the morning in the audit log.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import {
  api, dev, env, launchBrowser, loginAs, seededPlayer, seriousA11yViolations, withPage,
} from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
beforeEach(async () => { await dev('POST', '/reset', {}); });

const ZONE = 'Europe/Berlin';

/** The gateway's clock, moved by `seconds`; the steps due by then have run when it answers. */
async function clock(seconds = 0) {
  const { now } = await dev('POST', '/clock', { advance_seconds: seconds });
  return Date.parse(now);
}

/** Moves the gateway's clock to `at` (ms since the epoch) or just after it. */
async function clockTo(at) {
  return clock(Math.max(0, Math.ceil((at - await clock()) / 1000)));
}

/** Berlin's offset from UTC on `date`, as "+01:00" (winter) or "+02:00" (summer). */
function berlinOffset(date) {
  const noonUtc = new Date(`${date}T12:00:00Z`);
  const name = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, timeZoneName: 'longOffset' })
    .formatToParts(noonUtc).find((p) => p.type === 'timeZoneName').value;
  return name.replace('GMT', '');
}

/** The date in Berlin of the day after the gateway's now: its 04:00 is always ahead. */
async function tomorrowInBerlin() {
  const day = new Date(await clock() + 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(day);
}

async function received(playerId) {
  const { items } = await dev('GET', `/players/${playerId}/sessions`);
  return items.flatMap((s) => (s.received ?? []).map((m) => m.text));
}

test('an operator schedules the 04:00 maintenance with three warnings, and reads in the morning that each ran on time', async () => {
  const pilot = await seededPlayer(3);
  await dev('POST', `/players/${pilot.id}/sessions`, {});
  const date = await tomorrowInBerlin();
  await withPage(browser, 'schedule-maintenance', async (page) => {
    await loginAs(page, 'nora', 'operator', '/schedules');
    await page.getByRole('heading', { level: 1, name: 'Schedules' }).waitFor();
    await page.getByText('Nothing is scheduled').waitFor();

    // The whole plan: a name, a time, the preset, save.
    await page.getByRole('button', { name: 'New schedule' }).click();
    const editor = page.getByTestId('schedule-editor');
    await editor.getByLabel('Name').fill('Nightly maintenance');
    assert.equal(await editor.getByLabel('Time zone').inputValue(), ZONE, "the operator's own zone");
    await editor.getByLabel('Date and time').fill(`${date}T04:00`);
    await editor.getByRole('button', { name: 'Maintenance: 3 warnings, snapshot, pause' }).click();
    await editor.getByText('Step 5', { exact: true }).waitFor();
    // Each warning is previewed as players will see it.
    await editor.getByText('Server maintenance in 10 minutes. Find a safe spot.', { exact: true }).waitFor();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `the schedule editor (${scheme})`);
    }
    await editor.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Schedule “Nightly maintenance” saved').waitFor();
    // Shown in Berlin's time with its offset (+01:00 in winter, +02:00 in summer), counting down.
    const offset = berlinOffset(date);
    const row = page.getByTestId('schedules').getByRole('row', { name: /Nightly maintenance/ });
    await row.getByTestId('next-run').filter({ hasText: `${date} 04:00:00${offset}` }).waitFor();
    await row.getByText(/^in \d+ h \d\d min$/).waitFor();
    // The planned night as the operator sees it, for the artifacts.
    mkdirSync(env.artifacts, { recursive: true });
    await page.screenshot({ path: join(env.artifacts, 'schedules-planned.png'), fullPage: true });

    const { body: listed } = await api('GET', '/admin/schedules');
    const [schedule] = listed.items;
    assert.equal(schedule.next_at_local, `${date}T04:00:00${offset}`);
    const at = Date.parse(schedule.next_at);
    assert.equal(at, Date.parse(`${date}T04:00:00${offset}`), '04:00 in Berlin is that instant in UTC');

    // The night, on the gateway's clock: each warning at its time, then the snapshot and the pause.
    const minutes = (n) => at - n * 60_000;
    await clockTo(minutes(10) - 1000);
    assert.deepEqual(await received(pilot.id), []);
    await clockTo(minutes(10));
    assert.deepEqual(await received(pilot.id), ['Server maintenance in 10 minutes. Find a safe spot.']);
    await clockTo(minutes(5));
    assert.equal((await received(pilot.id)).length, 2);

    // Another operator, opening the console now, sees the pause coming and the next step.
    await withPage(browser, 'schedule-banner', async (other) => {
      await loginAs(other, 'otto', 'operator', '/');
      const banner = other.getByTestId('scheduled-pause');
      await banner.filter({ hasText: /Scheduled: “Nightly maintenance” pauses the game at .*, in [45] min \d\d s\./ }).waitFor();
      const next = other.getByTestId('next-operation');
      await next.getByText('send “Server maintenance in 1 minute. The universe pauses shortly.”').waitFor();
      await next.getByText(/^in [34] min \d\d s$/).waitFor();
    }, { timezoneId: ZONE });

    await clockTo(minutes(1));
    assert.equal((await received(pilot.id)).length, 3);
    await clockTo(at - 1000);
    assert.equal((await api('GET', '/admin/game/status')).body.paused, false, 'not paused before 04:00');
    await clockTo(at);
    assert.equal((await api('GET', '/admin/game/status')).body.paused, true);

    // The morning: the audit log says each step ran, in nora's name, on time.
    await page.goto(`${env.dashboard}/admin/audit`);
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    for (const [step, action] of [[1, 'game.message'], [2, 'game.message'], [3, 'game.message'],
      [4, 'snapshot.create'], [5, 'game.pause']]) {
      const entry = page.getByRole('row').filter({ hasText: action })
        .filter({ hasText: new RegExp(`with schedule “Nightly maintenance” \\(step ${step} of 5, due .*, on time\\)`) });
      await entry.first().waitFor();
      assert.ok(await entry.getByText('nora').count() > 0, `step ${step} in nora's name`);
    }
    await page.getByRole('row').filter({ hasText: 'schedule.run' })
      .filter({ hasText: 'succeeded: 5 of 5 steps succeeded' }).first().waitFor();
    // And the schedule's page lists the run, every step succeeded.
    await page.goto(`${env.dashboard}/admin/schedules`);
    const run = page.getByTestId('runs').getByRole('listitem').filter({ hasText: 'Nightly maintenance' }).first();
    await run.getByText(/on schedule · succeeded/).waitFor();
    assert.equal(await run.locator('.outcome-succeeded').count(), 5);
  }, { timezoneId: ZONE });
});

test('a message to players is previewed, sent to their sessions, and limited', async () => {
  const pilot = await seededPlayer(5);
  await dev('POST', `/players/${pilot.id}/sessions`, {});
  await withPage(browser, 'message-players', async (page) => {
    await loginAs(page, 'mira', 'operator', '/schedules');
    const text = page.getByLabel('Message to every player online');
    await text.fill('Double XP this weekend!');
    await page.getByTestId('message-preview').filter({ hasText: 'Double XP this weekend!' }).waitFor();
    await page.getByText('Players see (23 of 280 characters):').waitFor();
    await page.getByRole('button', { name: 'Send to players' }).click();
    await page.getByText(/Message sent to \d+ players online/).waitFor();
    assert.deepEqual(await received(pilot.id), ['Double XP this weekend!']);
    await page.getByRole('list', { name: 'Messages sent lately' }).getByText('“Double XP this weekend!”').waitFor();
    // The limit is the gateway's; the page says when the next may go.
    for (let i = 0; i < 4; i += 1) {
      assert.equal((await api('POST', '/admin/players/messages', { text: `filler ${i}` })).status, 201);
    }
    await text.fill('One too many');
    await page.getByRole('button', { name: 'Send to players' }).click();
    await page.getByRole('alert').filter({ hasText: /messages in the last minute; send this one in \d+ s/ }).waitFor();
    assert.equal(await text.inputValue(), 'One too many', 'the text stays for the retry');
  }, { allowConsoleErrors: true }); // the browser logs the 429 the test asks for
});

test('a viewer reads schedules but cannot plan or send', async () => {
  await withPage(browser, 'schedules-viewer', async (page) => {
    await loginAs(page, 'vic', 'viewer', '/schedules');
    await page.getByText('Nothing is scheduled').waitFor();
    assert.ok(await page.getByRole('button', { name: 'New schedule' }).isDisabled());
    assert.ok(await page.getByRole('button', { name: 'Send to players' }).isDisabled());
    await page.getByText(/schedule operations or message players/).waitFor();
  });
});
