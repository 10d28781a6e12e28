// The usual transport: one SharedWorker per browser profile, reached through Comlink.
import * as Comlink from 'comlink';
import { workerLockName, type WorkerSessionApi } from '../../worker/protocol.ts';
import type { Transport } from './connection.ts';

/** Resolves once the worker's life lock is free: it holds it until it dies. */
export function workerGone(workerId: string): Promise<void> {
  return new Promise((resolve) => {
    void navigator.locks.request(workerLockName(workerId), () => resolve());
  });
}

export const sharedWorkerTransport: Transport = {
  open(onEvent) {
    const worker = new SharedWorker(new URL('../../worker/shared-worker.ts', import.meta.url), {
      type: 'module',
      name: 'mpfs-sync',
      // Lets the worker finish saving after the last tab closes; every tab must pass the same value.
      extendedLifetime: true,
    } as WorkerOptions);
    const session = Comlink.wrap<WorkerSessionApi>(worker.port);
    return {
      session: session as unknown as WorkerSessionApi,
      listener: Comlink.proxy(onEvent),
      dispose() {
        session[Comlink.releaseProxy]();
        worker.port.close();
      },
    };
  },
  watch: workerGone,
};
