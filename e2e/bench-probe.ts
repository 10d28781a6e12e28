// The compare bench's probe, installed in every tab of every system before its scripts run: it
// records, on one clock (performance.timeOrigin + performance.now()), when a message leaves the
// tab, when one arrives and is handled, and when a textarea's value is set to what a waiter wants.
// The value setter is where every system (React or not) makes a field show a value, so all three
// are timed at the same point without polling.

export interface Seen {
  /** The textarea got the value. */
  set: number;
  /** The last message (or storage event) that arrived before it, and when its handler returned. */
  arrival: number;
  handled: number;
  /** When a 2 ms poll of the field first saw it (only when asked to poll). */
  polled: number | null;
}

export interface Probe {
  expect(want: string, poll: boolean): void;
  result(timeoutMs: number): Promise<Seen | null>;
  firstPostAfter(t: number): number | null;
  fire(selector: string, value: string): number;
}

export function installProbe(): void {
  // Inlined: the function is serialized into the page, so it can't use the module's scope.
  const FIELD_SELECTOR = '#field-motivation';
  const now = () => performance.timeOrigin + performance.now();
  let lastArrival = 0;
  let lastHandled = 0;
  const posts: number[] = [];
  let want: string | null = null;
  let seen: Seen | null = null;
  let wake: (() => void) | null = null;

  const record = (value: unknown) => {
    if (want === null || value !== want || seen) return;
    seen = { set: now(), arrival: lastArrival, handled: lastHandled, polled: null };
    wake?.();
  };
  const proto = HTMLTextAreaElement.prototype;
  const native = Object.getOwnPropertyDescriptor(proto, 'value')!;
  Object.defineProperty(proto, 'value', {
    ...native,
    set(this: HTMLTextAreaElement, value: string) {
      native.set!.call(this, value);
      record(value);
    },
  });

  const wrapped = new WeakMap<object, EventListener>();
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (
    this: EventTarget,
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ) {
    if ((type !== 'message' && type !== 'storage') || !listener)
      return add.call(this, type, listener, options);
    let wrapper = wrapped.get(listener);
    if (!wrapper) {
      wrapper = function (this: unknown, event: Event) {
        lastArrival = now();
        try {
          if (typeof listener === 'function') listener.call(this, event);
          else listener.handleEvent(event);
        } finally {
          lastHandled = now();
        }
      };
      wrapped.set(listener, wrapper);
    }
    return add.call(this, type, wrapper, options);
  } as typeof EventTarget.prototype.addEventListener;
  EventTarget.prototype.removeEventListener = function (
    this: EventTarget,
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ) {
    const wrapper = listener ? wrapped.get(listener) : undefined;
    return remove.call(this, type, wrapper ?? listener, options);
  } as typeof EventTarget.prototype.removeEventListener;

  // Ours hears the worker's events on a raw MessagePort's onmessage (src/sync/shared-transport.ts),
  // which the addEventListener wrapper above never sees: time that handler the same way.
  const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage')!;
  Object.defineProperty(MessagePort.prototype, 'onmessage', {
    ...onmessage,
    set(this: MessagePort, handler: ((this: MessagePort, event: MessageEvent) => unknown) | null) {
      if (typeof handler !== 'function') return onmessage.set!.call(this, handler);
      onmessage.set!.call(this, function (this: MessagePort, event: MessageEvent) {
        lastArrival = now();
        try {
          return handler.call(this, event);
        } finally {
          lastHandled = now();
        }
      });
    },
  });

  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (this: MessagePort, ...args: unknown[]) {
    posts.push(now());
    if (posts.length > 2000) posts.splice(0, 1000);
    return (post as (...a: unknown[]) => void).apply(this, args);
  } as typeof MessagePort.prototype.postMessage;
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (this: Storage, key: string, value: string) {
    posts.push(now());
    return setItem.call(this, key, value);
  };

  let polling = false;
  const done = () => seen !== null && (!polling || seen.polled !== null);
  const probe: Probe = {
    expect(value, poll) {
      want = value;
      seen = null;
      polling = poll;
      if (!poll) return;
      const tick = () => {
        if (want !== value) return;
        const field = document.querySelector<HTMLTextAreaElement>(FIELD_SELECTOR);
        if (seen && field && native.get!.call(field) === value) {
          seen.polled = now();
          wake?.();
        } else setTimeout(tick, 2);
      };
      setTimeout(tick, 2);
    },
    result(timeoutMs) {
      return new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          want = null;
          wake = null;
          resolve(seen);
        };
        const timer = setTimeout(finish, timeoutMs);
        if (done()) finish();
        else wake = () => done() && finish();
      });
    },
    firstPostAfter(t) {
      return posts.find((p) => p >= t) ?? null;
    },
    fire(selector, value) {
      const field = document.querySelector<HTMLTextAreaElement>(selector)!;
      const at = now();
      native.set!.call(field, value);
      field.dispatchEvent(new InputEvent('input', { bubbles: true, data: value.slice(-1) }));
      return at;
    },
  };
  (window as unknown as { __benchProbe: Probe }).__benchProbe = probe;
}
