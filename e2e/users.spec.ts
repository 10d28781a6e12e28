// One browser profile, two people: what is on the device belongs to the user signed in. A's
// unsaved draft never shows to B, B's typing never lands in A's plan, A's draft is saved when A
// is back; signing out reaches the worker from any page, works offline, and ends the session at
// the server once it can be reached.
import type { Page } from '@playwright/test';
import { FIELD, deviceBehindProxy } from './durability-fixtures.ts';
import { tokenDigest } from './fault-proxy.ts';
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
  serverSection,
  test,
  type User,
} from './fixtures.ts';

const NOT_AVAILABLE = "This plan isn't available to you";
const DRAFT = 'A private draft: salary 95k';
const B_TEXT = "B's own words";
/** Fails every save until told otherwise. */
const SAVES_FAIL = { status: 503, count: 1_000_000 };
const SAVES_PASS = { status: 503, count: 0 };

async function signOutFromPlans(page: Page) {
  await page.getByRole('link', { name: 'All plans' }).click();
  await expect(page).toHaveURL(/\/plans$/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** Signs in on the login page already shown (no reload: the worker keeps running). */
async function signInHere(page: Page, user: User) {
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/plans$/);
}

/** The access token supabase-js keeps for this tab's profile (null: signed out). */
const storedAccessToken = (page: Page) =>
  page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => /^sb-.*-auth-token$/.test(k));
    const raw = key ? localStorage.getItem(key) : null;
    return raw ? (JSON.parse(raw) as { access_token: string }).access_token : null;
  });

/** Every value in the page's form controls (a draft in a field isn't in the page's text). */
const fieldValues = (page: Page) =>
  page
    .locator('input, textarea')
    .evaluateAll((els) => els.map((el) => (el as HTMLInputElement).value));

const functionsStatus = async (accessToken: string) =>
  (await api({ email: '', password: '', accessToken }, 'business-plans')).status;
const userStatus = async (accessToken: string) =>
  (await fetch(`${BASE_URL}/auth/v1/user`, { headers: { authorization: `Bearer ${accessToken}` } }))
    .status;

test("A's unsaved draft never shows to B; B's typing never lands in A's plan; A's draft is saved when A is back", async ({
  browser,
}) => {
  const a = await createUser();
  const b = await createUser();
  const planA = await createPlan(a, 'Plan of A');
  const planB = await createPlan(b, 'Plan of B');
  const { context, proxy } = await deviceBehindProxy(browser, a);
  try {
    const page = await openSection(context, planA);
    proxy.fail(SAVES_FAIL);
    await page.getByLabel(FIELD).fill(DRAFT);
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved-locally');
    await signOutFromPlans(page);
    const signedOut = proxy.attempts.length;
    // Saves pass again: whatever the worker sends from here on reaches the server.
    proxy.fail(SAVES_PASS);

    await signInHere(page, b);
    await page.goto(`/plans/${planA}/section-one`);
    await expect(page.getByRole('heading', { name: NOT_AVAILABLE })).toBeVisible();
    await expect(page.locator('main').getByRole('textbox')).toHaveCount(0);
    expect(await fieldValues(page)).not.toContain(DRAFT);
    await expect(page.getByText(DRAFT)).toHaveCount(0);

    // B types in B's own plan, and it is saved there.
    await page.getByRole('link', { name: 'All plans' }).click();
    await page.getByRole('link', { name: 'Plan of B' }).click();
    await page.getByLabel(FIELD).fill(B_TEXT);
    await expectSaved(page);
    expect((await serverSection(b, planB, 'section-one'))?.data.motivation).toBe(B_TEXT);
    // Nothing went out for A's plan meanwhile: not with B's token (404), not with A's old one
    // (401: signed out), and the server has nothing of it yet.
    const saves = proxy.attempts.slice(signedOut).filter((s) => s.method === 'PUT');
    expect(saves.map((s) => s.status)).toEqual(saves.map(() => 200));
    expect(await serverSection(a, planA, 'section-one')).toBeNull();

    // A is back on this profile: A's draft is saved, under A's account, and nothing of B's.
    await signOutFromPlans(page);
    await signInHere(page, a);
    await expect
      .poll(async () => (await serverSection(a, planA, 'section-one'))?.data.motivation, {
        timeout: 20_000,
      })
      .toBe(DRAFT);
    expect(JSON.stringify((await serverSection(a, planA, 'section-one'))?.data)).not.toContain(
      B_TEXT,
    );
    expect(JSON.stringify((await serverSection(b, planB, 'section-one'))?.data)).not.toContain(
      DRAFT,
    );
    await page.goto(`/plans/${planA}/section-one`);
    await expect(page.getByLabel(FIELD)).toHaveValue(DRAFT);
    await expectSaved(page);
  } finally {
    await context.close();
    await proxy.close();
  }
});

test("sign-out from the plans page while the worker holds edits: A's token is never used again, the edits wait for A", async ({
  browser,
}) => {
  const a = await createUser();
  const planA = await createPlan(a);
  const { context, proxy } = await deviceBehindProxy(browser, a);
  try {
    const page = await openSection(context, planA);
    proxy.fail(SAVES_FAIL);
    await page.getByLabel(FIELD).fill(DRAFT);
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved-locally');
    const oldToken = await storedAccessToken(page);
    expect(oldToken).not.toBeNull();
    await signOutFromPlans(page);
    const signedOut = proxy.attempts.length;
    expect(await storedAccessToken(page)).toBeNull();

    // The network is fine again and the tab says so: the worker retries what it may retry now.
    proxy.fail(SAVES_PASS);
    await context.setOffline(true);
    await context.setOffline(false);
    // The server heard of the sign-out: that session's token is refused everywhere.
    await expect.poll(() => functionsStatus(oldToken!)).toBe(401);
    expect(await userStatus(oldToken!)).toBe(401);

    await signInHere(page, a);
    await expect
      .poll(async () => (await serverSection(a, planA, 'section-one'))?.data.motivation, {
        timeout: 20_000,
      })
      .toBe(DRAFT);
    // Nothing the worker sent after the sign-out carried the signed-out session's token.
    const old = tokenDigest(oldToken!);
    expect(proxy.attempts.slice(signedOut).filter((s) => s.token === old)).toEqual([]);
  } finally {
    await context.close();
    await proxy.close();
  }
});

test('sign-out offline: the session ends at once, stays ended after a reload, and is revoked when the network is back', async ({
  browser,
}) => {
  const a = await createUser();
  const { context, proxy } = await deviceBehindProxy(browser, a);
  try {
    const page = await context.newPage();
    await page.goto('/plans');
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    const oldToken = await storedAccessToken(page);
    expect(oldToken).not.toBeNull();

    proxy.setOffline(true);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    expect(await storedAccessToken(page)).toBeNull();
    // Offline, the server still takes the token: the revocation waits on the device.
    expect(await functionsStatus(oldToken!)).toBe(200);

    proxy.setOffline(false);
    await page.reload();
    await page.goto('/plans');
    await expect(page).toHaveURL(/\/login$/);
    await expect.poll(() => functionsStatus(oldToken!)).toBe(401);
    expect(await userStatus(oldToken!)).toBe(401);
    await expect
      .poll(() => page.evaluate(() => localStorage.getItem('mpfs-pending-logout')))
      .toBeNull();
  } finally {
    await context.close();
    await proxy.close();
  }
});

test('a foreign plan id in the address: not available, nothing shown, nothing kept', async ({
  browser,
}) => {
  const a = await createUser();
  const b = await createUser();
  const planA = await createPlan(a);
  const saved = await api(a, 'plan-sections/section-one', {
    method: 'PUT',
    body: JSON.stringify({ planId: planA, data: { motivation: 'saved by A' }, version: 0 }),
  });
  expect(saved.status).toBe(200);
  const device = await openDevice(browser, b);
  try {
    const page = await device.newPage();
    for (const planId of [planA, crypto.randomUUID()]) {
      await page.goto(`/plans/${planId}/section-one`);
      await expect(page.getByRole('heading', { name: NOT_AVAILABLE })).toBeVisible();
      await expect(page.locator('main').getByRole('textbox')).toHaveCount(0);
      expect(await fieldValues(page)).not.toContain('saved by A');
      await expect(page.getByTestId('save-status')).toHaveCount(0);
    }
    await page.getByRole('link', { name: 'All plans' }).click();
    await expect(page).toHaveURL(/\/plans$/);
    expect((await serverSection(a, planA, 'section-one'))?.version).toBe(1);
  } finally {
    await device.close();
  }
});

test('a second tab signing out sends the first tab from the editor to /login', async ({
  browser,
}) => {
  const a = await createUser();
  const planA = await createPlan(a);
  const device = await openDevice(browser, a);
  try {
    const editor = await openSection(device, planA);
    const plans = await device.newPage();
    await plans.goto('/plans');
    await plans.getByRole('button', { name: 'Sign out' }).click();
    await expect(plans).toHaveURL(/\/login$/);
    await expect(editor).toHaveURL(/\/login$/);
    await expect(editor.getByRole('textbox', { name: FIELD })).toHaveCount(0);
  } finally {
    await device.close();
  }
});

test("a tab that misses supabase's cross-tab event still leaves the editor: the worker tells it", async ({
  browser,
}) => {
  const a = await createUser();
  const planA = await createPlan(a);
  const device = await openDevice(browser, a);
  try {
    const deaf = await device.newPage();
    // This tab hears nothing on supabase-js's auth channel (named after its storage key).
    await deaf.addInitScript(() => {
      const Real = BroadcastChannel;
      window.BroadcastChannel = class extends Real {
        constructor(name: string) {
          super(name.startsWith('sb-') ? `muted-${crypto.randomUUID()}` : name);
        }
      };
    });
    await deaf.goto(`/plans/${planA}/section-one`);
    await expect(deaf.locator('main').getByRole('textbox').first()).toBeVisible();
    const plans = await device.newPage();
    await plans.goto('/plans');
    await plans.getByRole('button', { name: 'Sign out' }).click();
    await expect(plans).toHaveURL(/\/login$/);
    await expect(deaf).toHaveURL(/\/login$/);
  } finally {
    await device.close();
  }
});
