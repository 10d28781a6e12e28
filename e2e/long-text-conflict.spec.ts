// M7 on long text: two devices edit one multi-line field — both line 1, device B also line 5,
// device A line 3. Whichever button B's author picks, the lines each side changed alone are kept;
// only line 1 takes the chosen side. The dialog shows exactly that, and the server ends with it.
import { startFaultProxy } from './fault-proxy.ts';
import {
  api,
  BASE_URL,
  createPlan,
  createUser,
  expect,
  expectSaved,
  serverSection,
  signIn,
  test,
} from './fixtures.ts';

const MOTIVATION = 'Why do you want to start this business?';
const KEY = 'section-one';
const lines = (...l: string[]) => l.join('\n');
const BASE = lines('1', '2', '3', '4', '5');
const ON_B = lines('one, B', '2', '3', '4', 'five, B');
const ON_A = lines('one, A', '2', 'three, A', '4', '5');
/** Each button's scenario is repeated (a new user and plan each time), the server checked each time. */
const ROUNDS = [1, 2, 3];

for (const round of ROUNDS)
  for (const [button, expected] of [
    ['Overwrite (Keep Mine)', lines('one, B', '2', 'three, A', '4', 'five, B')],
    ['Refresh (Load Latest)', lines('one, A', '2', 'three, A', '4', 'five, B')],
  ] as const) {
    test(`M7: ${button} on a long-text clash keeps both devices' other lines (round ${round})`, async ({
      browser,
    }) => {
      const user = await createUser();
      const planId = await createPlan(user);
      const seeded = await api(user, `plan-sections/${KEY}`, {
        method: 'PUT',
        body: JSON.stringify({ planId, data: { motivation: BASE }, version: 0 }),
      });
      expect(seeded.status).toBe(200);
      const proxy = await startFaultProxy(BASE_URL);
      const a = await browser.newContext({ baseURL: BASE_URL });
      const b = await browser.newContext({ baseURL: proxy.url });
      const pages = [];
      for (const context of [a, b]) {
        const page = await context.newPage();
        await signIn(page, user);
        await page.goto(`/plans/${planId}/${KEY}`);
        await expect(page.getByLabel(MOTIVATION)).toHaveValue(BASE);
        await expectSaved(page);
        pages.push(page);
      }
      const [onA, onB] = pages as [(typeof pages)[0], (typeof pages)[0]];
      proxy.setOffline(true);
      await onB.getByLabel(MOTIVATION).fill(ON_B);
      await onA.getByLabel(MOTIVATION).fill(ON_A);
      await expectSaved(onA);
      proxy.setOffline(false);

      const dialog = onB.getByRole('alertdialog');
      const overlap = dialog.getByRole('region', { name: `Overlap in ${MOTIVATION}` });
      await expect(overlap).toContainText('one, A');
      await expect(overlap).toContainText('one, B');
      await expect(overlap).not.toContainText('three, A');
      // What each button saves, in full.
      const saves = dialog.getByRole('region', { name: 'What each button saves' });
      const choice = button.startsWith('Overwrite') ? 'overwrite' : 'refresh';
      await expect(saves.locator(`pre[data-choice="${choice}"]`)).toHaveText(expected);
      await dialog.getByRole('button', { name: button }).click();
      await expect(dialog).toBeHidden();
      await expectSaved(onB);
      await expect(onB.getByLabel(MOTIVATION)).toHaveValue(expected);
      expect((await serverSection(user, planId, KEY))?.data.motivation).toBe(expected);
      await a.close();
      await b.close();
      await proxy.close();
    });
  }
