// worker/adapters/web-locks.ts on the browser's real Web Locks, in the app's origin: the writer
// lock excludes (R19: one writer per user at a time), and the liveness locks report a tab or a
// worker gone once its page closes. The adapter is bundled as it is and loaded into two pages of
// one browser profile; every wait is on a lock state (navigator.locks.query()), never a sleep.
import { expect, test, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import { tabLockName, writerLockName } from '../worker/protocol.ts';

declare global {
  interface Window {
    MpfsWebLocks: typeof import('../worker/adapters/web-locks.ts');
    lockLog: string[];
    releaseLock: (() => void) | undefined;
    goneLog: string[];
  }
}

let adapter = '';

test.beforeAll(async () => {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      lib: {
        entry: fileURLToPath(new URL('../worker/adapters/web-locks.ts', import.meta.url)),
        formats: ['iife'],
        name: 'MpfsWebLocks',
      },
    },
  })) as Rolldown.RolldownOutput[];
  const chunk = output[0]?.output[0];
  if (!chunk || chunk.type !== 'chunk') throw new Error('vite built no chunk for web-locks.ts');
  adapter = chunk.code;
});

/** A page of the app's origin (a plain endpoint: the app itself would take locks of its own). */
async function originPage(page: Page) {
  await page.goto('/health');
  await page.addScriptTag({ content: adapter });
  await page.evaluate(() => {
    window.lockLog = [];
    window.goneLog = [];
  });
}

const held = (page: Page, name: string) =>
  page.evaluate(
    async (lock) => ((await navigator.locks.query()).held ?? []).some((l) => l.name === lock),
    name,
  );
const pending = (page: Page, name: string) =>
  page.evaluate(
    async (lock) => ((await navigator.locks.query()).pending ?? []).some((l) => l.name === lock),
    name,
  );

test('withWebLock: a second writer waits until the first one is done (R19)', async ({
  context,
}) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await originPage(a);
  await originPage(b);
  const name = writerLockName(`user-${Date.now()}`);
  const runWriter = (page: Page, who: string) =>
    page.evaluate(
      ([lock, me]) => {
        void window.MpfsWebLocks.withWebLock(navigator.locks, lock, async () => {
          window.lockLog.push(`${me} in`);
          await new Promise<void>((resolve) => (window.releaseLock = resolve));
          window.lockLog.push(`${me} out`);
          return me;
        });
      },
      [name, who] as const,
    );

  await runWriter(a, 'a');
  await expect.poll(() => a.evaluate(() => window.lockLog)).toEqual(['a in']);
  await runWriter(b, 'b');
  // b's request is queued behind a's hold: it is pending and has not run.
  await expect.poll(() => pending(b, name)).toBe(true);
  expect(await b.evaluate(() => window.lockLog)).toEqual([]);

  await a.evaluate(() => window.releaseLock?.());
  await expect.poll(() => b.evaluate(() => window.lockLog)).toEqual(['b in']);
  expect(await a.evaluate(() => window.lockLog)).toEqual(['a in', 'a out']);
  await b.evaluate(() => window.releaseLock?.());
  await expect.poll(() => held(b, name)).toBe(false);
});

test('withWebLock resolves with the task result and releases the lock when the task fails', async ({
  page,
}) => {
  await originPage(page);
  const name = writerLockName(`user-result-${Date.now()}`);
  const outcome = await page.evaluate(async (lock) => {
    const { withWebLock } = window.MpfsWebLocks;
    const value = await withWebLock(navigator.locks, lock, async () => 42);
    const failure = await withWebLock(navigator.locks, lock, async () => {
      throw new Error('save failed');
    }).catch((error: unknown) => String(error));
    // Free again: an ifAvailable request gets it at once.
    const free = await navigator.locks.request(lock, { ifAvailable: true }, (l) => l !== null);
    return { value, failure, free };
  }, name);
  expect(outcome).toEqual({ value: 42, failure: 'Error: save failed', free: true });
});

test('WebLocksLiveness: a worker and a tab are reported gone when their page closes', async ({
  context,
}) => {
  const [owner, watcher] = [await context.newPage(), await context.newPage()];
  await originPage(owner);
  await originPage(watcher);
  const workerId = `w-${Date.now()}`;
  const tabId = `t-${Date.now()}`;
  const tabLock = tabLockName(tabId);
  await owner.evaluate(
    ([worker, lock]) => {
      new window.MpfsWebLocks.WebLocksLiveness().holdWorker(worker);
      // What a tab does before its hello (worker/protocol.ts): hold its lock for its whole life.
      void navigator.locks.request(lock, () => new Promise<never>(() => {}));
    },
    [workerId, tabLock] as const,
  );
  await expect.poll(() => held(watcher, tabLock)).toBe(true);
  expect(
    await watcher.evaluate(
      (worker) => new window.MpfsWebLocks.WebLocksLiveness().isWorkerAlive(worker),
      workerId,
    ),
  ).toBe(true);

  await watcher.evaluate(
    ([worker, tab]) => {
      const liveness = new window.MpfsWebLocks.WebLocksLiveness();
      void liveness.whenWorkerGone(worker).then(() => window.goneLog.push('worker'));
      liveness.watchTab(tab, () => window.goneLog.push('tab'));
      // A watch that is cancelled never fires.
      const cancel = liveness.watchTab(tab, () => window.goneLog.push('cancelled watch'));
      cancel();
    },
    [workerId, tabId] as const,
  );
  await expect.poll(() => pending(watcher, tabLock)).toBe(true);
  expect(await watcher.evaluate(() => window.goneLog)).toEqual([]);

  await owner.close();
  await expect
    .poll(() => watcher.evaluate(() => [...window.goneLog].sort()))
    .toEqual(['tab', 'worker']);
  expect(
    await watcher.evaluate(
      (worker) => new window.MpfsWebLocks.WebLocksLiveness().isWorkerAlive(worker),
      workerId,
    ),
  ).toBe(false);
});
