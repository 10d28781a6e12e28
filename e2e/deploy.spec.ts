// Two builds at once (R20): a deploy while tabs are open gives a second worker with another
// script URL and protocol version. The newer one is the only writer; the old tabs are told to
// reload and show it; what they typed meanwhile is kept and saved by the newer worker.
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

test('a deploy while a tab is open: one writer, the old tab reloads, nothing lost', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const { context, proxy } = await deviceBehindProxy(browser, user);
  const oldTab = await openSection(context, planId);
  await oldTab.getByLabel(FIELD).fill('typed before the deploy');
  await expectSaved(oldTab);
  const oldWorker = await hooks.workerId(oldTab);

  proxy.serveStatic(newBuild);
  const newTab = await openSection(context, planId);
  const newWorker = await hooks.workerId(newTab);
  expect(newWorker).not.toBe(oldWorker);
  // The old tab is told, and shows it.
  await expect(oldTab.getByRole('alert')).toContainText('A newer version of this app is open');
  const savesBefore = proxy.saves().length;
  await oldTab.getByLabel(CONCERNS).fill('typed in the old tab after the deploy');
  await expect(saveStatus(oldTab)).toHaveAttribute('data-state', 'error');
  await expect(saveStatus(oldTab)).toContainText('reload this page');
  await newTab.getByLabel(SUCCESS).fill('typed in the new tab');
  await expectSaved(newTab);
  // Everything saved since the deploy was sent by the new worker (its id prefixes the mutation).
  const since = proxy.saves().slice(savesBefore);
  expect(since.length).toBeGreaterThan(0);
  for (const save of since) expect(save.mutationId?.startsWith(`${newWorker}:`)).toBe(true);

  await oldTab.getByRole('button', { name: 'Reload' }).click();
  await expect(oldTab.getByLabel(CONCERNS)).toHaveValue('typed in the old tab after the deploy');
  await expectSaved(oldTab);
  await expect(newTab.getByLabel(CONCERNS)).toHaveValue('typed in the old tab after the deploy');
  expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
    motivation: 'typed before the deploy',
    concerns: 'typed in the old tab after the deploy',
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
  const user = await createUser();
  const planId = await createPlan(user);
  const { context, proxy } = await deviceBehindProxy(browser, user, 'dedicated');
  const oldTab = await openSection(context, planId);
  await oldTab.getByLabel(FIELD).fill('typed before the deploy');
  await expectSaved(oldTab);

  proxy.serveStatic(newBuild);
  const newTab = await context.newPage();
  await newTab.goto(`/plans/${planId}/section-one`);
  // The newer follower can't use the older leader: both sides are told to reload.
  await expect(newTab.getByRole('alert').first()).toContainText('reload');
  await expect(oldTab.getByRole('alert')).toContainText('A newer version of this app is open');
  await oldTab.getByLabel(CONCERNS).fill('typed in the old tab after the deploy');

  await oldTab.getByRole('button', { name: 'Reload' }).click();
  await newTab.reload();
  for (const tab of [oldTab, newTab]) {
    await expect(tab.getByLabel(CONCERNS)).toHaveValue('typed in the old tab after the deploy');
    await expectSaved(tab);
  }
  expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
    motivation: 'typed before the deploy',
    concerns: 'typed in the old tab after the deploy',
  });
  await context.close();
  await proxy.close();
});
