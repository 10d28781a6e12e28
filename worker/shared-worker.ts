// The SharedWorker entry: one host per browser profile (and script version), one Comlink session
// per connecting tab. Everything else is in host.ts; this file only wires the real adapters.
import * as Comlink from 'comlink';
import { realClock } from './adapters/clock.ts';
import { FetchApi } from './adapters/fetch-api.ts';
import { FetchFeed } from './adapters/fetch-feed.ts';
import { IdbStore } from './adapters/idb-store.ts';
import { comlinkTabLink } from './adapters/tab-link.ts';
import { WebLocksLiveness } from './adapters/web-locks.ts';
import { SyncHost } from './host.ts';
import type { OutboxRecord, SnapshotRecord, Store, StoreOp } from './ports.ts';

declare const self: SharedWorkerGlobalScope;

const log = (message: string, detail?: unknown) => console.warn(`[mpfs-sync] ${message}`, detail);

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
  log,
});

self.onconnect = (event: MessageEvent) => {
  const port = event.ports[0];
  if (port) Comlink.expose(host.createSession(), port);
};
