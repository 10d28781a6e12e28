// Liveness through Web Locks: a MessagePort never tells the worker that a tab closed, but a lock
// the tab held is granted to the worker tens of milliseconds after the tab goes away, crashes
// included (checked in e2e/web-locks.spec.ts).
import { tabLockName, workerLockName } from '../protocol.ts';
import type { EngineLock, Liveness } from '../ports.ts';

export class WebLocksLiveness implements Liveness {
  constructor(private readonly locks: LockManager = navigator.locks) {}

  holdWorker(workerId: string): void {
    // Held for the worker's whole life: the callback's promise never settles.
    void this.locks.request(workerLockName(workerId), () => new Promise<never>(() => {}));
  }

  async isWorkerAlive(workerId: string): Promise<boolean> {
    const state = await this.locks.query();
    return (state.held ?? []).some((lock) => lock.name === workerLockName(workerId));
  }

  whenWorkerGone(workerId: string): Promise<void> {
    // Queues behind the worker's own hold on its lock: granted once it is gone.
    return this.locks.request(workerLockName(workerId), () => {}) as Promise<void>;
  }

  watchTab(tabId: string, onGone: () => void): () => void {
    const controller = new AbortController();
    // The tab requested this lock before saying hello, so our request queues behind it and is
    // granted only once the tab is gone. Returning at once releases it again.
    this.locks
      .request(tabLockName(tabId), { signal: controller.signal }, () => {
        onGone();
      })
      .catch(() => {
        // Aborted by cancel(): the tab is no longer watched.
      });
    return () => controller.abort();
  }
}

/** Runs `task` holding the exclusive Web Lock `name` (R19: one writer per user at a time). */
export function withWebLock<T>(locks: LockManager, name: string, task: () => Promise<T>) {
  return locks.request(name, task) as Promise<T>;
}

/** R23: one engine per browser profile takes edits: the one holding this lock. */
export const ENGINE_LOCK = 'mpfs-engine';

/** The engine lock through Web Locks (MemoryLocks in Node tests). */
export function webEngineLock(locks: LockManager, name = ENGINE_LOCK): EngineLock {
  return {
    request(onGranted, options = {}) {
      const controller = new AbortController();
      let release = () => {};
      let granted = false;
      const held = new Promise<void>((resolve) => (release = resolve));
      // Web Locks refuse `signal` together with `steal`; a steal is granted at once anyway.
      const lockOptions: LockOptions = options.steal
        ? { steal: true }
        : { signal: controller.signal };
      locks
        .request(name, lockOptions, () => {
          granted = true;
          onGranted();
          return held;
        })
        .catch(() => {
          // Before the grant: withdrawn (release()). After it: another engine stole it (R23).
          if (granted) options.onLost?.();
        });
      return {
        release() {
          granted = false;
          controller.abort();
          release();
        },
      };
    },
  };
}
