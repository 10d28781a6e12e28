// The SharedWorker entry: one host per browser profile (and script version), one Comlink session
// per connecting tab. Everything else is in host.ts; browser-host.ts wires the real adapters.
import * as Comlink from 'comlink';
import { acceptEventPort } from './adapters/tab-link.ts';
import { createBrowserHost } from './browser-host.ts';

declare const self: SharedWorkerGlobalScope;

const host = createBrowserHost(self, 'shared');

self.onconnect = (event: MessageEvent) => {
  const port = event.ports[0];
  if (port) Comlink.expose(acceptEventPort(host.createSession()), port);
};
