// The host with the browser's adapters, for both entries: the SharedWorker and the dedicated
// worker of the no-SharedWorker fallback (one engine, two transports).
import { realClock } from './adapters/clock.ts';
import { FetchApi } from './adapters/fetch-api.ts';
import { FetchFeed } from './adapters/fetch-feed.ts';
import { IdbStore } from './adapters/idb-store.ts';
import { comlinkTabLink } from './adapters/tab-link.ts';
import { WebLocksLiveness, webEngineLock, withWebLock } from './adapters/web-locks.ts';
import type { EngineTransport } from './engine-lock.ts';
import { SyncHost } from './host.ts';
import type { OutboxRecord, SnapshotRecord, Store, StoreOp } from './ports.ts';
import { WORKERS_CHANNEL, WorkerAnnounceSchema } from './protocol.ts';

/**
 * The build's label (`VITE_BUILD_ID` at build time, optional) in the worker's log lines: which of
 * two builds open at once said it (R23). The two-builds e2e test also makes a second build of the
 * same protocol with it (another label, another script URL).
 */
const BUILD_ID =
  (import.meta as { env?: Record<string, string | undefined> }).env?.VITE_BUILD_ID ?? '';
const tag = BUILD_ID ? `[mpfs-sync ${BUILD_ID}]` : '[mpfs-sync]';
const log = (message: string, detail?: unknown) => console.warn(`${tag} ${message}`, detail);

/** The store opens asynchronously; the host needs one at once, so calls wait for the opening. */
function lazyStore(opening: Promise<Store>): Store {
  return {
    apply: async (ops: readonly StoreOp[]) => (await opening).apply(ops),
    getSnapshot: async (id: string): Promise<SnapshotRecord | undefined> =>
      (await opening).getSnapshot(id),
    getOutbox: async (id: string): Promise<OutboxRecord | undefined> =>
      (await opening).getOutbox(id),
    restoreAll: async () => (await opening).restoreAll(),
  };
}

/** R20, R23: what other engines of the origin announce reaches the host (it answers itself). */
function hearOtherEngines(channel: BroadcastChannel, host: SyncHost): void {
  channel.onmessage = (message: MessageEvent) => {
    const peer = WorkerAnnounceSchema.safeParse(message.data);
    if (peer.success) host.peerAnnounced(peer.data);
  };
}

/** `scope` is the worker's global: its `online` event retries at once (R10), close() ends it. */
export function createBrowserHost(
  scope: Pick<WorkerGlobalScope, 'addEventListener'> & { close(): void },
  transport: EngineTransport,
): SyncHost {
  const channel = new BroadcastChannel(WORKERS_CHANNEL);
  const host = new SyncHost({
    api: new FetchApi(),
    feed: new FetchFeed(),
    store: lazyStore(
      IdbStore.open({
        onInvalid: (record, problem) => log('skipped a damaged record', { record, problem }),
      }),
    ),
    clock: realClock,
    liveness: new WebLocksLiveness(navigator.locks),
    linkFor: comlinkTabLink,
    writerLock: (name, save) => withWebLock(navigator.locks, name, save),
    terminate: () => scope.close(),
    log,
    // R23: one engine per profile takes edits, the one holding `mpfs-engine`.
    engineLock: webEngineLock(navigator.locks),
    transport,
    announce: (announcement) => channel.postMessage(announcement),
  });
  scope.addEventListener('online', () => host.online());
  hearOtherEngines(channel, host);
  return host;
}
