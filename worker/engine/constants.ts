// The engine's timing and wording: one place, so tests, docs and the app agree.
import { PLAN_GONE_MESSAGE, SESSION_EXPIRED_MESSAGE } from '../protocol.ts';

/** The save window: the first edit after a quiet period arms it; one save when it ends (R4). */
export const SAVE_DEBOUNCE_MS = 600;

/** First retry delay ceiling after a network/5xx/429 failure; doubles per attempt (R10). */
export const RETRY_BASE_MS = 250;
/**
 * Largest retry delay ceiling. Kept under 2 s so the status follows the network coming back
 * within the contract's 2 s.
 */
export const RETRY_MAX_MS = 1_600;

/** Longest `Retry-After` honoured; a server asking for more is retried after this (R10). */
export const RETRY_AFTER_MAX_MS = 60_000;

/** How long a tab gets to refresh the session after a 401 before it counts as failed (R11). */
export const SESSION_REFRESH_TIMEOUT_MS = 10_000;

/** How many sent-but-unanswered payload hashes a section remembers (R8, own-write detection). */
export const UNCONFIRMED_LIMIT = 16;

export const MESSAGES = {
  sessionExpired: SESSION_EXPIRED_MESSAGE,
  offline: "Saved on this device; the server can't be reached yet — retrying.",
  loadOffline: "Can't reach the server to load this section yet — retrying.",
  refreshingSession: 'Saved on this device; renewing your session to send it.',
  retired:
    'A newer version of this app is open: reload this page to save. Your edits are kept on this device.',
  conflict: 'This section was changed on another device: choose which version to keep.',
  /** U1: a tab that gave no token is shown nobody's sections. */
  signedOut: 'You are signed out: sign in to open this plan.',
  /** U3: the words of WORKER_CODES.NOT_AVAILABLE (the app shows the same). */
  notAvailable:
    "This plan isn't available to you. Check the address, or sign in with the account that owns it.",
  /** U7: an open plan's section list answered 404: deleted (here or elsewhere) or no longer yours. */
  planGone: PLAN_GONE_MESSAGE,
} as const;

/**
 * Capped exponential backoff with "equal jitter": attempt n waits between half and all of
 * min(RETRY_MAX_MS, RETRY_BASE_MS · 2^(n−1)). `random` is in [0, 1) and comes from the engine's
 * seeded generator, so tests are deterministic.
 */
export function retryDelayMs(attempt: number, random: number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 20);
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
