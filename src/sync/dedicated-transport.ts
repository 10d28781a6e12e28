// The fallback transport where there is no SharedWorker: the tab holding the Web Lock
// `mpfs-leader` runs the engine in a dedicated worker; the others reach it over BroadcastChannel.
// When the leader tab goes, its worker dies with it, the next tab in the lock's queue leads, and
// every tab's Connection says hello again (nothing acknowledged is lost: it is in IndexedDB).
import * as Comlink from 'comlink';
import { BUS_NAME, busSession, leaderListening } from '../../worker/adapters/broadcast-bus.ts';
import {
  PROTOCOL_VERSION,
  WORKERS_CHANNEL,
  type TabEvent,
  type WorkerSessionApi,
} from '../../worker/protocol.ts';
import type { Endpoint, Transport } from './connection.ts';
import { sharedWorkerTransport, workerGone } from './shared-transport.ts';

export const LEADER_LOCK = 'mpfs-leader';

let leader: Worker | null = null;
/** The id of the leader's worker (from hello): when it dies, the next open() starts another. */
let leaderWorkerId: string | null = null;
let campaigning: Promise<void> | null = null;
/** R23: set once this tab's engine gave way to the SharedWorker; from then on it talks there. */
let handedOver = false;
/** Ends the leader lock's hold, or withdraws the request for it. */
const leadership = new AbortController();
let stepDown = () => {};

/** Whether this tab now reaches the SharedWorker although it asked for the fallback (R23). */
export const fallbackHandedOver = () => handedOver;

const startWorker = () =>
  new Worker(new URL('../../worker/dedicated-worker.ts', import.meta.url), {
    type: 'module',
    name: 'mpfs-sync',
  });

/** Queues for the leader lock once; holds it for the tab's life once granted. */
function campaign(): Promise<void> {
  campaigning ??= new Promise<void>((elected) => {
    navigator.locks
      .request(LEADER_LOCK, { signal: leadership.signal }, () => {
        if (handedOver) return;
        leader = startWorker();
        elected();
        return new Promise<void>((resolve) => (stepDown = resolve));
      })
      .catch(() => {
        // Withdrawn at the hand-over (R23): this tab no longer leads anything.
      });
  });
  return campaigning;
}

/** The leader tab's own way to its worker. */
function direct(worker: Worker, onEvent: (event: TabEvent) => void): Endpoint {
  const session = Comlink.wrap<WorkerSessionApi>(worker);
  return {
    session: session as unknown as WorkerSessionApi,
    listener: Comlink.proxy(onEvent),
    // Not released: Comlink's release makes the worker drop its one listener (expose on self), so
    // after a hello that timed out (e.g. while the engine waits for its lock, R23) the leader tab
    // could never reach its worker again.
    dispose: () => {},
  };
}

export function dedicatedTransport(tabId: string): Transport {
  return {
    // Followers ask over the bus, where nobody may answer while a new leader starts; once handed
    // over (R23), the SharedWorker gets the usual time (it may be starting up). The leader's own
    // worker gets 1 s an attempt too: a hello it missed is asked again, not waited for.
    get helloTimeoutMs() {
      return handedOver ? undefined : 1_000;
    },
    async open(onEvent) {
      // R23: the SharedWorker writes for this profile; this tab is one of its tabs now.
      if (handedOver) return sharedWorkerTransport.open(onEvent);
      // A free lock is granted within milliseconds: wait that long before settling for the bus.
      await Promise.race([campaign(), new Promise((resolve) => setTimeout(resolve, 50))]);
      if (leader) return direct(leader, onEvent);
      const channel = new BroadcastChannel(BUS_NAME);
      // A hello posted while the new leader's worker is still starting would be lost (and cost a
      // hello timeout): wait until a leader's worker listens, or this tab is elected itself.
      await Promise.race([leaderListening(channel, 1_000), campaign()]);
      if (leader) {
        channel.close();
        return direct(leader, onEvent);
      }
      const bus = busSession(channel, tabId, onEvent);
      return {
        session: bus.session,
        listener: onEvent,
        dispose: () => {
          bus.dispose();
          channel.close();
        },
      };
    },
    // R20 for the fallback: a follower of a newer build has no worker to announce itself, so it
    // speaks for itself; the older leader's worker then retires and tells its tabs to reload.
    onMismatch() {
      const channel = new BroadcastChannel(WORKERS_CHANNEL);
      channel.postMessage({
        type: 'announce',
        workerId: `tab:${tabId}`,
        protocolVersion: PROTOCOL_VERSION,
      });
      channel.close();
    },
    // R23: the leader's engine ends by itself (worker/lifecycle.ts); a later fallback tab may lead.
    handOver() {
      if (handedOver) return;
      handedOver = true;
      leader = null;
      leaderWorkerId = null;
      leadership.abort();
      stepDown();
    },
    async watch(workerId) {
      if (handedOver) return sharedWorkerTransport.watch(workerId);
      if (leader && leaderWorkerId === null) leaderWorkerId = workerId;
      await workerGone(workerId);
      // This tab leads and its worker died (crash, terminate hook): start a fresh one.
      if (!handedOver && leader && leaderWorkerId === workerId) {
        leader.terminate();
        leader = startWorker();
        leaderWorkerId = null;
      }
    },
  };
}
