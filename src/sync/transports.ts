// Which transport a tab uses, and the test hooks it exposes when a test asks for them.
import { WORKER_CODES, type WorkerResult } from '../../worker/protocol.ts';
import type { Connection, Transport } from './connection.ts';
import { dedicatedTransport, fallbackHandedOver } from './dedicated-transport.ts';
import { sharedWorkerTransport } from './shared-transport.ts';

/** `?sync=dedicated` or localStorage `mpfs-sync=dedicated` forces the fallback (tests). */
export function fallbackForced(): boolean {
  try {
    return (
      new URLSearchParams(window.location.search).get('sync') === 'dedicated' ||
      window.localStorage.getItem('mpfs-sync') === 'dedicated'
    );
  } catch {
    return false;
  }
}

/** The SharedWorker where there is one; else the same engine in a dedicated worker of one tab. */
export function chooseTransport(tabId: string): WorkerResult<Transport> {
  if (typeof SharedWorker !== 'undefined' && !fallbackForced())
    return { ok: true, value: sharedWorkerTransport };
  if (typeof Worker !== 'undefined' && typeof BroadcastChannel !== 'undefined' && navigator.locks)
    return { ok: true, value: dedicatedTransport(tabId) };
  return {
    ok: false,
    code: WORKER_CODES.WORKER_FAILED,
    message:
      'This browser has neither SharedWorker nor Web Locks, which this editor needs to keep tabs in step. Use a current Chrome, Edge, Safari or Firefox.',
  };
}

/** localStorage `mpfs-test-hooks=1` (set by the e2e suites) turns the test hooks on. */
export function testHooksWanted(): boolean {
  try {
    return window.localStorage.getItem('mpfs-test-hooks') === '1';
  } catch {
    return false;
  }
}

/**
 * With the test hooks on, localStorage `mpfs-test-debounce-ms` sets the worker's save window
 * (R4) in hello; the worker honours it only from a hello with test hooks (docs/testing.md).
 */
export function testHelloFields(): { testHooks?: true; testDebounceMs?: number } {
  if (!testHooksWanted()) return {};
  const ms = Number(window.localStorage.getItem('mpfs-test-debounce-ms') ?? '');
  return Number.isInteger(ms) && ms > 0
    ? { testHooks: true, testDebounceMs: ms }
    : { testHooks: true };
}

export interface TestHooks {
  /** edit() until its IndexedDB write committed, in ms, and transactions, from the worker. */
  durability(): Promise<{ durableMs: number[]; writes: number }>;
  /** Ends the worker as a crash would; the tab reconnects by itself. */
  terminateWorker(): Promise<boolean>;
  /** The worker this tab talks to now (a new one after a crash). */
  workerId(): Promise<string | null>;
  transport: 'shared' | 'dedicated';
}

export function exposeTestHooks(connection: Connection): void {
  const hooks: TestHooks = {
    async durability() {
      const r = await connection.call('testHook', 'durability-stats');
      return r.ok
        ? (r.value as { durableMs: number[]; writes: number })
        : { durableMs: [], writes: 0 };
    },
    async terminateWorker() {
      return (await connection.call('testHook', 'terminate')).ok;
    },
    async workerId() {
      const r = await connection.connect();
      return r.ok ? r.value.workerId : null;
    },
    // R23: a fallback tab handed over to the SharedWorker reports it.
    get transport() {
      return (fallbackForced() || typeof SharedWorker === 'undefined') && !fallbackHandedOver()
        ? 'dedicated'
        : 'shared';
    },
  };
  (window as unknown as { __mpfsSync?: TestHooks }).__mpfsSync = hooks;
}
