// Many tabs of one browser profile: one writer, one save per debounce window, one value for all.
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  putCount,
  serverSection,
  test,
} from './fixtures.ts';
import { SAVE_DEBOUNCE_MS } from '../worker/engine/constants.ts';

const FIELD = 'Why do you want to start this business?';
const LABELS = [FIELD, 'What worries you most?', 'What does success look like for you?'];

test('three tabs typing in one debounce window make one PUT', async ({ browser, browserName }) => {
  test.fixme(
    browserName === 'firefox',
    'Playwright over BiDi fills too slowly for three fills to land in half a debounce window; needs a test-only debounce setting',
  );
  const user = await createUser();
  const planId = await createPlan(user);
  const device = await openDevice(browser, user);
  const tabs = await Promise.all([0, 1, 2].map(() => openSection(device, planId)));

  let puts = 0;
  for (const word of ['first', 'second']) {
    // fill() is one edit per tab, sent together. The test is about edits inside one window, so
    // it checks that premise: when the three fills took more than half the debounce (a loaded
    // machine), they may have straddled two windows, and the round is typed again (max 3).
    for (let round = 1; ; round++) {
      const started = Date.now();
      await Promise.all(
        tabs.map((tab, i) => tab.getByLabel(LABELS[i]!).fill(`${word} from tab ${i}`)),
      );
      const oneWindow = Date.now() - started < SAVE_DEBOUNCE_MS / 2;
      for (const tab of tabs) await expectSaved(tab);
      const now = await putCount(planId, 'section-one');
      if (oneWindow) {
        expect(now - puts, `${word}: one window, one PUT`).toBe(1);
        puts = now;
        break;
      }
      puts = now;
      expect(round, 'the three fills never fit in half a debounce window').toBeLessThan(3);
      // Type something else first, so the next round's fills are edits again.
      await Promise.all(tabs.map((tab, i) => tab.getByLabel(LABELS[i]!).fill(`retype ${round}`)));
      for (const tab of tabs) await expectSaved(tab);
      puts = await putCount(planId, 'section-one');
    }
  }
  const saved = await serverSection(user, planId, 'section-one');
  expect(saved?.data).toMatchObject({
    motivation: 'second from tab 0',
    concerns: 'second from tab 1',
    success: 'second from tab 2',
  });
  expect(saved?.version).toBe(puts);
  await device.close();
});

test('ten tabs typing into one field converge on one value', async ({ browser, browserName }) => {
  test.fixme(
    browserName === 'firefox',
    'Playwright over BiDi: key input to tabs behind the front one never arrives (pressSequentially waits out the test)',
  );
  const user = await createUser();
  const planId = await createPlan(user);
  const device = await openDevice(browser, user);
  const tabs = [];
  for (let i = 0; i < 10; i++) tabs.push(await openSection(device, planId));

  await Promise.all(
    tabs.map((tab, i) => tab.getByLabel(FIELD).pressSequentially(`t${i}`, { delay: 5 })),
  );
  for (const tab of tabs) await expectSaved(tab);
  const saved = await serverSection(user, planId, 'section-one');
  const value = saved?.data.motivation;
  expect(typeof value).toBe('string');
  for (const tab of tabs) await expect(tab.getByLabel(FIELD)).toHaveValue(value as string);
  await device.close();
});
