// R24 (docs/single-writer.md): the section navigation shows each section's own status, fed by the
// worker for every section open in any tab of the profile, not only the one shown here.
import { createPlan, createUser, expect, openDevice, openSection, test } from './fixtures.ts';

/** Longer than the test: the save window ends only by the flush. */
const TEST_WINDOW_MS = 60_000;

for (const mode of ['shared', 'dedicated'] as const)
  test(`${mode} worker: another tab's edit of another section shows in this tab's navigation, then saved`, async ({
    browser,
  }) => {
    const user = await createUser();
    const planId = await createPlan(user);
    const device = await openDevice(browser, user);
    await device.addInitScript(
      ({ ms, mode }) => {
        localStorage.setItem('mpfs-test-hooks', '1');
        localStorage.setItem('mpfs-test-debounce-ms', String(ms));
        // The fallback without SharedWorker: one tab's dedicated worker, the others over the bus.
        if (mode === 'dedicated') localStorage.setItem('mpfs-sync', 'dedicated');
      },
      { ms: TEST_WINDOW_MS, mode },
    );
    const here = await openSection(device, planId, 'section-one');
    const there = await openSection(device, planId, 'section-two');
    const nav = here.getByRole('navigation', { name: 'Plan sections' });
    // The current section is marked, and says its own status.
    await expect(nav.getByRole('link', { name: 'Reflection — saved' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    await expect(nav.getByRole('link', { name: 'The business — saved' })).toBeVisible();
    // A section open nowhere says nothing.
    await expect(nav.getByRole('link', { name: 'Market', exact: true })).toBeVisible();

    await there.locator('main').getByRole('textbox').first().fill('typed in the other tab');
    await expect(nav.getByRole('link', { name: 'The business — unsaved edits' })).toBeVisible();
    await expect(nav.getByTestId('nav-section-two')).toContainText('unsaved edits');

    // Leaving the other page flushes its window (R14): saved, here too.
    await there.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide')));
    await expect(nav.getByRole('link', { name: 'The business — saved' })).toBeVisible({
      timeout: 15_000,
    });
    // Closed everywhere and saved: nothing to say any more.
    await there.close();
    await expect(nav.getByRole('link', { name: 'The business', exact: true })).toBeVisible({
      timeout: 15_000,
    });
    await device.close();
  });
