// R23: one engine per browser profile, whatever the transport. A `?sync=dedicated` tab (the
// no-SharedWorker fallback, forced) next to a normal tab must not run a second engine that
// writes: the engine that loses the lock hands its tab over to the SharedWorker, and what it
// held before is merged (R21), never written over newer text. Each scenario runs several rounds
// (the plan is new each round) and checks the server's final text through the API.
import type { BrowserContext, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  saveStatus,
  serverSection,
  test,
  type User,
} from './fixtures.ts';
import { deviceBehindProxy, hooks } from './durability-fixtures.ts';

const FIELD = 'Why do you want to start this business?';
const CONCERNS = 'What worries you most?';
const SUCCESS = 'What does success look like for you?';
const ROUNDS = 3;

async function device(browser: import('@playwright/test').Browser, user: User) {
  const context = await openDevice(browser, user);
  await context.addInitScript(() => localStorage.setItem('mpfs-test-hooks', '1'));
  return context;
}

/** A tab that forces the fallback transport (a dedicated worker of its own, or the bus). */
async function openDedicated(context: BrowserContext, planId: string) {
  const page = await context.newPage();
  await page.goto(`/plans/${planId}/section-one?sync=dedicated`);
  await expect(page.locator('main').getByRole('textbox').first()).toBeVisible();
  return page;
}

/** A fallback tab and a normal tab on one plan, in either order (whose engine starts first). */
async function openPair(context: BrowserContext, planId: string, dedicatedFirst: boolean) {
  if (dedicatedFirst) {
    const dedicated = await openDedicated(context, planId);
    return { dedicated, normal: await openSection(context, planId) };
  }
  const normal = await openSection(context, planId);
  return { dedicated: await openDedicated(context, planId), normal };
}

/** Outbox records of this plan on the device that the page's worker wrote. */
async function outboxOf(page: Page, planId: string): Promise<number> {
  const owner = await hooks.workerId(page);
  return page.evaluate(
    ({ plan, owner }) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('mpfs-sync');
        open.onerror = () => reject(new Error('cannot open mpfs-sync'));
        open.onsuccess = () => {
          const db = open.result;
          const all = db.transaction('outbox').objectStore('outbox').getAll();
          all.onsuccess = () => {
            db.close();
            const records = all.result as { planId: string; owner: string }[];
            resolve(records.filter((r) => r.planId === plan && r.owner === owner).length);
          };
          all.onerror = () => reject(new Error('cannot read the outbox'));
        };
      }),
    { plan: planId, owner },
  );
}

/** Waits until the page either asks the author (conflict) or has nothing left to save. */
async function settle(page: Page, planId: string): Promise<'conflict' | 'saved'> {
  let outcome: 'conflict' | 'saved' | null = null;
  await expect
    .poll(
      async () => {
        const state = await saveStatus(page).getAttribute('data-state');
        if (state === 'conflict') outcome = 'conflict';
        else if (state === 'saved' && (await outboxOf(page, planId)) === 0) outcome = 'saved';
        return outcome;
      },
      { timeout: 20_000 },
    )
    .not.toBeNull();
  return outcome!;
}

/** Settles the page; if it asks the author, Keep Mine. Returns how many dialogs it took. */
async function keepMineIfAsked(page: Page, planId: string): Promise<number> {
  let dialogs = 0;
  while ((await settle(page, planId)) === 'conflict') {
    dialogs += 1;
    if (!(await page.getByRole('alertdialog').isVisible()))
      await page.getByRole('button', { name: 'Review conflict' }).click();
    await page.getByRole('button', { name: /Keep Mine/ }).click();
    await expect(page.getByRole('alertdialog')).toBeHidden();
  }
  return dialogs;
}

test('R23 (a): text typed in a ?sync=dedicated tab never overwrites newer text typed in a normal tab', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const user = await createUser();
  const context = await device(browser, user);
  const outcomes: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const planId = await createPlan(user);
    const { dedicated, normal } = await openPair(context, planId, round % 2 === 1);
    const older = `older text, typed in the dedicated tab (${round})`;
    const newer = `newer text, typed in the normal tab (${round})`;
    await dedicated.getByLabel(CONCERNS).fill(older);
    await normal.getByLabel(CONCERNS).fill(newer);
    // Until saved; or the author is asked, and Keep Mine keeps what they typed last.
    let dialogs = await keepMineIfAsked(normal, planId);
    // The dedicated tab goes away: closed, or reloaded (its engine dies with the page).
    if (round % 2 === 1) await dedicated.close();
    else await dedicated.reload();
    dialogs += await keepMineIfAsked(normal, planId);
    const text = (await serverSection(user, planId, 'section-one'))?.data.concerns;
    outcomes.push(
      `${text === newer ? 'newest kept' : `lost (server: ${JSON.stringify(text)})`}, ${dialogs} dialog(s)`,
    );
    await normal.close();
    if (!dedicated.isClosed()) await dedicated.close();
  }
  console.log(`R23 (a) dedicated + normal, ${ROUNDS} rounds: ${outcomes.join('; ')}`);
  expect(
    outcomes.filter((o) => o.startsWith('lost')),
    'rounds whose newest text was lost',
  ).toEqual([]);
  await context.close();
});

test('R23 (b): a ?sync=dedicated tab and a normal tab show the same text and never conflict with each other', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const user = await createUser();
  const context = await device(browser, user);
  const problems: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const planId = await createPlan(user);
    const { dedicated, normal } = await openPair(context, planId, round % 2 === 1);

    // What one tab types, the other shows.
    await dedicated.getByLabel(FIELD).fill(`from the dedicated tab (${round})`);
    const shown = await expect(normal.getByLabel(FIELD))
      .toHaveValue(`from the dedicated tab (${round})`)
      .then(
        () => true,
        () => false,
      );
    if (!shown)
      problems.push(`round ${round}: the normal tab did not show the dedicated tab's text`);
    await normal.getByLabel(FIELD).fill(`from the normal tab (${round})`);
    const back = await expect(dedicated.getByLabel(FIELD))
      .toHaveValue(`from the normal tab (${round})`)
      .then(
        () => true,
        () => false,
      );
    if (!back)
      problems.push(`round ${round}: the dedicated tab did not show the normal tab's text`);

    // The same field typed in both, one after the other: the last one typed wins, no dialog.
    const last = `third, from the dedicated tab (${round})`;
    await dedicated.getByLabel(CONCERNS).fill(`first, from the dedicated tab (${round})`);
    await normal.getByLabel(CONCERNS).fill(`second, from the normal tab (${round})`);
    await dedicated.getByLabel(CONCERNS).fill(last);
    for (const tab of [dedicated, normal]) {
      const asked = await keepMineIfAsked(tab, planId);
      if (asked > 0) problems.push(`round ${round}: ${asked} conflict dialog(s) between own tabs`);
    }
    const data = (await serverSection(user, planId, 'section-one'))?.data;
    if (data?.concerns !== last)
      problems.push(`round ${round}: the server has ${JSON.stringify(data?.concerns)}`);
    for (const tab of [dedicated, normal]) {
      const same = await expect(tab.getByLabel(CONCERNS))
        .toHaveValue(String(data?.concerns))
        .then(
          () => true,
          () => false,
        );
      if (!same) problems.push(`round ${round}: a tab shows other text than the server`);
    }
    await dedicated.close();
    await normal.close();
  }
  console.log(
    `R23 (b) dedicated + normal, ${ROUNDS} rounds: ${problems.length === 0 ? 'no problem' : problems.join('; ')}`,
  );
  expect(problems).toEqual([]);
  await context.close();
});

test('R23: a ?sync=dedicated tab next to a normal tab is served by the SharedWorker', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const context = await device(browser, user);
  const normal = await openSection(context, planId);
  const dedicated = await openDedicated(context, planId);
  await dedicated.getByLabel(FIELD).fill('typed in the dedicated tab');
  await expectSaved(dedicated);
  expect(await hooks.workerId(dedicated)).toBe(await hooks.workerId(normal));
  expect(await hooks.transport(dedicated)).toBe('shared');
  await context.close();
});

test('R23: the fallback leader and its follower both move to the SharedWorker when a normal tab opens', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const context = await device(browser, user);
  const leader = await openDedicated(context, planId);
  const follower = await openDedicated(context, planId);
  await follower.getByLabel(FIELD).fill('typed in the follower before the normal tab');
  await expect(leader.getByLabel(FIELD)).toHaveValue('typed in the follower before the normal tab');
  const normal = await openSection(context, planId);
  const shared = await hooks.workerId(normal);
  for (const tab of [leader, follower]) {
    await expect.poll(() => hooks.transport(tab)).toBe('shared');
    expect(await hooks.workerId(tab)).toBe(shared);
  }
  await follower.getByLabel(CONCERNS).fill('typed in the follower after');
  await leader.getByLabel(SUCCESS).fill('typed in the leader after');
  for (const tab of [leader, follower, normal]) {
    await expect(tab.getByLabel(FIELD)).toHaveValue('typed in the follower before the normal tab');
    await expect(tab.getByLabel(CONCERNS)).toHaveValue('typed in the follower after');
    await expect(tab.getByLabel(SUCCESS)).toHaveValue('typed in the leader after');
    await expectSaved(tab);
  }
  expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
    motivation: 'typed in the follower before the normal tab',
    concerns: 'typed in the follower after',
    success: 'typed in the leader after',
  });
  // A fallback tab opened later finds the SharedWorker too (the leader lock was given up).
  const late = await openDedicated(context, planId);
  await expect.poll(() => hooks.transport(late)).toBe('shared');
  await expect(late.getByLabel(SUCCESS)).toHaveValue('typed in the leader after');
  await context.close();
});

test.describe('two builds of one protocol version', () => {
  let otherBuild = '';

  test.beforeAll(() => {
    // Another build with the same protocol: only its label differs, so its workers' script URLs do.
    otherBuild = mkdtempSync(join(tmpdir(), 'mpfs-build-same-protocol-'));
    execFileSync(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error', '--outDir', otherBuild],
      { env: { ...process.env, VITE_BUILD_ID: 'same-protocol-b' }, stdio: 'inherit' },
    );
  });

  test.afterAll(() => {
    if (otherBuild) rmSync(otherBuild, { recursive: true, force: true });
  });

  test('R23 (c): the build opened later writes; the older one’s unsent edit never overwrites newer text', async ({
    browser,
  }) => {
    test.setTimeout(180_000);
    const outcomes: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const user = await createUser();
      const planId = await createPlan(user);
      const { context, proxy } = await deviceBehindProxy(browser, user);
      const oldTab = await openSection(context, planId);
      const oldWorker = await hooks.workerId(oldTab);
      // The old build's tab holds an edit it could not send yet (503, Retry-After: 60).
      proxy.fail({ status: 503, count: 1, retryAfter: 60 });
      const older = `older text, typed in the old build's tab (${round})`;
      const newer = `newer text, typed in the new build's tab (${round})`;
      await oldTab.getByLabel(CONCERNS).fill(older);
      await expect(saveStatus(oldTab)).toHaveAttribute('data-state', 'saved-locally');

      // Another build of the same protocol is served: a second SharedWorker (another script URL).
      proxy.serveStatic(otherBuild);
      const savesBefore = proxy.saves().length;
      const newTab = await openSection(context, planId);
      expect(await hooks.workerId(newTab)).not.toBe(oldWorker);
      await expect(oldTab.getByRole('alert').first()).toContainText('Reload this page');
      // From then on the old build's tab takes nothing.
      await expect(oldTab.getByLabel(CONCERNS)).not.toBeEditable();
      await newTab.getByLabel(CONCERNS).fill(newer);
      let dialogs = await keepMineIfAsked(newTab, planId);
      // Only the new build's worker saved since it opened.
      const newWorker = await hooks.workerId(newTab);
      for (const save of proxy.saves().slice(savesBefore))
        expect(save.mutationId?.startsWith(`${newWorker}:`)).toBe(true);

      // The old tab reloads (the new build now): its worker ends, the new one adopts its edit.
      await oldTab.reload();
      await expect(oldTab.locator('main').getByRole('textbox').first()).toBeVisible();
      dialogs += await keepMineIfAsked(newTab, planId);
      const text = (await serverSection(user, planId, 'section-one'))?.data.concerns;
      outcomes.push(
        `${text === newer ? 'newest kept' : `lost (server: ${JSON.stringify(text)})`}, ${dialogs} dialog(s)`,
      );
      expect(text, `round ${round}: the server has the newest text`).toBe(newer);
      await expect(oldTab.getByLabel(CONCERNS)).toHaveValue(newer);
      await context.close();
      await proxy.close();
    }
    console.log(`R23 (c) two builds of one protocol, ${ROUNDS} rounds: ${outcomes.join('; ')}`);
  });
});
