// The real Clock. It looks the timer functions up at each call, so test fake timers apply.
import type { Clock } from '../ports.ts';

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
