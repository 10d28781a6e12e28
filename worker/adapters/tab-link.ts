// TabLinks: how the host sends TabEvents to a tab's listener. The listener comes from the tab's
// hello(); through Comlink it is a proxy whose calls return promises that may never settle (a
// dead tab), so a link never waits and swallows failures.
import * as Comlink from 'comlink';
import type { TabEvent } from '../protocol.ts';
import type { TabLink } from '../ports.ts';

export type Listener = (event: TabEvent) => unknown;

/** A link to a plain function (tests, a dedicated-worker fallback in the same realm). */
export function functionTabLink(listener: Listener): TabLink {
  let open = true;
  return {
    send(event) {
      if (!open) return;
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch(() => {});
      } catch {
        // A listener that throws is the tab's problem, not the worker's.
      }
    },
    close() {
      open = false;
    },
  };
}

/** A link to a Comlink proxy: like functionTabLink, and releases the proxy when closed. */
export function comlinkTabLink(listener: Listener): TabLink {
  const link = functionTabLink(listener);
  return {
    send: link.send,
    close() {
      link.close();
      const release = (listener as Partial<Comlink.Remote<Listener>>)[Comlink.releaseProxy];
      if (typeof release === 'function') {
        try {
          release();
        } catch {
          // Already released or the port is gone.
        }
      }
    },
  };
}

/**
 * A tab's events as a raw MessagePort (the SharedWorker transport): each event is one
 * postMessage, with no reply per event as a Comlink call has. Closing the link closes the port.
 */
export function portListener(port: MessagePort): Listener {
  return Object.assign((event: TabEvent) => port.postMessage(event), {
    [Comlink.releaseProxy]: () => port.close(),
  });
}

/** A session whose hello also takes a MessagePort for the tab's events (see portListener). */
export function acceptEventPort<S extends { hello(hello: never, listener: Listener): unknown }>(
  session: S,
): S {
  const hello = session.hello.bind(session) as (hello: never, listener: unknown) => unknown;
  return Object.assign(session, {
    hello: (h: never, listener: unknown) =>
      hello(h, listener instanceof MessagePort ? portListener(listener) : listener),
  });
}
