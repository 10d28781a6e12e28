// R22: observing from a page that a worker has ended. Each worker holds its life lock
// `mpfs-worker:<id>` until it ends, so another page's request for that lock is granted exactly
// then: an event, not a poll.
import type { Page } from '@playwright/test';

/**
 * Starts waiting in `observer` (a page that is not the worker's client) for worker `workerId` to
 * end, after checking that it runs now. Returns the wait: the ms from this call to the end.
 */
export async function watchWorkerEnd(
  observer: Page,
  workerId: string,
): Promise<() => Promise<number>> {
  const key = `mpfs-worker:${workerId}`;
  await observer.evaluate(async (name) => {
    const held = (await navigator.locks.query()).held ?? [];
    if (!held.some((lock) => lock.name === name)) throw new Error(`${name} is not held`);
    const started = performance.now();
    const ended = navigator.locks.request(name, () => performance.now() - started);
    (window as unknown as Record<string, Promise<number>>)[name] = ended;
  }, key);
  return () =>
    observer.evaluate((name) => (window as unknown as Record<string, Promise<number>>)[name]!, key);
}
