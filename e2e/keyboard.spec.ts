// Keyboard only (docs/testing.md): sign up, make a plan, fill section one, go to section two and
// sign out with no mouse — only keyboard.press and keyboard.type — and every stop the Tab key
// makes shows a visible focus ring.
import type { Locator, Page } from '@playwright/test';
import { api, expect, test, type User } from './fixtures.ts';

/** The focused element draws a visible outline (the :focus-visible styles). */
async function expectVisibleFocus(page: Page) {
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    return {
      what: `${el.tagName.toLowerCase()} ${el.getAttribute('aria-label') ?? el.textContent?.slice(0, 40) ?? ''}`,
      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
  });
  if (focus) expect(focus.outline, `visible focus on ${focus.what}`).toBe(true);
}

/** Presses `key` (Tab or Shift+Tab) until `target` has focus, checking the focus at each stop. */
async function tabTo(page: Page, target: Locator, key = 'Tab') {
  await expect(target).toBeVisible();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(key);
    await expectVisibleFocus(page);
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${key} never reached ${target.toString()}`);
}

test('sign up, new plan, section one, section two, sign out: keyboard only', async ({ page }) => {
  const email = `kbd-${Date.now()}-${process.pid}@example.com`;
  const password = 'correct horse battery';
  await page.goto('/login');

  await tabTo(page, page.getByLabel('Email'));
  await page.keyboard.type(email);
  await tabTo(page, page.getByLabel('Password'));
  await page.keyboard.type(password);
  await tabTo(page, page.getByRole('button', { name: 'Create account' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/plans$/);

  await tabTo(page, page.getByLabel('Plan title'));
  await page.keyboard.type('Keyboard bakery');
  await tabTo(page, page.getByRole('button', { name: 'New plan' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/plans\/[0-9a-f-]+\/section-one$/);
  const planId = /\/plans\/([0-9a-f-]+)\//.exec(page.url())?.[1] ?? '';

  const textboxes = page.locator('main').getByRole('textbox');
  await tabTo(page, textboxes.nth(0));
  await page.keyboard.type('I bake bread people queue for.');
  await tabTo(page, textboxes.nth(1));
  await page.keyboard.type('Early mornings.');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', {
    timeout: 15_000,
  });

  // Back up to the navigation and into section two.
  const nav = page.getByRole('navigation', { name: 'Plan sections' });
  await tabTo(page, nav.getByRole('link', { name: /^The business/ }), 'Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/section-two$/);
  await expect(page.getByRole('heading', { level: 1, name: 'The business' })).toBeVisible();
  await expect(nav.getByRole('link', { name: /^The business/ })).toHaveAttribute(
    'aria-current',
    'page',
  );

  await tabTo(page, page.getByRole('button', { name: 'Sign out' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login$/);

  // What was typed reached the server.
  const res = await fetch(`${new URL(page.url()).origin}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const user: User = {
    email,
    password,
    accessToken: ((await res.json()) as { access_token: string }).access_token,
  };
  const saved = await api(user, `plan-sections/section-one?planId=${planId}`);
  expect(saved.status).toBe(200);
  expect(Object.values((saved.body.data as { data: Record<string, unknown> }).data)).toEqual(
    expect.arrayContaining(['I bake bread people queue for.', 'Early mornings.']),
  );
});
