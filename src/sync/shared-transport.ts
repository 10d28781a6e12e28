// The usual transport: one SharedWorker per browser profile, reached through Comlink.
import * as Comlink from 'comlink';
import { z } from 'zod';
import { workerLockName, type TabEvent, type WorkerSessionApi } from '../../worker/protocol.ts';
import type { Endpoint, Transport } from './connection.ts';

/**
 * The SharedWorker's name, kept in localStorage so every tab of the profile constructs the same one.
 * Firefox hands a SharedWorker constructed just after the old one's close() to the closing worker,
 * which never answers; a new name gets a fresh worker in every engine (docs/single-writer.md, R16).
 */
export const WORKER_NAME_KEY = 'mpfs-sync-worker';
const WORKER_NAME_LOCK = 'mpfs-sync-worker-name';
const BASE_NAME = 'mpfs-sync';
const WorkerNameSchema = z.string().regex(/^mpfs-sync(~[1-9]\d{0,8})?$/);

/** The name after `name`'s worker died: `mpfs-sync` → `mpfs-sync~1` → `mpfs-sync~2`… */
export function nextWorkerName(name: string): string {
  const generation = Number(/~(\d+)$/.exec(name)?.[1] ?? '0');
  return `${BASE_NAME}~${generation >= 999_999_999 ? 1 : generation + 1}`;
}

/** The stored name, or the first one when there is none (or it is not one of ours). */
export function storedWorkerName(storage: Pick<Storage, 'getItem'> | null): string {
  try {
    const parsed = WorkerNameSchema.safeParse(storage?.getItem(WORKER_NAME_KEY));
    return parsed.success ? parsed.data : BASE_NAME;
  } catch {
    return BASE_NAME;
  }
}

const storage = (): Storage | null => {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
};

/**
 * The worker named `dead` is gone: move the profile to the next name, once (compare-and-set under
 * a Web Lock, so the tabs that saw it die all land on the same next name).
 */
function retireWorkerName(dead: string): Promise<void> {
  return navigator.locks.request(WORKER_NAME_LOCK, () => {
    const store = storage();
    if (store && storedWorkerName(store) === dead) {
      try {
        store.setItem(WORKER_NAME_KEY, nextWorkerName(dead));
      } catch {
        // Storage full or blocked: keep the old name (Firefox then recovers at its hello timeout).
      }
    }
  }) as Promise<void>;
}

/** Resolves once the worker's life lock is free: it holds it until it dies. */
export function workerGone(workerId: string): Promise<void> {
  return new Promise((resolve) => {
    void navigator.locks.request(workerLockName(workerId), () => resolve());
  });
}

/** The name this tab constructed its SharedWorker with last (one Connection per tab). */
let openedName = BASE_NAME;

export const sharedWorkerTransport: Transport = {
  open(onEvent) {
    openedName = storedWorkerName(storage());
    const worker = new SharedWorker(new URL('../../worker/shared-worker.ts', import.meta.url), {
      type: 'module',
      name: openedName,
      // Lets the worker finish saving after the last tab closes; every tab must pass the same value.
      extendedLifetime: true,
    } as WorkerOptions);
    const session = Comlink.wrap<WorkerSessionApi>(worker.port);
    // Events come on a port of their own, one postMessage each: a Comlink proxy would answer every
    // patch back to the worker, doubling its messages per keystroke (worker/adapters/tab-link.ts).
    const events = new MessageChannel();
    events.port1.onmessage = (message: MessageEvent) => onEvent(message.data as TabEvent);
    return {
      session: session as unknown as WorkerSessionApi,
      listener: Comlink.transfer(events.port2, [events.port2]) as unknown as Endpoint['listener'],
      dispose() {
        session[Comlink.releaseProxy]();
        worker.port.close();
        events.port1.close();
      },
    };
  },
  watch(workerId) {
    const name = openedName;
    return workerGone(workerId).then(() => retireWorkerName(name));
  },
};
