// R21 in the browser: the worker dies at a tab switch. The author types in tab 1, the worker is
// killed as the last keystroke leaves, and the author types in tab 2 at once. The tabs resend what
// the dead worker never answered; each resent edit carries what it was typed on, so it merges with
// tab 2's words or reaches the author as a conflict — it never silently replaces them.
import { FIELD, hooks, onDevice } from './durability-fixtures.ts';
import { expect, saveStatus, serverSection, test } from './fixtures.ts';

const ROUNDS = 4;

test(
  'R21: a worker killed at a tab switch loses no text silently',
  onDevice(async ({ page, context, user, planId }) => {
    const tab1 = page;
    const tab2 = await context.newPage();
    await tab2.goto(`/plans/${planId}/section-one`);
    await expect(tab2.getByLabel(FIELD)).toBeVisible();
    let conflicts = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const one = ` r${round} tab one`;
      const two = ` r${round} tab two`;
      const before = await tab1.getByLabel(FIELD).inputValue();
      await tab1.getByLabel(FIELD).press('End');
      await tab1.getByLabel(FIELD).pressSequentially(one);
      // Killed as the last keystroke leaves; tab 2 types at once.
      const killed = hooks.terminate(tab1);
      await tab2.getByLabel(FIELD).press('End');
      await tab2.getByLabel(FIELD).pressSequentially(two);
      await killed;
      // Both tabs end saved, or the author is asked (a conflict shown in the tab that typed last).
      await expect(saveStatus(tab2)).toHaveAttribute('data-state', /^(saved|conflict)$/, {
        timeout: 20_000,
      });
      const dialog = tab2.getByRole('alertdialog');
      if ((await saveStatus(tab2).getAttribute('data-state')) === 'conflict') {
        conflicts += 1;
        // Nothing is lost: between the sides the author is offered (one clash after another), both
        // tabs' words are there; Keep Mine each time, and the server ends with what it said.
        let offered = '';
        let saves = '';
        while ((await saveStatus(tab2).getAttribute('data-state')) === 'conflict') {
          await expect(dialog).toBeVisible();
          offered += await dialog.innerText();
          saves = await dialog.locator('pre[data-choice="overwrite"]').innerText();
          await dialog.getByRole('button', { name: 'Overwrite (Keep Mine)' }).click();
          await expect(saveStatus(tab2)).toHaveAttribute('data-state', /^(saved|conflict)$/, {
            timeout: 20_000,
          });
        }
        expect(offered).toContain(two.trim());
        expect(offered).toContain(one.trim());
        expect((await serverSection(user, planId, 'section-one'))?.data.motivation).toBe(saves);
        continue;
      }
      await expect(saveStatus(tab1)).toHaveAttribute('data-state', 'saved', { timeout: 20_000 });
      const server = String((await serverSection(user, planId, 'section-one'))?.data.motivation);
      // Saved without a dialog: every word of both tabs is on the server.
      expect(server.startsWith(before.trimEnd()) || server.includes(before.trim())).toBe(true);
      expect(server).toContain(two.trim());
      expect(server).toContain(one.trim());
    }
    console.log(`worker death at a tab switch: ${ROUNDS} rounds, ${conflicts} asked the author`);
  }),
);
