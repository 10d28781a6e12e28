// Two builds at once (R20): a deploy while tabs are open gives a second worker with another
// script URL and protocol version. The newer one is the only writer; the old tabs are told to
// reload and show it, their fields turn read-only (R20: nothing accepted after that moment),
// and what they held from before is merged and saved by the newer worker (R21).
import type { Browser } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceBehindProxy, FIELD, hooks } from './durability-fixtures.ts';
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openSection,
  saveStatus,
  serverSection,
  test,
} from './fixtures.ts';
import { watchWorkerEnd } from './worker-gone.ts';

const CONCERNS = 'What worries you most?';
const SUCCESS = 'What does success look like for you?';

let newBuild = '';

test.beforeAll(() => {
  // The "next deploy": the same sources built with a higher protocol version.
  newBuild = mkdtempSync(join(tmpdir(), 'mpfs-build-b-'));
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error', '--outDir', newBuild],
    { env: { ...process.env, VITE_PROTOCOL_OFFSET: '1' }, stdio: 'inherit' },
  );
});

test.afterAll(() => {
  if (newBuild) rmSync(newBuild, { recursive: true, force: true });
});

/**
 * An old tab of the current build that saved `motivation` and still holds `concerns` unsent when
 * the deploy comes (its save was answered 503 with Retry-After: 60).
 */
async function oldTabHolding(browser: Browser, saved: string, held: string, sync?: 'dedicated') {
  const user = await createUser();
  const planId = await createPlan(user);
  const { context, proxy } = await deviceBehindProxy(browser, user, sync);
  const oldTab = await openSection(context, planId);
  await oldTab.getByLabel(FIELD).fill(saved);
  await expectSaved(oldTab);
  proxy.fail({ status: 503, count: 1, retryAfter: 60 });
  await oldTab.getByLabel(CONCERNS).fill(held);
  await expect(saveStatus(oldTab)).toHaveAttribute('data-state', 'saved-locally');
  return { user, planId, context, proxy, oldTab };
}

test('a deploy while a tab is open: one writer, the old tab reloads, nothing lost', async ({
  browser,
}) => {
  const { user, planId, context, proxy, oldTab } = await oldTabHolding(
    browser,
    'typed before the deploy',
    'typed in the old tab before the deploy',
  );
  const oldWorker = await hooks.workerId(oldTab);

  proxy.serveStatic(newBuild);
  const newTab = await openSection(context, planId);
  const newWorker = await hooks.workerId(newTab);
  expect(newWorker).not.toBe(oldWorker);
  // The old tab is told, and shows it.
  await expect(oldTab.getByRole('alert')).toContainText('A newer version of this app is open');
  const savesBefore = proxy.saves().length;
  // R20: from then on it takes nothing.
  await expect(oldTab.getByLabel(CONCERNS)).not.toBeEditable();
  await expect(saveStatus(oldTab)).toHaveAttribute('data-state', 'error');
  await expect(saveStatus(oldTab)).toContainText('reload this page');
  await newTab.getByLabel(SUCCESS).fill('typed in the new tab');
  await expectSaved(newTab);
  // Everything saved since the deploy was sent by the new worker (its id prefixes the mutation).
  const since = proxy.saves().slice(savesBefore);
  expect(since.length).toBeGreaterThan(0);
  for (const save of since) expect(save.mutationId?.startsWith(`${newWorker}:`)).toBe(true);

  await oldTab.getByRole('button', { name: 'Reload' }).click();
  await expect(oldTab.getByLabel(CONCERNS)).toHaveValue('typed in the old tab before the deploy');
  await expectSaved(oldTab);
  await expect(newTab.getByLabel(CONCERNS)).toHaveValue('typed in the old tab before the deploy');
  expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
    motivation: 'typed before the deploy',
    concerns: 'typed in the old tab before the deploy',
    success: 'typed in the new tab',
  });
  for (const save of proxy.saves().slice(savesBefore))
    expect(save.mutationId?.startsWith(`${newWorker}:`)).toBe(true);
  await context.close();
  await proxy.close();
});

test('no SharedWorker: a newer build makes the older leader retire; reloading loses nothing', async ({
  browser,
}) => {
  const { user, planId, context, proxy, oldTab } = await oldTabHolding(
    browser,
    'typed before the deploy',
    'typed in the old tab before the deploy',
    'dedicated',
  );

  proxy.serveStatic(newBuild);
  const newTab = await context.newPage();
  await newTab.goto(`/plans/${planId}/section-one`);
  // The newer follower can't use the older leader: both sides are told to reload.
  await expect(newTab.getByRole('alert').first()).toContainText('reload');
  await expect(oldTab.getByRole('alert')).toContainText('A newer version of this app is open');
  await expect(oldTab.getByLabel(CONCERNS)).not.toBeEditable();

  await oldTab.getByRole('button', { name: 'Reload' }).click();
  await newTab.reload();
  for (const tab of [oldTab, newTab]) {
    await expect(tab.getByLabel(CONCERNS)).toHaveValue('typed in the old tab before the deploy');
    await expectSaved(tab);
  }
  expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
    motivation: 'typed before the deploy',
    concerns: 'typed in the old tab before the deploy',
  });
  await context.close();
  await proxy.close();
});

// Repeated (a new device and plan each round), the server's text checked each time.
for (const round of [1, 2, 3])
  test(`R21: after a deploy, the old tab’s unsent edit never overwrites what the new tab typed later (round ${round})`, async ({
    browser,
  }) => {
    const { user, planId, context, proxy, oldTab } = await oldTabHolding(
      browser,
      'saved before the deploy',
      'older text, typed in the old tab',
    );

    proxy.serveStatic(newBuild);
    const newTab = await openSection(context, planId);
    await expect(oldTab.getByRole('alert')).toContainText('A newer version of this app is open');
    // The author types the same field again in the new tab, later: that is the newest text.
    await newTab.getByLabel(CONCERNS).fill('newer text, typed in the new tab');
    await expectSaved(newTab);

    // The old tab reloads: its worker ends and the new one adopts the older edit. It must not win
    // silently: the author is asked, and Keep Mine keeps the newer text.
    await oldTab.getByRole('button', { name: 'Reload' }).click();
    const dialog = newTab.getByRole('alertdialog');
    await expect(dialog).toContainText('older text, typed in the old tab');
    await expect(dialog).toContainText('newer text, typed in the new tab');
    await dialog.getByRole('button', { name: 'Overwrite (Keep Mine)' }).click();
    for (const tab of [oldTab, newTab]) {
      await expect(tab.getByLabel(CONCERNS)).toHaveValue('newer text, typed in the new tab');
      await expectSaved(tab);
    }
    expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
      motivation: 'saved before the deploy',
      concerns: 'newer text, typed in the new tab',
    });
    await context.close();
    await proxy.close();
  });

test('R22, R20: the old build’s worker ends once its last tab closes; the newer one saves what it held', async ({
  browser,
}, testInfo) => {
  const { user, planId, context, proxy, oldTab } = await oldTabHolding(
    browser,
    'saved before the deploy',
    'held by the old worker, acknowledged',
  );
  const oldWorker = await hooks.workerId(oldTab);
  proxy.serveStatic(newBuild);
  const newTab = await openSection(context, planId);
  await expect(oldTab.getByRole('alert')).toContainText('A newer version of this app is open');

  // The author closes the old tab instead of reloading it: the retired worker is alone.
  const ended = await watchWorkerEnd(newTab, oldWorker!);
  await oldTab.close();
  const ms = await ended();
  testInfo.annotations.push({
    type: 'old worker ended after last tab (ms)',
    description: `${Math.round(ms)}`,
  });
  console.log(`R22: the retired worker ended ${Math.round(ms)} ms after its last tab closed`);

  // Its acknowledged edit was handed over: the newer worker adopts and saves it.
  await expect(newTab.getByLabel(CONCERNS)).toHaveValue('held by the old worker, acknowledged');
  await expectSaved(newTab);
  expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
    motivation: 'saved before the deploy',
    concerns: 'held by the old worker, acknowledged',
  });
  await context.close();
  await proxy.close();
});
