// The walking skeleton's user journey: account → plan → two tabs → type → saved → reload.
import type { Page } from '@playwright/test';
import { expect, expectSaved, saveStatus, test } from './fixtures.ts';

async function recordStates(page: Page) {
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid="save-status"]');
    const states: string[] = [el?.getAttribute('data-state') ?? '?'];
    (window as unknown as { __states: string[] }).__states = states;
    new MutationObserver(() => {
      const state = el?.getAttribute('data-state') ?? '?';
      if (states.at(-1) !== state) states.push(state);
    }).observe(el!, { attributes: true, attributeFilter: ['data-state'] });
  });
}
const states = (page: Page) =>
  page.evaluate(() => (window as unknown as { __states: string[] }).__states);

test('a new user creates a plan, edits it in two tabs and finds it after a reload', async ({
  page,
  context,
}) => {
  const email = `journey-${Date.now()}@example.com`;
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/plans$/);

  await page.getByLabel('Plan title').fill('Bakery on the corner');
  await page.getByRole('button', { name: 'New plan' }).click();
  await expect(page).toHaveURL(/\/plans\/[0-9a-f-]+\/section-one$/);
  await expect(page.locator('main').getByRole('textbox')).toHaveCount(5);
  await expectSaved(page);
  // A link per section in the navigation; the header names the plan and leads back or out.
  await expect(page.getByRole('navigation').getByRole('link')).toHaveCount(5);
  const header = page.getByRole('banner');
  await expect(header.getByRole('link', { name: 'All plans' })).toBeVisible();
  await expect(header.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(header.getByTestId('plan-title')).toHaveText('Bakery on the corner');
  await expect(page.getByTestId('section-progress')).toHaveText('0 of 5 filled');

  const second = await context.newPage();
  await second.goto(page.url());
  await expect(second.locator('main').getByRole('textbox').first()).toBeVisible();
  await recordStates(page);

  const field = page.getByLabel('Why do you want to start this business?');
  const mirror = second.getByLabel('Why do you want to start this business?');
  await field.pressSequentially('Fresh bread', { delay: 20 });
  // The other tab follows while the author types, before any save round trip.
  await expect(mirror).toHaveValue('Fresh bread');
  await expectSaved(page);
  await expectSaved(second);
  // pending → saving → saved; on a loaded machine the typing may span more than one debounce
  // window, which repeats pending → saving (reaching saved in between or not, as the save and the
  // next keystroke race) before the final saved, in that order only.
  expect((await states(page)).join(',')).toMatch(
    /^saved(,pending,saving(,saved)?)*,pending,saving,saved$/,
  );

  const unicode = 'Café ☕ — שלום — e\u0301 — 👩‍🍳';
  await page.getByLabel('What worries you most?').fill(unicode);
  await expectSaved(page);

  // The status says when the last save was confirmed, in a polite live region; typing kept focus.
  await expect(saveStatus(page)).toHaveText(/^Saved · \d{2}:\d{2}$/);
  await expect(saveStatus(page)).toHaveAttribute('role', 'status');
  await expect(saveStatus(page)).toHaveAttribute('aria-live', 'polite');
  await expect(page.getByLabel('What worries you most?')).toBeFocused();
  await expect(page.getByTestId('section-progress')).toHaveText('2 of 5 filled');

  await page.reload();
  await expect(page.getByLabel('Why do you want to start this business?')).toHaveValue(
    'Fresh bread',
  );
  await expect(page.getByLabel('What worries you most?')).toHaveValue(unicode);
  await expect(saveStatus(page)).toHaveText(/^Saved · \d{2}:\d{2}$/);

  // The plan is listed by its title and leads back to the editor.
  await page.goto('/plans');
  await page.getByRole('link', { name: 'Bakery on the corner' }).click();
  await expect(page.getByLabel('Why do you want to start this business?')).toHaveValue(
    'Fresh bread',
  );
});
