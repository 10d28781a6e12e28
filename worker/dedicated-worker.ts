// The no-SharedWorker fallback's entry: the same host as the SharedWorker, in a dedicated worker
// of the one tab that holds the leader lock. That tab talks to it through Comlink; the other
// tabs over the BroadcastChannel bus.
import * as Comlink from 'comlink';
import { BUS_NAME, serveBus } from './adapters/broadcast-bus.ts';
import { createBrowserHost } from './browser-host.ts';

declare const self: DedicatedWorkerGlobalScope;

const host = createBrowserHost(self, 'dedicated');
Comlink.expose(host.createSession(), self);
serveBus(new BroadcastChannel(BUS_NAME), () => host.createSession());
