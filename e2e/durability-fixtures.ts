// Helpers for the durability and fault suites: a device behind its own fault proxy, with the
// app's test hooks on (window.__mpfsSync), and the backoff schedule the engine promises.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { BASE_URL, createPlan, createUser, openSection, signIn, type User } from './fixtures.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';

export const FIELD = 'Why do you want to start this business?';

/** Turns on the app's test hooks (and, if asked, the no-SharedWorker fallback) in a context. */
export async function withTestHooks(context: BrowserContext, sync?: 'dedicated') {
  await context.addInitScript((mode) => {
    localStorage.setItem('mpfs-test-hooks', '1');
    if (mode) localStorage.setItem('mpfs-sync', mode);
  }, sync);
}

/** A device (own context) that reaches the server only through its own fault proxy. */
export async function deviceBehindProxy(
  browser: Browser,
  user: User,
  sync?: 'dedicated',
): Promise<{ context: BrowserContext; proxy: FaultProxy }> {
  const proxy = await startFaultProxy(BASE_URL);
  const context = await browser.newContext({ baseURL: proxy.url });
  await withTestHooks(context, sync);
  const page = await context.newPage();
  await signIn(page, user);
  await page.close();
  return { context, proxy };
}

interface Hooks {
  durability(): Promise<{ durableMs: number[]; writes: number }>;
  terminateWorker(): Promise<boolean>;
  workerId(): Promise<string | null>;
  transport: string;
}

export const hooks = {
  durability: (page: Page) =>
    page.evaluate(() => (window as unknown as { __mpfsSync: Hooks }).__mpfsSync.durability()),
  terminate: (page: Page) =>
    page.evaluate(() => (window as unknown as { __mpfsSync: Hooks }).__mpfsSync.terminateWorker()),
  workerId: (page: Page) =>
    page.evaluate(() => (window as unknown as { __mpfsSync: Hooks }).__mpfsSync.workerId()),
  transport: (page: Page) =>
    page.evaluate(() => (window as unknown as { __mpfsSync?: Hooks }).__mpfsSync?.transport),
};

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A test body on one device behind its own fault proxy, opened on a new plan's first section. */
export function onDevice(
  body: (device: {
    page: Page;
    proxy: FaultProxy;
    user: User;
    planId: string;
    context: BrowserContext;
  }) => Promise<void>,
  sync?: 'dedicated',
) {
  return async ({ browser }: { browser: Browser }) => {
    const user = await createUser();
    const planId = await createPlan(user);
    const { context, proxy } = await deviceBehindProxy(browser, user, sync);
    try {
      await body({ page: await openSection(context, planId), proxy, user, planId, context });
    } finally {
      await context.close();
      await proxy.close();
    }
  };
}
