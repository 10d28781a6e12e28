// The tab's side of the single writer: connects to the SharedWorker, proves the tab is alive with
// a Web Lock, routes worker events into the section stores, and never lets a call hang.
import * as Comlink from 'comlink';
import type { SectionData, SectionKey } from '../../supabase/functions/_shared/schema.ts';
import {
  PROTOCOL_VERSION,
  tabLockName,
  WORKER_CODES,
  type FreshnessSignal,
  type ResolveChoice,
  type SectionView,
  type TabEvent,
  type WorkerResult,
  type WorkerSessionApi,
} from '../../worker/protocol.ts';
import { getSectionStore } from '../stores/section-store.ts';

/** A call to the worker that hasn't answered by then is reported instead of left pending. */
export const CALL_TIMEOUT_MS = 10_000;

const tabId = crypto.randomUUID();

function withTimeout<T>(promise: Promise<WorkerResult<T>>, what: string): Promise<WorkerResult<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(
      () =>
        resolve({
          ok: false,
          code: WORKER_CODES.TIMEOUT,
          message: `The sync worker did not answer "${what}" within ${CALL_TIMEOUT_MS / 1000} s. Reload the page; your edits are kept on this device.`,
        }),
      CALL_TIMEOUT_MS,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({
          ok: false,
          code: WORKER_CODES.WORKER_FAILED,
          message: `The sync worker failed on "${what}": ${String(error)}. Reload the page.`,
        });
      },
    );
  });
}

export interface SyncClient {
  tabId: string;
  open(planId: string, sectionKey: SectionKey): Promise<WorkerResult<SectionView>>;
  close(planId: string, sectionKey: SectionKey): Promise<WorkerResult<null>>;
  edit(
    planId: string,
    sectionKey: SectionKey,
    fields: SectionData,
  ): Promise<WorkerResult<{ seq: number }>>;
  resolveConflict(
    planId: string,
    sectionKey: SectionKey,
    choice: ResolveChoice,
  ): Promise<WorkerResult<null>>;
  setAuth(accessToken: string | null): Promise<WorkerResult<null>>;
  flush(): Promise<WorkerResult<null>>;
  /** Tells the worker this tab showed up, gained focus, went online or heard of a change (F2). */
  freshen(signal: FreshnessSignal): Promise<WorkerResult<null>>;
}

function onEvent(event: TabEvent): void {
  switch (event.type) {
    case 'patch':
      getSectionStore(event.planId, event.sectionKey).patch(event.fields, event.seq);
      break;
    case 'view':
      getSectionStore(event.view.planId, event.view.sectionKey).view(event.view, event.seq);
      break;
    case 'reload':
      for (const listener of reloadListeners) listener(event.reason);
      break;
  }
}

const reloadListeners = new Set<(reason: string) => void>();
export const onReloadRequired = (listener: (reason: string) => void) => {
  reloadListeners.add(listener);
  return () => reloadListeners.delete(listener);
};

let connecting: Promise<WorkerResult<SyncClient>> | null = null;

/** Connect this tab to the sync worker once; later calls share the connection. */
export function connectSync(functionsUrl: string, accessToken: string | null) {
  connecting ??= connect(functionsUrl, accessToken);
  return connecting;
}

async function connect(
  functionsUrl: string,
  accessToken: string | null,
): Promise<WorkerResult<SyncClient>> {
  if (typeof SharedWorker === 'undefined') {
    return {
      ok: false,
      code: WORKER_CODES.WORKER_FAILED,
      message:
        'This browser has no SharedWorker, which this editor needs to keep tabs in step. Use a current Chrome, Edge or Firefox on a computer.',
    };
  }
  // The worker waits for this lock to notice that the tab closed or crashed.
  await new Promise<void>((held) => {
    void navigator.locks.request(tabLockName(tabId), () => {
      held();
      return new Promise<never>(() => {});
    });
  });
  const worker = new SharedWorker(new URL('../../worker/shared-worker.ts', import.meta.url), {
    type: 'module',
    name: 'mpfs-sync',
    // Lets the worker finish saving after the last tab closes; every tab must pass the same value.
    extendedLifetime: true,
  } as WorkerOptions);
  const api = Comlink.wrap<WorkerSessionApi>(worker.port);
  const hello = await withTimeout(
    api.hello(
      { protocolVersion: PROTOCOL_VERSION, tabId, functionsUrl, accessToken },
      Comlink.proxy(onEvent),
    ),
    'hello',
  );
  if (!hello.ok) return hello;

  const client: SyncClient = {
    tabId,
    open: (planId, sectionKey) => withTimeout(api.open(planId, sectionKey), 'open'),
    close: (planId, sectionKey) => withTimeout(api.close(planId, sectionKey), 'close'),
    edit: (planId, sectionKey, fields) => withTimeout(api.edit(planId, sectionKey, fields), 'edit'),
    resolveConflict: (planId, sectionKey, choice) =>
      withTimeout(api.resolveConflict(planId, sectionKey, choice), 'resolve'),
    setAuth: (token) => withTimeout(api.setAuth(token), 'setAuth'),
    flush: () => withTimeout(api.flush(), 'flush'),
    freshen: (signal) => withTimeout(api.freshen(signal), 'freshen'),
  };
  // F2, F3: the worker refetches when a tab shows up or gains focus, and polls while one is visible.
  const visibility = () =>
    void client.freshen({ kind: 'visibility', visible: document.visibilityState === 'visible' });
  visibility();
  document.addEventListener('visibilitychange', visibility);
  window.addEventListener('focus', () => void client.freshen({ kind: 'focus' }));
  window.addEventListener('online', () => void client.freshen({ kind: 'online' }));
  // Leaving the page: save now rather than after the debounce.
  const flushOnHide = () => void client.flush();
  window.addEventListener('pagehide', flushOnHide);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flushOnHide();
  });
  return { ok: true, value: client };
}
