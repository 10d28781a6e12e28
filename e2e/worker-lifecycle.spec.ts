// R22: a worker whose tabs are all gone ends itself within seconds (Chromium would otherwise keep
// an `extendedLifetime` SharedWorker alive for minutes), and nothing it acknowledged is lost.
// The old build's case (a retired worker, R20) is in deploy.spec.ts.
import { deviceBehindProxy, FIELD, hooks } from './durability-fixtures.ts';
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openSection,
  serverSection,
  test,
} from './fixtures.ts';
import { watchWorkerEnd } from './worker-gone.ts';

test('R22: the last tab closes: its worker ends within seconds, and a new tab finds the text', async ({
  browser,
}, testInfo) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const { context, proxy } = await deviceBehindProxy(browser, user);
  const tab = await openSection(context, planId);
  await tab.getByLabel(FIELD).fill('typed before the last tab closed');
  await expectSaved(tab);
  const workerId = await hooks.workerId(tab);
  expect(workerId).toBeTruthy();

  // The observer is a page of the same origin that does not start the app (no worker client).
  const observer = await context.newPage();
  await observer.goto('/health');
  const ended = await watchWorkerEnd(observer, workerId!);
  await tab.close();
  const ms = await ended();
  testInfo.annotations.push({
    type: 'worker ended after last tab (ms)',
    description: `${Math.round(ms)}`,
  });
  console.log(`R22: the worker ended ${Math.round(ms)} ms after its last tab closed`);

  const next = await openSection(context, planId);
  expect(await hooks.workerId(next)).not.toBe(workerId);
  await expect(next.getByLabel(FIELD)).toHaveValue('typed before the last tab closed');
  await expectSaved(next);
  expect((await serverSection(user, planId, 'section-one'))?.data).toMatchObject({
    motivation: 'typed before the last tab closed',
  });
  await context.close();
  await proxy.close();
});
