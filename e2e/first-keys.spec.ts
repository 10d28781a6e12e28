// The first keystrokes in a just-opened editor (R1, R2, R3): typed the moment the field shows,
// while the open's answer, the worker's first views (saved → pending → saving → saved, a 1 ms
// test save window) and another window's patches are still arriving, every character stays in
// the field and reaches the server. Chromium's CPU is throttled so the tab lags its worker.
import type { Page } from '@playwright/test';
import { FIELD, withTestHooks } from './durability-fixtures.ts';
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  serverSection,
  test,
} from './fixtures.ts';

/** Rounds per way of typing; MPFS_FIRST_KEYS_ROUNDS=20 makes it a stress run. */
const ROUNDS = Number(process.env.MPFS_FIRST_KEYS_ROUNDS ?? 3);

/** Types `token` at the end of the field as soon as it can take keys (real key presses). */
async function typeAtOnce(page: Page, token: string) {
  const field = page.getByLabel(FIELD);
  await field.focus();
  // Control+End: a wrapped textarea's End stops at the end of the visual line.
  await page.keyboard.press('Control+End');
  await page.keyboard.type(token);
}

test('keys typed the moment a section opens are all kept, in the field and on the server', async ({
  browser,
  browserName,
}) => {
  test.setTimeout(90_000);
  const user = await createUser();
  const planId = await createPlan(user);
  const device = await openDevice(browser, user);
  await withTestHooks(device);
  // A save starts right after each edit, so views keep arriving while the next keys go in.
  await device.addInitScript(() => localStorage.setItem('mpfs-test-debounce-ms', '1'));
  // Counts the field elements each page showed: a remount while typing would send keys to a
  // detached element.
  await device.addInitScript(() => {
    const seen = new Set<Element>();
    const w = window as unknown as { __fieldMounts: () => number };
    w.__fieldMounts = () => seen.size;
    new MutationObserver(() => {
      const el = document.getElementById('field-motivation');
      if (el) seen.add(el);
    }).observe(document, { childList: true, subtree: true });
  });
  // The section already has saved text when the windows below open it.
  const first = await openSection(device, planId);
  await first.getByLabel(FIELD).fill('saved before');
  await expectSaved(first);

  let expected = 'saved before';
  const check = async (page: Page, round: string) => {
    await expect(page.getByLabel(FIELD), `${round}: the field`).toHaveValue(expected);
    // Every edit saved, also when the saved view came before the edits' answers.
    await expectSaved(page);
    expect(
      await page.evaluate(() =>
        (window as unknown as { __fieldMounts: () => number }).__fieldMounts(),
      ),
      `${round}: one field element`,
    ).toBe(1);
    expect((await serverSection(user, planId, 'section-one'))?.data.motivation, round).toBe(
      expected,
    );
  };

  for (let round = 0; round < ROUNDS; round++) {
    // Odd rounds: the first window stays open (the new one joins a section the worker holds,
    // and gets its own keys back from nobody); even rounds: it is the only window.
    const alone = round % 2 === 0;
    if (alone) await first.goto('/plans');
    const page = await device.newPage();
    // Throttling is a Chromium (CDP) feature; other engines type at their own pace.
    if (browserName === 'chromium')
      await (await device.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await page.goto(`/plans/${planId}/section-one`);
    const token = ` key-round-${round}`;
    await typeAtOnce(page, token);
    expected += token;
    await check(page, `round ${round} (real keys${alone ? ', one window' : ''})`);
    await page.close();
    if (alone) await first.goto(`/plans/${planId}/section-one`);
  }

  for (let round = 0; round < ROUNDS; round++) {
    // Input events dispatched from the page itself, from the first frame the field exists in:
    // no test-runner round trip between the field appearing and the first character.
    const page = await device.newPage();
    const token = ` early-round-${round}`;
    await page.addInitScript(
      ({ id, text }) => {
        const setValue = Object.getOwnPropertyDescriptor(
          HTMLTextAreaElement.prototype,
          'value',
        )!.set!;
        const typeInto = (el: HTMLTextAreaElement) => {
          let i = 0;
          const next = () => {
            if (i >= text.length) return;
            setValue.call(el, el.value + text[i++]);
            el.dispatchEvent(new Event('input', { bubbles: true }));
            // Spread over tasks, so the worker's answers and views land between characters.
            setTimeout(next, i % 3 === 0 ? 1 : 0);
          };
          next();
        };
        const observer = new MutationObserver(() => {
          const el = document.getElementById(id);
          if (el instanceof HTMLTextAreaElement) {
            observer.disconnect();
            typeInto(el);
          }
        });
        observer.observe(document, { childList: true, subtree: true });
      },
      { id: 'field-motivation', text: token },
    );
    await page.goto(`/plans/${planId}/section-one`);
    expected += token;
    await check(page, `round ${round} (input events from the first frame)`);
    await page.close();
  }

  await first.reload();
  await expect(first.getByLabel(FIELD)).toHaveValue(expected);
  await device.close();
});
