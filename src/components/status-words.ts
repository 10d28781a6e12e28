// What the save status says, from the worker's view alone: pure, so every word is tested.
import { SAVE_STATUS, SESSION_EXPIRED_MESSAGE, type SaveStatus } from '../../worker/protocol.ts';

/** The headline of each status; `saved` with a known time reads "Saved · HH:MM" instead. */
export const STATUS_WORDS: Record<SaveStatus, string> = {
  [SAVE_STATUS.saved]: 'All changes saved',
  [SAVE_STATUS.pending]: 'Unsaved changes — saving in a moment',
  [SAVE_STATUS.saving]: 'Saving…',
  [SAVE_STATUS.savedLocally]: 'Saved on this device — will sync when online',
  [SAVE_STATUS.conflict]: 'Needs your decision',
  [SAVE_STATUS.error]: 'Not saved',
};
export const SIGN_IN_AGAIN = 'Sign in again to save';

const two = (n: number) => String(n).padStart(2, '0');

/** Local time as HH:MM; on another day than `now`, with the date before it (YYYY-MM-DD HH:MM). */
export function savedTime(savedAt: string, now: Date = new Date()): string | null {
  const at = new Date(savedAt);
  if (Number.isNaN(at.getTime())) return null;
  const time = `${two(at.getHours())}:${two(at.getMinutes())}`;
  const sameDay =
    at.getFullYear() === now.getFullYear() &&
    at.getMonth() === now.getMonth() &&
    at.getDate() === now.getDate();
  return sameDay
    ? time
    : `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${time}`;
}

export interface StatusText {
  /** The words that say the status (never colour alone). */
  headline: string;
  /** What happened and what to do, when the headline isn't enough (errors). */
  detail: string | null;
}

export function statusText(
  status: SaveStatus,
  message: string | null,
  savedAt?: string | null,
  now?: Date,
): StatusText {
  if (status === SAVE_STATUS.saved) {
    const time = savedAt ? savedTime(savedAt, now) : null;
    return { headline: time ? `Saved · ${time}` : STATUS_WORDS.saved, detail: null };
  }
  if (status === SAVE_STATUS.error) {
    const headline = message === SESSION_EXPIRED_MESSAGE ? SIGN_IN_AGAIN : STATUS_WORDS.error;
    return { headline, detail: message };
  }
  return { headline: STATUS_WORDS[status], detail: null };
}
