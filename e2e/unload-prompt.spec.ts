// B1 (docs/durability.md): leaving the page asks first only while an edit exists nowhere but in
// the tab's memory (typed, not yet acknowledged by the worker, so not in IndexedDB).
import type { Page } from '@playwright/test';
import { startFaultProxy } from './fault-proxy.ts';
import {
  BASE_URL,
  createPlan,
  createUser,
  expect,
  openSection,
  saveStatus,
  signIn,
  test,
} from './fixtures.ts';

const FIELD = 'Why do you want to start this business?';

/** Closes the page running its beforeunload; answers whether the browser asked first. */
async function closeAsked(page: Page, stay: boolean): Promise<boolean> {
  let asked = false;
  page.once('dialog', (dialog) => {
    asked = dialog.type() === 'beforeunload';
    void (stay ? dialog.dismiss() : dialog.accept());
  });
  const closed = page.waitForEvent('close').then(() => true);
  await page.close({ runBeforeUnload: true });
  // Stayed: the page is still open once the dialog was answered.
  if (stay) await expect.poll(() => asked).toBe(true);
  else await closed;
  return asked;
}

/**
 * Holds a readwrite transaction on the worker's stores from the page (same origin, same
 * IndexedDB), so the worker's next write, and with it the edit's acknowledgement (R3), waits.
 */
async function holdWorkerWrites(page: Page) {
  await page.evaluate(
    () =>
      new Promise<void>((held, failed) => {
        const open = indexedDB.open('mpfs-sync');
        open.onerror = () => failed(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['snapshots', 'outbox'], 'readwrite');
          const store = tx.objectStore('outbox');
          const w = window as unknown as { __releaseWrites?: boolean };
          // A transaction stays open while it has requests: keep asking until released.
          const spin = () => {
            if (w.__releaseWrites) return;
            store.count().onsuccess = spin;
          };
          spin();
          tx.oncomplete = () => db.close();
          held();
        };
      }),
  );
}

test('no question when every edit is durable: saved, or on the device while offline', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const proxy = await startFaultProxy(BASE_URL);
  const device = await browser.newContext({ baseURL: proxy.url });
  try {
    const login = await device.newPage();
    await signIn(login, user);
    await login.close();
    const page = await openSection(device, planId);
    await page.getByLabel(FIELD).pressSequentially('saved');
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
    expect(await closeAsked(page, false), 'saved: no question').toBe(false);

    const offline = await openSection(device, planId);
    proxy.setOffline(true);
    await offline.getByLabel(FIELD).pressSequentially(' and offline');
    await expect(saveStatus(offline)).toHaveAttribute('data-state', 'saved-locally', {
      timeout: 15_000,
    });
    expect(await closeAsked(offline, false), 'on the device: no question').toBe(false);
  } finally {
    await device.close();
    await proxy.close();
  }
});

test('asks while an edit is in the tab alone, and not once the worker has it', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const device = await browser.newContext();
  try {
    const login = await device.newPage();
    await signIn(login, user);
    await login.close();
    const page = await openSection(device, planId);
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved');
    await holdWorkerWrites(page);
    await page.getByLabel(FIELD).pressSequentially('only in this tab');
    expect(await closeAsked(page, true), 'not yet acknowledged: asks').toBe(true);
    await expect(page.getByLabel(FIELD)).toHaveValue('only in this tab');

    await page.evaluate(() => {
      (window as unknown as { __releaseWrites?: boolean }).__releaseWrites = true;
    });
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
    expect(await closeAsked(page, false), 'acknowledged and saved: no question').toBe(false);
  } finally {
    await device.close();
  }
});
