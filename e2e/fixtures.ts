// Helpers for the browser suites: users and plans made through the public API, devices
// (browser contexts) signed in through the login page, and the server's test-only save counter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  expect,
  test as base,
  type Browser,
  type BrowserContext,
  type Page,
} from '@playwright/test';
import { decodeJwt } from 'jose';

export const BASE_URL = process.env.E2E_BASE_URL ?? 'http://localhost:54321';

export interface User {
  email: string;
  password: string;
  accessToken: string;
}

let counter = 0;
export async function createUser(): Promise<User> {
  const email = `qa-${Date.now()}-${process.pid}-${counter++}@example.com`;
  const password = 'correct horse battery';
  const res = await fetch(`${BASE_URL}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { access_token: string };
  return { email, password, accessToken: body.access_token };
}

export async function api(user: User, path: string, init: RequestInit = {}) {
  const res = await fetch(`${BASE_URL}/functions/v1/${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${user.accessToken}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function createPlan(user: User, title = 'E2E plan'): Promise<string> {
  const res = await api(user, 'business-plans', {
    method: 'POST',
    body: JSON.stringify({ title }),
  });
  expect(res.status).toBe(201);
  return (res.body.data as { id: string }).id;
}

export async function serverSection(user: User, planId: string, key: string) {
  const res = await api(user, `plan-sections/${key}?planId=${planId}`);
  return res.status === 200
    ? (res.body.data as { data: Record<string, unknown>; version: number })
    : null;
}

/**
 * The header the server's test hooks need (docs/testing.md §5): the secret it writes to
 * DATA_DIR/test-hooks-secret at each start, or E2E_TEST_HOOKS_SECRET for a server run elsewhere.
 */
export function testHooksHeaders(): Record<string, string> {
  const secret =
    process.env.E2E_TEST_HOOKS_SECRET ??
    readFileSync(join(process.env.E2E_DATA_DIR ?? '.data', 'test-hooks-secret'), 'utf8').trim();
  return { 'x-test-hooks-secret': secret };
}

/**
 * Expires the user's access tokens at the server (test hook, TEST_HOOKS=1; docs/testing.md §10):
 * only this user's, so tests running alongside keep their sessions.
 */
export async function revokeAccessTokens(user: User) {
  const { sub } = decodeJwt(user.accessToken);
  const res = await fetch(`${BASE_URL}/__test/revoke-access-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...testHooksHeaders() },
    body: JSON.stringify({ userId: sub }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** PUTs the server received for one section (test hook, on only with TEST_HOOKS=1). */
export async function putCount(planId: string, key: string): Promise<number> {
  const res = await fetch(`${BASE_URL}/__test/stats`, { headers: testHooksHeaders() });
  const stats = (await res.json()) as { puts: Record<string, number> };
  return stats.puts[`${planId}/${key}`] ?? 0;
}

export async function signIn(page: Page, user: User) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/plans$/);
}

/** A device: its own browser context (own SharedWorker, own IndexedDB), signed in once. */
export async function openDevice(browser: Browser, user: User): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user);
  await page.close();
  return context;
}

export async function openSection(context: BrowserContext, planId: string, key = 'section-one') {
  const page = await context.newPage();
  await page.goto(`/plans/${planId}/${key}`);
  await expect(page.locator('main').getByRole('textbox').first()).toBeVisible();
  return page;
}

export const saveStatus = (page: Page) => page.getByTestId('save-status');

export async function expectSaved(page: Page, timeout = 15_000) {
  await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved', { timeout });
}

export const test = base;
export { expect };
