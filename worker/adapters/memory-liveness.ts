// Liveness for tests: tabs die when the test says so; workers are alive until released.
import type { Liveness } from '../ports.ts';

export class MemoryLiveness implements Liveness {
  readonly aliveWorkers = new Set<string>();
  private readonly watchers = new Map<string, Set<() => void>>();

  holdWorker(workerId: string): void {
    this.aliveWorkers.add(workerId);
  }

  releaseWorker(workerId: string): void {
    this.aliveWorkers.delete(workerId);
    for (const gone of this.workerWatchers.get(workerId) ?? []) gone();
    this.workerWatchers.delete(workerId);
  }

  private readonly workerWatchers = new Map<string, Array<() => void>>();

  whenWorkerGone(workerId: string): Promise<void> {
    if (!this.aliveWorkers.has(workerId)) return Promise.resolve();
    return new Promise((resolve) => {
      this.workerWatchers.set(workerId, [...(this.workerWatchers.get(workerId) ?? []), resolve]);
    });
  }

  async isWorkerAlive(workerId: string): Promise<boolean> {
    return this.aliveWorkers.has(workerId);
  }

  watchTab(tabId: string, onGone: () => void): () => void {
    let set = this.watchers.get(tabId);
    if (!set) this.watchers.set(tabId, (set = new Set()));
    set.add(onGone);
    return () => set.delete(onGone);
  }

  watching(tabId: string): boolean {
    return (this.watchers.get(tabId)?.size ?? 0) > 0;
  }

  /** The tab closed or crashed: its lock would now be granted to the worker. */
  kill(tabId: string): void {
    const set = this.watchers.get(tabId);
    this.watchers.delete(tabId);
    for (const onGone of set ?? []) onGone();
  }
}
