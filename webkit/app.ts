// The app as a WebDriver client sees it: users and plans made through the public API, a device
// (one MiniBrowser session) behind its own fault proxy, and the editor's fields and save status.
import { startFaultProxy, type FaultProxy } from '../e2e/fault-proxy.ts';
import type { Browser, Driver } from './harness.ts';

export const FIELD = 'Why do you want to start this business?';
export const CONCERNS = 'What worries you most?';

export interface User {
  email: string;
  password: string;
  accessToken: string;
}

let counter = 0;
export async function createUser(base: string): Promise<User> {
  const email = `webkit-${Date.now()}-${process.pid}-${counter++}@example.com`;
  const password = 'correct horse battery';
  const res = await fetch(`${base}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-up answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { access_token: string };
  return { email, password, accessToken: body.access_token };
}

async function api(base: string, user: User, path: string, init: RequestInit = {}) {
  const res = await fetch(`${base}/functions/v1/${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${user.accessToken}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  return { status: res.status, body: (await res.json()) as { data?: unknown } };
}

export async function createPlan(base: string, user: User): Promise<string> {
  const res = await api(base, user, 'business-plans', {
    method: 'POST',
    body: JSON.stringify({ title: 'WebKit plan' }),
  });
  if (res.status !== 201) throw new Error(`creating a plan answered ${res.status}`);
  return (res.body.data as { id: string }).id;
}

/** The section as the server stores it (null: never saved). */
export async function serverSection(base: string, user: User, planId: string, key = 'section-one') {
  const res = await api(base, user, `plan-sections/${key}?planId=${planId}`);
  return res.status === 200
    ? (res.body.data as { data: Record<string, unknown>; version: number })
    : null;
}

export interface Device {
  browser: Browser;
  proxy: FaultProxy;
  /** The app's origin for this device (its proxy). */
  url: string;
  close(): Promise<void>;
}

/**
 * A device: its own MiniBrowser, reaching the server only through its own fault proxy (its own
 * origin, so its own SharedWorker, localStorage and IndexedDB), with the app's test hooks on
 * (docs/testing.md §13), signed in. WebDriver has no init script: the hooks are set in
 * localStorage on the login page, before the editor loads.
 */
export async function openDevice(
  driver: Driver,
  base: string,
  user: User,
  settings: Record<string, string> = {},
): Promise<Device> {
  const proxy = await startFaultProxy(base);
  let browser: Browser | null = null;
  const close = async () => {
    await browser?.deleteSession().catch(() => undefined);
    await proxy.close();
  };
  try {
    browser = await driver.session();
    await browser.url(`${proxy.url}/login`);
    await browser.execute(
      (entries: Record<string, string>) => {
        for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
      },
      { 'mpfs-test-hooks': '1', ...settings },
    );
    await browser.url(`${proxy.url}/login`);
    await typeInto(browser, 'Email', user.email);
    await typeInto(browser, 'Password', user.password);
    await (await browser.$('button=Sign in')).click();
    await browser.waitUntil(async () => /\/plans$/.test(await browser!.getUrl()), {
      timeoutMsg: 'sign-in did not reach /plans',
    });
    return { browser, proxy, url: proxy.url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The form control whose label starts with `label` (waits for it: an editor reopening after a
 * worker's death shows its fields again a moment later). */
async function control(browser: Browser, label: string) {
  let element: unknown = null;
  await browser.waitUntil(
    async () =>
      (element = await browser.execute(
        (text: string) =>
          ([...document.querySelectorAll('label')].find((l) =>
            l.textContent?.trim().startsWith(text),
          )?.control as HTMLElement | undefined) ?? null,
        label,
      )) !== null,
    { timeoutMsg: `no field labelled "${label}"` },
  );
  return browser.$(element as WebdriverIO.Element);
}

/** Types `text` at the end of the field, as key presses (WebDriver Element Send Keys). */
export async function typeInto(browser: Browser, label: string, text: string) {
  // The editor may re-render its fields between the lookup and the keys (a section reopened):
  // WebDriver then refuses the stale element before typing anything, so looking again is safe.
  for (let attempt = 1; ; attempt++) {
    try {
      const field = await control(browser, label);
      await field.click();
      await field.addValue(text);
      return;
    } catch (error) {
      if (attempt >= 5 || !/stale element/i.test(String(error))) throw error;
    }
  }
}

export async function valueOf(browser: Browser, label: string): Promise<string> {
  return browser.execute(
    (text: string) =>
      (
        [...document.querySelectorAll('label')].find((l) => l.textContent?.trim().startsWith(text))
          ?.control as HTMLTextAreaElement | undefined
      )?.value ?? '',
    label,
  );
}

export async function waitForValue(browser: Browser, label: string, want: string) {
  await browser.waitUntil(async () => (await valueOf(browser, label)) === want, {
    timeoutMsg: `"${label}" never showed ${JSON.stringify(want)}`,
  });
}

export async function saveState(browser: Browser): Promise<string | null> {
  return browser.execute(
    () => document.querySelector('[data-testid="save-status"]')?.getAttribute('data-state') ?? null,
  );
}

export async function waitForState(browser: Browser, state: string, timeout = 15_000) {
  try {
    await browser.waitUntil(async () => (await saveState(browser)) === state, { timeout });
  } catch {
    // What the page shows instead, so a failure says whether the keys or the save went missing.
    const shown = await browser.execute(() => ({
      status: document.querySelector('[data-testid="save-status"]')?.textContent ?? null,
      fields: [...document.querySelectorAll('main textarea')].map(
        (t) => (t as HTMLTextAreaElement).value,
      ),
    }));
    throw new Error(
      `save-status never became "${state}" (it is "${await saveState(browser)}"); the page shows ${JSON.stringify(shown)}`,
    );
  }
}

/** Records every save-status state the current window shows from now on (statesSeen reads it). */
export async function watchStates(browser: Browser) {
  await browser.execute(() => {
    const status = document.querySelector('[data-testid="save-status"]')!;
    const seen = [status.getAttribute('data-state') ?? ''];
    (window as unknown as { __states: string[] }).__states = seen;
    new MutationObserver(() => {
      const state = status.getAttribute('data-state') ?? '';
      if (seen.at(-1) !== state) seen.push(state);
    }).observe(status, { attributes: true, attributeFilter: ['data-state'] });
  });
}

export const statesSeen = (browser: Browser) =>
  browser.execute(() => (window as unknown as { __states: string[] }).__states);

/** Opens the plan's section in the current window and waits for its fields. */
export async function openSection(device: Device, planId: string, key = 'section-one') {
  await device.browser.url(`${device.url}/plans/${planId}/${key}`);
  // Generous: a wait, not a timing check (the engine may first wait for its lock, R23).
  const shown = await device.browser
    .waitUntil(
      () =>
        device.browser.execute(() => document.querySelector('main textarea, main input') !== null),
      { timeout: 15_000 },
    )
    .then(
      () => true,
      () => false,
    );
  if (!shown) {
    const text = await device.browser.execute(() => document.body.innerText.slice(-300));
    throw new Error(`the section editor never showed its fields; the page shows: ${text}`);
  }
}

/** Opens a second window of the same browser on the section; returns its handle. */
export async function openWindow(device: Device, planId: string, key = 'section-one') {
  const { handle } = await device.browser.createWindow('window');
  await device.browser.switchToWindow(handle);
  await openSection(device, planId, key);
  return handle;
}

interface Hooks {
  terminateWorker(): Promise<boolean>;
  workerId(): Promise<string | null>;
  transport: string;
}

export const hooks = {
  transport: (browser: Browser) =>
    browser.execute(
      () => (window as unknown as { __mpfsSync?: Hooks }).__mpfsSync?.transport ?? null,
    ),
  terminate: (browser: Browser) =>
    browser.execute(() =>
      (window as unknown as { __mpfsSync: Hooks }).__mpfsSync.terminateWorker(),
    ),
  workerId: (browser: Browser) =>
    browser.execute(() => (window as unknown as { __mpfsSync: Hooks }).__mpfsSync.workerId()),
};
