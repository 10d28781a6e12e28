// Accessibility (docs/testing.md): axe finds no violation on the sign-in page, the plans page,
// every section and the conflict dialog, in the light and the dark theme.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  saveStatus,
  signIn,
  test,
} from './fixtures.ts';

const SECTION_KEYS = [
  'section-one',
  'section-two',
  'section-three',
  'section-four',
  'section-five',
] as const;

/** Every violation, one line each, so a failure says what to fix and where. */
async function expectNoViolations(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const lines = violations.flatMap((v) =>
    v.nodes.map(
      (n) => `${v.id} (${v.impact ?? '?'}): ${n.target.join(' ')} — ${n.failureSummary ?? v.help}`,
    ),
  );
  expect(lines, `${what}: axe violations`).toEqual([]);
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test('sign in, plans and every section have no axe violation', async ({ page }) => {
      await page.emulateMedia({ colorScheme });
      await page.goto('/login');
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await expectNoViolations(page, '/login');

      const user = await createUser();
      const planId = await createPlan(user, 'Bakery on the corner');
      await signIn(page, user);
      await expect(page.getByRole('link', { name: 'Bakery on the corner' })).toBeVisible();
      await expectNoViolations(page, '/plans');

      for (const key of SECTION_KEYS) {
        await page.goto(`/plans/${planId}/${key}`);
        await expect(page.locator('main').getByRole('textbox').first()).toBeVisible();
        await expectSaved(page);
        await expect(page.getByTestId('plan-title')).toHaveText('Bakery on the corner');
        await expectNoViolations(page, key);
      }
    });

    test('the conflict dialog has no axe violation', async ({ browser }) => {
      const user = await createUser();
      const planId = await createPlan(user);
      const laptop = await openDevice(browser, user);
      const phone = await openDevice(browser, user);
      const onLaptop = await openSection(laptop, planId);
      const onPhone = await openSection(phone, planId);
      await onPhone.emulateMedia({ colorScheme });
      const field = 'Why do you want to start this business?';
      await onLaptop.getByLabel(field).fill('from the laptop');
      await expectSaved(onLaptop);
      await onPhone.getByLabel(field).fill('from the phone');
      await expect(saveStatus(onPhone)).toHaveAttribute('data-state', 'conflict');
      await expect(onPhone.getByRole('alertdialog')).toBeVisible();
      await expectNoViolations(onPhone, 'conflict dialog');
      await laptop.close();
      await phone.close();
    });
  });
}
