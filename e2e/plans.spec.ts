// The plan workflow through the UI, checked through the API (docs/testing.md §4, U7 in
// docs/durability.md): create, the list by last edit, rename reaching another tab and another
// device, delete behind a confirmation taking the sections with it and ending open editors.
import type { Page } from '@playwright/test';
import {
  BASE_URL,
  api,
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  saveStatus,
  test,
} from './fixtures.ts';

const MOTIVATION = 'Why do you want to start this business?';

/** What a page does when its window gains focus (headless pages never lose it). */
const focus = (page: Page) => page.evaluate(() => window.dispatchEvent(new Event('focus')));

const planLinks = (page: Page) => page.getByRole('list', { name: 'Your plans' }).getByRole('link');

async function apiPlans(user: Awaited<ReturnType<typeof createUser>>) {
  const res = await api(user, 'business-plans');
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; title: string; updated_at: string }>;
}

test('create, list by last edit, rename in one tab → the other tab and the other device follow', async ({
  browser,
}) => {
  const user = await createUser();
  const laptop = await openDevice(browser, user);
  const list = await laptop.newPage();
  await list.goto('/plans');
  // The empty state says what to do first.
  await expect(list.getByRole('region', { name: 'No plans yet' })).toContainText('New plan');

  await list.getByLabel('Plan title').fill('Corner bakery');
  await list.getByRole('button', { name: 'New plan' }).click();
  await expect(list).toHaveURL(/\/plans\/[0-9a-f-]+\/section-one$/);
  const bakery = /\/plans\/([0-9a-f-]+)\//.exec(list.url())![1]!;
  const cafe = await createPlan(user, 'Night café');
  await list.goto('/plans');
  // Newest edit first: the café was made after the bakery.
  await expect(planLinks(list)).toHaveText(['Night café', 'Corner bakery']);
  await expect(list.getByRole('listitem').filter({ hasText: 'Night café' })).toContainText(
    /Created \d{2}:\d{2}/,
  );

  // Editing the bakery's section in another tab moves it up once this tab looks again.
  const editor = await openSection(laptop, bakery);
  await editor.getByLabel(MOTIVATION).fill('Fresh bread at 6 am');
  await expectSaved(editor);
  expect((await apiPlans(user)).map((p) => p.id)).toEqual([bakery, cafe]);
  await focus(list);
  await expect(planLinks(list)).toHaveText(['Corner bakery', 'Night café']);
  await expect(list.getByRole('listitem').filter({ hasText: 'Corner bakery' })).toContainText(
    /Saved \d{2}:\d{2}/,
  );
  await expect(editor.getByTestId('plan-title')).toHaveText('Corner bakery');

  // The other device: its list and an open editor of the bakery.
  const phone = await openDevice(browser, user);
  const phoneList = await phone.newPage();
  await phoneList.goto('/plans');
  await expect(planLinks(phoneList)).toHaveText(['Corner bakery', 'Night café']);
  const phoneEditor = await openSection(phone, bakery);
  await expect(phoneEditor.getByTestId('plan-title')).toHaveText('Corner bakery');

  // By keyboard: Enter on Rename opens the field with the title selected; Escape cancels, nothing
  // is sent, the title stays.
  await list.getByRole('button', { name: 'Rename Night café' }).focus();
  await list.keyboard.press('Enter');
  await expect(list.getByLabel('New title')).toBeFocused();
  await list.keyboard.type('Never mind');
  await expect(list.getByLabel('New title')).toHaveValue('Never mind');
  await list.keyboard.press('Escape');
  await expect(planLinks(list)).toHaveText(['Corner bakery', 'Night café']);
  await expect(list.getByRole('button', { name: 'Rename Night café' })).toBeFocused();

  // A failed rename says so and keeps what was typed; Enter again saves it.
  let failNext = true;
  await list.route('**/functions/v1/business-plans/*', async (route) => {
    if (!failNext || route.request().method() !== 'PATCH') return route.fallback();
    failNext = false;
    await route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({
        success: false,
        error: 'SERVICE_UNAVAILABLE',
        message: 'The server is busy. Try again.',
      }),
    });
  });
  await list.getByRole('button', { name: 'Rename Corner bakery' }).click();
  const field = list.getByLabel('New title');
  await field.fill('  Bakery & café  ');
  await field.press('Enter');
  await expect(list.getByRole('alert')).toContainText('The title was not saved');
  await expect(field).toHaveValue('  Bakery & café  ');
  expect((await apiPlans(user)).find((p) => p.id === bakery)?.title).toBe('Corner bakery');
  await field.press('Enter');
  await expect(planLinks(list)).toHaveText(['Bakery & café', 'Night café']);
  await expect(list.getByRole('alert')).toHaveCount(0);
  expect((await apiPlans(user)).find((p) => p.id === bakery)?.title).toBe('Bakery & café');

  // The other tab of this device follows at once, without a reload or a focus.
  await expect(editor.getByTestId('plan-title')).toHaveText('Bakery & café');
  // The other device follows when it looks again (focus, visibility).
  await focus(phoneList);
  await expect(planLinks(phoneList)).toHaveText(['Bakery & café', 'Night café']);
  await focus(phoneEditor);
  await expect(phoneEditor.getByTestId('plan-title')).toHaveText('Bakery & café');
  // Renaming the café moves it to the top everywhere.
  await phoneList.getByRole('button', { name: 'Rename Night café' }).click();
  await phoneList.getByLabel('New title').fill('Night café & bar');
  // Leaving the field saves too.
  await phoneList.getByLabel('New title').blur();
  await expect(planLinks(phoneList)).toHaveText(['Night café & bar', 'Bakery & café']);
  expect((await apiPlans(user)).map((p) => p.title)).toEqual(['Night café & bar', 'Bakery & café']);
  await focus(list);
  await expect(planLinks(list)).toHaveText(['Night café & bar', 'Bakery & café']);

  await laptop.close();
  await phone.close();
});

test('delete asks first, takes the sections with it, and open editors elsewhere end loudly', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user, 'Food truck');
  const keep = await createPlan(user, 'Kept plan');
  const saved = await api(user, 'plan-sections/section-two', {
    method: 'PUT',
    body: JSON.stringify({ planId, data: { market: 'Office parks' }, version: 0 }),
  });
  expect(saved.status).toBe(200);

  const laptop = await openDevice(browser, user);
  const list = await laptop.newPage();
  await list.goto('/plans');
  const editor = await openSection(laptop, planId);
  const phone = await openDevice(browser, user);
  const phoneEditor = await openSection(phone, planId, 'section-two');
  await expect(phoneEditor.locator('main').getByRole('textbox').first()).toBeVisible();

  // Cancel keeps it.
  await list.getByRole('button', { name: 'Delete Food truck' }).click();
  const dialog = list.getByRole('alertdialog');
  await expect(dialog).toContainText('Delete “Food truck”?');
  await expect(dialog).toContainText('all five of its sections');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  expect((await apiPlans(user)).map((p) => p.id)).toContain(planId);

  await list.getByRole('button', { name: 'Delete Food truck' }).click();
  await list.getByRole('alertdialog').getByRole('button', { name: 'Delete plan' }).click();
  await expect(list.getByRole('alertdialog')).toHaveCount(0);
  await expect(planLinks(list)).toHaveText(['Kept plan']);
  // The Delete button left with the plan: focus goes to the page's heading, and the page says what happened.
  await expect(list.getByRole('heading', { name: 'Your plans' })).toBeFocused();
  await expect(list.getByRole('status')).toHaveText('“Food truck” was deleted.');

  // Through the API: the plan and its sections are gone.
  expect((await apiPlans(user)).map((p) => p.id)).toEqual([keep]);
  const sections = await api(user, `plan-sections?planId=${planId}`);
  expect(sections.status).toBe(404);
  expect(sections.body.error).toBe('NOT_FOUND');
  expect((await api(user, `plan-sections/section-two?planId=${planId}`)).status).toBe(404);

  // The editor in the other tab of this device ends at once (no focus, no reload), with why.
  const gone = (page: Page) =>
    page.getByRole('heading', { name: "This plan isn't available to you" });
  await expect(gone(editor)).toBeVisible();
  await expect(editor.locator('main')).toContainText('it was deleted');
  await expect(saveStatus(editor)).toHaveCount(0);
  // The other device's editor when it looks again (focus, visibility, the poll).
  await focus(phoneEditor);
  await expect(gone(phoneEditor)).toBeVisible();
  await expect(phoneEditor.locator('main')).toContainText(
    'edits here not yet saved were discarded',
  );
  // Opened again, it is the same page; the plan never comes back.
  await editor.reload();
  await expect(gone(editor)).toBeVisible();
  expect((await api(user, `plan-sections?planId=${planId}`)).status).toBe(404);

  await laptop.close();
  await phone.close();
});

test('sign out everywhere ends the sessions of every device', async ({ browser }) => {
  const user = await createUser();
  const laptop = await openDevice(browser, user);
  const phone = await openDevice(browser, user);
  const phoneList = await phone.newPage();
  await phoneList.goto('/plans');
  await expect(phoneList.getByRole('heading', { name: 'Your plans' })).toBeVisible();
  const list = await laptop.newPage();
  await list.goto('/plans');
  await list.getByText('Account').click();
  await list.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(list).toHaveURL(/\/login$/);
  // The phone's session is over at the server: its stored refresh token no longer works.
  const { refreshToken, accessToken } = await phoneList.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.endsWith('-auth-token'));
    const stored = JSON.parse(localStorage.getItem(key ?? '') ?? '{}') as {
      refresh_token?: string;
      access_token?: string;
    };
    return { refreshToken: stored.refresh_token, accessToken: stored.access_token ?? '' };
  });
  expect(refreshToken).toBeTruthy();
  await expect
    .poll(async () => {
      const res = await fetch(`${BASE_URL}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      return res.status;
    })
    .toBeGreaterThanOrEqual(400);
  // Local mode refuses an ended session's access tokens on the functions too.
  expect((await api({ ...user, accessToken }, 'business-plans')).status).toBe(401);
  await laptop.close();
  await phone.close();
});
