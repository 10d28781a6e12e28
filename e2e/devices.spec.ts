// Two devices (browser contexts) of one author, two tabs each: other devices' saves are merged
// field by field, stale tabs are refreshed on focus, and only real overlaps ask the author.
// Rules M1–M8 and F1–F6: docs/merge-rules.md. Device B talks through its own proxy, so it can go
// offline (context.setOffline does not reach a SharedWorker).
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import {
  api,
  BASE_URL,
  createPlan,
  createUser,
  expect,
  expectSaved,
  saveStatus,
  serverSection,
  signIn,
  test,
  testHooksHeaders,
  type User,
} from './fixtures.ts';

const MOTIVATION = 'Why do you want to start this business?';
const VISION = 'Where do you see the business in five years?';
const CONCERNS = 'What worries you most?';
const KEY = 'section-one';

interface Device {
  context: BrowserContext;
  tabs: Page[];
  proxy: FaultProxy | null;
}

/** A device signed in at `baseURL`, with `tabs` tabs on the plan's first section. */
async function openDevice(
  browser: Browser,
  user: User,
  planId: string,
  options: { viaProxy: boolean; tabs?: number },
): Promise<Device> {
  const proxy = options.viaProxy ? await startFaultProxy(BASE_URL) : null;
  const context = await browser.newContext({ baseURL: proxy?.url ?? BASE_URL });
  const first = await context.newPage();
  await signIn(first, user);
  const tabs: Page[] = [];
  for (let i = 0; i < (options.tabs ?? 2); i++) {
    const page = i === 0 ? first : await context.newPage();
    await page.goto(`/plans/${planId}/${KEY}`);
    await expect(page.getByLabel(MOTIVATION)).toBeVisible();
    tabs.push(page);
  }
  for (const tab of tabs) await expectSaved(tab);
  return { context, tabs, proxy };
}

async function closeAll(...devices: Device[]) {
  for (const d of devices) {
    await d.context.close();
    await d.proxy?.close();
  }
}

/** What the page does when its window gains focus (headless pages never lose it). */
const focus = (page: Page) => page.evaluate(() => window.dispatchEvent(new Event('focus')));

/**
 * Focuses `page` until it shows `value` in the field: a refetch that fails (a fault another suite
 * switched on server-wide, §9 of docs/testing.md) is dropped until the next trigger (F6).
 */
async function focusUntil(page: Page, label: string, value: string) {
  await expect
    .poll(
      async () => {
        await focus(page);
        return page.getByLabel(label).inputValue();
      },
      { timeout: 10_000, intervals: [250, 500, 1_000] },
    )
    .toBe(value);
}

async function stats() {
  const res = await fetch(`${BASE_URL}/__test/stats`, { headers: testHooksHeaders() });
  return (await res.json()) as { gets: Record<string, number>; notModified: number };
}

async function expectNoDialog(...pages: Page[]) {
  for (const page of pages) await expect(page.getByRole('alertdialog')).toHaveCount(0);
}

async function setup(browser: Browser) {
  const user = await createUser();
  const planId = await createPlan(user);
  const a = await openDevice(browser, user, planId, { viaProxy: false });
  const b = await openDevice(browser, user, planId, { viaProxy: true });
  return { user, planId, a, b };
}

test('M2: disjoint fields edited while device B is offline both survive, no dialog', async ({
  browser,
}) => {
  const { user, planId, a, b } = await setup(browser);
  b.proxy!.setOffline(true);
  await b.tabs[0]!.getByLabel(VISION).fill('B, typed offline');
  await expect(saveStatus(b.tabs[1]!)).toHaveAttribute('data-state', 'saved-locally');
  await a.tabs[0]!.getByLabel(MOTIVATION).fill('A, online');
  await expectSaved(a.tabs[0]!);

  b.proxy!.setOffline(false);
  // B's retry meets A's save (409), merges field by field and saves at once.
  for (const tab of b.tabs) {
    await expectSaved(tab);
    await expect(tab.getByLabel(MOTIVATION)).toHaveValue('A, online');
    await expect(tab.getByLabel(VISION)).toHaveValue('B, typed offline');
  }
  expect((await serverSection(user, planId, KEY))?.data).toEqual({
    motivation: 'A, online',
    vision: 'B, typed offline',
  });
  // Device A learns of B's field when a tab gains focus (F2), in every tab.
  await focusUntil(a.tabs[1]!, VISION, 'B, typed offline');
  for (const tab of a.tabs) await expect(tab.getByLabel(VISION)).toHaveValue('B, typed offline');
  await expectNoDialog(...a.tabs, ...b.tabs);
  await closeAll(a, b);
});

test('F2, F4: a stale device with no edits is refreshed on focus without a dialog', async ({
  browser,
}) => {
  const { planId, a, b } = await setup(browser);
  await a.tabs[0]!.getByLabel(MOTIVATION).fill('Saved on A');
  await expectSaved(a.tabs[0]!);
  await expect(b.tabs[0]!.getByLabel(MOTIVATION)).toHaveValue('');
  const before = (await stats()).gets[`${planId}/*`] ?? 0;
  await focusUntil(b.tabs[0]!, MOTIVATION, 'Saved on A');
  for (const tab of b.tabs) {
    await expect(tab.getByLabel(MOTIVATION)).toHaveValue('Saved on A');
    await expectSaved(tab);
  }
  expect((await stats()).gets[`${planId}/*`]).toBeGreaterThan(before);
  await expectNoDialog(...b.tabs);
  await closeAll(a, b);
});

test('F4: an unchanged plan is answered 304 Not Modified, and counted', async ({ browser }) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const b = await openDevice(browser, user, planId, { viaProxy: true, tabs: 1 });
  const tab = b.tabs[0]!;
  const listGets = () =>
    b.proxy!.attempts.filter((a) => a.method === 'GET' && a.path === '/functions/v1/plan-sections');
  const lists = () => listGets().map((a) => `GET ${a.path} ${a.status}`);
  const before = await stats();
  // Opening a section with nothing on the device may already have asked the plan's list (U3):
  // it was counted before `before`, so only what the device sends from here is compared.
  const sentBefore = listGets().length;
  // Focus until a fetch goes out while none is in flight: the first gets the ETag, a later one
  // sends it back and, nothing having changed, gets 304 with no body.
  await expect
    .poll(async () => {
      await focus(tab);
      return lists().filter((l) => l.endsWith(' 304')).length;
    })
    .toBeGreaterThan(0);
  expect(lists()[0]).toMatch(/ 200$/);
  // The server counted every list request the device sent (a last focus may still be on its way).
  const sent = () => listGets().length - sentBefore;
  await expect
    .poll(async () => {
      const counted =
        ((await stats()).gets[`${planId}/*`] ?? 0) - (before.gets[`${planId}/*`] ?? 0);
      return counted - sent();
    })
    .toBe(0);
  expect((await stats()).notModified).toBeGreaterThanOrEqual(before.notModified + 1);
  await expectSaved(tab);
  await closeAll(b);
});

/** B edits motivation (clashes) and vision (B only) offline; A edits motivation and concerns. */
async function makeConflict(browser: Browser) {
  const ctx = await setup(browser);
  const { a, b } = ctx;
  b.proxy!.setOffline(true);
  await b.tabs[0]!.getByLabel(VISION).fill('B vision');
  await b.tabs[0]!.getByLabel(MOTIVATION).fill('from B');
  await expect(saveStatus(b.tabs[0]!)).toHaveAttribute('data-state', 'saved-locally');
  await a.tabs[0]!.getByLabel(MOTIVATION).fill('from A');
  await a.tabs[0]!.getByLabel(CONCERNS).fill('A concerns');
  await expectSaved(a.tabs[0]!);
  b.proxy!.setOffline(false);
  for (const tab of b.tabs) await expect(saveStatus(tab)).toHaveAttribute('data-state', 'conflict');
  // M8: the dialog opens by itself in the tab the author typed in, and there only.
  const dialog = b.tabs[0]!.getByRole('alertdialog');
  await expect(dialog).toBeVisible();
  await expect(b.tabs[1]!.getByRole('alertdialog')).toHaveCount(0);
  return { ...ctx, dialog };
}

test('M4, M8: the same field on two devices: a dialog with both values, for that field only', async ({
  browser,
}) => {
  const { a, b, dialog } = await makeConflict(browser);
  const rows = dialog.locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(MOTIVATION);
  await expect(rows.first()).toContainText('from A');
  await expect(rows.first()).toContainText('from B');
  // Keyboard: focus moved into the dialog (focus checks need the front window, as in Firefox).
  await b.tabs[0]!.bringToFront();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  // The other tab can open it too.
  await b.tabs[1]!.getByRole('button', { name: 'Review conflict' }).click();
  await expect(b.tabs[1]!.getByRole('alertdialog')).toContainText('from A');
  await closeAll(a, b);
});

test('M7: Refresh (Load Latest) takes the server value for the clashing field, keeps the merged edits, in every tab', async ({
  browser,
}) => {
  const { user, planId, a, b } = await makeConflict(browser);
  // Resolved from the other tab: closes the dialog everywhere.
  await b.tabs[1]!.getByRole('button', { name: 'Review conflict' }).click();
  await b.tabs[1]!.getByRole('alertdialog')
    .getByRole('button', { name: 'Refresh (Load Latest)' })
    .click();
  const expected = { motivation: 'from A', vision: 'B vision', concerns: 'A concerns' };
  for (const tab of b.tabs) {
    await expect(tab.getByRole('alertdialog')).toHaveCount(0);
    await expectSaved(tab);
    await expect(tab.getByLabel(MOTIVATION)).toHaveValue(expected.motivation);
    await expect(tab.getByLabel(VISION)).toHaveValue(expected.vision);
    await expect(tab.getByLabel(CONCERNS)).toHaveValue(expected.concerns);
  }
  expect((await serverSection(user, planId, KEY))?.data).toEqual(expected);
  await closeAll(a, b);
});

test('M7: Overwrite (Keep Mine) saves the author value over the server, keeps theirs elsewhere, in every tab', async ({
  browser,
}) => {
  const { user, planId, a, b, dialog } = await makeConflict(browser);
  await dialog.getByRole('button', { name: 'Overwrite (Keep Mine)' }).click();
  const expected = { motivation: 'from B', vision: 'B vision', concerns: 'A concerns' };
  for (const tab of b.tabs) {
    await expect(tab.getByRole('alertdialog')).toHaveCount(0);
    await expectSaved(tab);
    await expect(tab.getByLabel(MOTIVATION)).toHaveValue(expected.motivation);
    await expect(tab.getByLabel(CONCERNS)).toHaveValue(expected.concerns);
  }
  expect((await serverSection(user, planId, KEY))?.data).toEqual(expected);
  // Device A gets it on focus, without a dialog.
  await focusUntil(a.tabs[0]!, MOTIVATION, 'from B');
  for (const tab of a.tabs) await expect(tab.getByLabel(MOTIVATION)).toHaveValue('from B');
  await expectNoDialog(...a.tabs);
  await closeAll(a, b);
});

test('Cancel (and Escape) keeps the edits unsaved, the status conflict; Review conflict reopens; focus returns', async ({
  browser,
}) => {
  const { user, planId, a, b, dialog } = await makeConflict(browser);
  const author = b.tabs[0]!;
  // Focus checks need the front window (Firefox over BiDi focuses only that one).
  await author.bringToFront();
  await author.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(author.getByLabel(MOTIVATION)).toBeFocused();
  for (const tab of b.tabs) {
    await expect(saveStatus(tab)).toHaveAttribute('data-state', 'conflict');
    await expect(tab.getByLabel(MOTIVATION)).toHaveValue('from B');
  }
  expect((await serverSection(user, planId, KEY))?.data.motivation).toBe('from A');
  const review = author.getByRole('button', { name: 'Review conflict' });
  await review.click();
  await expect(author.getByRole('alertdialog')).toBeVisible();
  await author.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(author.getByRole('alertdialog')).toBeHidden();
  await expect(review).toBeFocused();
  await expect(saveStatus(author)).toHaveAttribute('data-state', 'conflict');
  await closeAll(a, b);
});

test('M5: long text edited on two devices merges line by line; the same line shows the overlap', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const base = 'Line one\nLine two\nLine three';
  const seeded = await api(user, `plan-sections/${KEY}`, {
    method: 'PUT',
    body: JSON.stringify({ planId, data: { motivation: base }, version: 0 }),
  });
  expect(seeded.status).toBe(200);
  const a = await openDevice(browser, user, planId, { viaProxy: false, tabs: 1 });
  const b = await openDevice(browser, user, planId, { viaProxy: true });

  // Different lines: merged, no dialog.
  b.proxy!.setOffline(true);
  await b.tabs[0]!.getByLabel(MOTIVATION).fill('Line one, from B\nLine two\nLine three');
  await a.tabs[0]!.getByLabel(MOTIVATION).fill('Line one\nLine two\nLine three, from A');
  await expectSaved(a.tabs[0]!);
  b.proxy!.setOffline(false);
  const merged = 'Line one, from B\nLine two\nLine three, from A';
  for (const tab of b.tabs) {
    await expectSaved(tab);
    await expect(tab.getByLabel(MOTIVATION)).toHaveValue(merged);
  }
  expect((await serverSection(user, planId, KEY))?.data.motivation).toBe(merged);
  await expectNoDialog(...b.tabs);

  // The same line: a conflict whose dialog shows the overlapping lines of each side.
  await focusUntil(a.tabs[0]!, MOTIVATION, merged);
  b.proxy!.setOffline(true);
  await b.tabs[0]!.getByLabel(MOTIVATION).fill('Line one, from B\nLine two, B\nLine three, from A');
  await a.tabs[0]!.getByLabel(MOTIVATION).fill('Line one, from B\nLine two, A\nLine three, from A');
  await expectSaved(a.tabs[0]!);
  b.proxy!.setOffline(false);
  const overlap = b.tabs[0]!.getByRole('alertdialog').getByRole('region', {
    name: `Overlap in ${MOTIVATION}`,
  });
  await expect(overlap).toContainText('Line two, A');
  await expect(overlap).toContainText('Line two, B');
  await expect(overlap).not.toContainText('Line one');
  await closeAll(a, b);
});
