// The tab's side of the single writer: connects to the SharedWorker, proves the tab is alive with
// a Web Lock, routes worker events into the section stores, and never lets a call hang.
import type { SectionData, SectionKey } from '../../supabase/functions/_shared/schema.ts';
import {
  tabLockName,
  type FreshnessSignal,
  type ResolveChoice,
  type SectionView,
  type TabEvent,
  type WorkerResult,
} from '../../worker/protocol.ts';
import { getAuthState, userIdOf } from '../auth.ts';
import { onPlanNews } from '../plans/plans-channel.ts';
import { receiveStatuses } from '../stores/nav-status-store.ts';
import { getSectionStore } from '../stores/section-store.ts';
import { supabase } from '../supabase-client.ts';
import { Connection } from './connection.ts';
import {
  chooseTransport,
  exposeTestHooks,
  testHelloFields,
  testHooksWanted,
} from './transports.ts';

// Every call answers as data within CALL_TIMEOUT_MS: the Connection times each one out.
export { CALL_TIMEOUT_MS } from './connection.ts';

const tabId = crypto.randomUUID();

export interface SyncClient {
  tabId: string;
  open(planId: string, sectionKey: SectionKey): Promise<WorkerResult<SectionView>>;
  close(planId: string, sectionKey: SectionKey): Promise<WorkerResult<null>>;
  edit(
    planId: string,
    sectionKey: SectionKey,
    fields: SectionData,
    /** R21: each field's value here before the keystroke (null: empty). */
    base?: Record<string, unknown>,
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
    case 'hand-over':
      // R23: this tab's engine gave way to the SharedWorker: reconnect there, no reload needed.
      current?.handOver();
      break;
    case 'refresh-session':
      void refreshSession();
      break;
    case 'signed-out':
      for (const listener of signedOutListeners) listener(event.userId);
      break;
    case 'statuses': {
      // R24: checked against the protocol's schema before the navigation shows it.
      const received = receiveStatuses(event);
      if (!received.ok) console.warn(received.message);
      break;
    }
  }
}

let current: Connection | null = null;

/** R11: the worker got a 401: renew the session once; the new token reaches it via setAuth. */
async function refreshSession(): Promise<void> {
  const { data, error } = await supabase.auth.refreshSession();
  const token = data.session?.access_token ?? null;
  if (error || !token) await current?.call('refreshFailed');
  else await current?.call('setAuth', token);
}

const signedOutListeners = new Set<(userId: string) => void>();
/** The worker heard that this user signed out on this profile (in any tab). */
export const onSignedOut = (listener: (userId: string) => void) => {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
};

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
  const transport = chooseTransport(tabId);
  if (!transport.ok) return transport;
  // The worker waits for this lock to notice that the tab closed or crashed.
  await new Promise<void>((held) => {
    void navigator.locks.request(tabLockName(tabId), () => {
      held();
      return new Promise<never>(() => {});
    });
  });
  // Survives the worker: reconnects, says hello again and retries what was under way.
  const connection = new Connection(
    transport.value,
    { tabId, functionsUrl, ...testHelloFields() },
    onEvent,
    accessToken,
  );
  // Before hello: a hand-over event may come right after it (R23).
  current = connection;
  const hello = await connection.connect();
  if (!hello.ok) return hello;
  // A new worker (the old one died or was replaced) knows nothing of this tab's sections yet.
  const opened = new Map<string, { planId: string; sectionKey: SectionKey }>();

  const client: SyncClient = {
    tabId,
    open: (planId, sectionKey) => {
      opened.set(`${planId}/${sectionKey}`, { planId, sectionKey });
      return connection.call('open', planId, sectionKey);
    },
    close: (planId, sectionKey) => {
      opened.delete(`${planId}/${sectionKey}`);
      return connection.call('close', planId, sectionKey);
    },
    edit: (planId, sectionKey, fields, base) =>
      base
        ? connection.call('edit', planId, sectionKey, fields, base)
        : connection.call('edit', planId, sectionKey, fields),
    resolveConflict: (planId, sectionKey, choice) =>
      connection.call('resolveConflict', planId, sectionKey, choice),
    setAuth: (token) => connection.call('setAuth', token),
    flush: () => connection.call('flush'),
    freshen: (signal) => connection.call('freshen', signal),
  };
  // F2, F3: the worker refetches when a tab shows up or gains focus, and polls while one is visible.
  const visibility = () =>
    void client.freshen({ kind: 'visibility', visible: document.visibilityState === 'visible' });
  visibility();
  document.addEventListener('visibilitychange', visibility);
  window.addEventListener('focus', () => void client.freshen({ kind: 'focus' }));
  window.addEventListener('online', () => void client.freshen({ kind: 'online' }));
  // U7: a tab of this user deleted a plan: the worker asks now, so its open editors end at once.
  onPlanNews((news) => {
    if (news.type === 'deleted' && news.userId === userIdOf(getAuthState()))
      void client.freshen({ kind: 'remote-change', planId: news.planId });
  });
  connection.onReconnect(async (session) => {
    visibility();
    await Promise.all(
      [...opened.values()].map(async ({ planId, sectionKey }) => {
        const result = await session.open(planId, sectionKey);
        if (result.ok) getSectionStore(planId, sectionKey).reopened(result.value);
      }),
    );
  });
  // R10: the network is back: the worker retries at once instead of waiting for its timer.
  window.addEventListener('online', () => void connection.call('online'));
  if (testHooksWanted()) exposeTestHooks(connection);
  // Leaving the page: save now rather than after the debounce.
  const flushOnHide = () => void client.flush();
  window.addEventListener('pagehide', flushOnHide);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flushOnHide();
  });
  return { ok: true, value: client };
}
