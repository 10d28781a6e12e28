// An in-memory Web Locks manager for Node tests: exclusive locks granted in request order,
// `ifAvailable`, `signal`, `steal` and `query()` — enough for the writer lock (R19), the liveness
// locks, the engine lock (R23) and `withWebLock`, with real exclusion (a second holder waits until
// the first one's task settles, or steals it: the first one's request then rejects).

type Callback = (lock: { name: string } | null) => unknown;
interface Waiter {
  name: string;
  run: () => void;
}
interface Holder {
  /** Rejects the holder's request, as a steal does. */
  abort: () => void;
}
type Options = { ifAvailable?: boolean; signal?: AbortSignal; steal?: boolean };

export class MemoryLocks {
  private readonly held = new Map<string, Holder>();
  private readonly queue: Waiter[] = [];

  request(name: string, callback: Callback): Promise<unknown>;
  request(name: string, options: Options, callback: Callback): Promise<unknown>;
  request(
    name: string,
    optionsOrCallback: Options | Callback,
    maybeCallback?: Callback,
  ): Promise<unknown> {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback;
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback!;
    if (options.ifAvailable && (this.held.has(name) || this.queue.some((w) => w.name === name)))
      return Promise.resolve().then(() => callback(null));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        name,
        run: () => {
          let settled = false;
          const holder: Holder = {
            abort: () => {
              settled = true;
              reject(new DOMException('stolen', 'AbortError'));
            },
          };
          this.held.set(name, holder);
          void Promise.resolve()
            .then(() => callback({ name }))
            .then(
              (value) => !settled && resolve(value),
              (error: unknown) => !settled && reject(error),
            )
            .finally(() => {
              // A stolen lock is another's now: only its own holder frees it.
              if (this.held.get(name) !== holder) return;
              this.held.delete(name);
              this.grant();
            });
        },
      };
      if (options.steal) {
        this.held.get(name)?.abort();
        this.held.delete(name);
        waiter.run();
        return;
      }
      options.signal?.addEventListener('abort', () => {
        const i = this.queue.indexOf(waiter);
        if (i < 0) return;
        this.queue.splice(i, 1);
        reject(new DOMException('aborted', 'AbortError'));
      });
      this.queue.push(waiter);
      this.grant();
    });
  }

  query(): Promise<{ held: { name: string }[]; pending: { name: string }[] }> {
    return Promise.resolve({
      held: [...this.held.keys()].map((name) => ({ name })),
      pending: this.queue.map((w) => ({ name: w.name })),
    });
  }

  /** Grants every queued request whose lock is free, first come first served per name. */
  private grant(): void {
    for (const w of [...this.queue]) {
      if (this.held.has(w.name)) continue;
      this.queue.splice(this.queue.indexOf(w), 1);
      w.run();
    }
  }

  /** The manager as the DOM type the adapters take. */
  asLockManager(): LockManager {
    return this as unknown as LockManager;
  }
}
