// R24: how the section navigation words each section's status: pure, so every word is tested.
import { SAVE_STATUS, type SaveStatus } from '../../worker/protocol.ts';

/** Short words for a nav entry; they follow the link's title in its accessible name. */
export const NAV_STATUS_WORDS: Record<SaveStatus, string> = {
  [SAVE_STATUS.saved]: 'saved',
  [SAVE_STATUS.pending]: 'unsaved edits',
  [SAVE_STATUS.saving]: 'saving',
  [SAVE_STATUS.savedLocally]: 'saved on this device',
  [SAVE_STATUS.conflict]: 'needs your decision',
  [SAVE_STATUS.error]: 'not saved',
};

/**
 * What the nav shows for one section: the current section follows this tab's own status (it knows
 * of keystrokes the worker has not acknowledged yet); any other, the worker's summary. null: open
 * nowhere and nothing unsaved, so nothing to say.
 */
export function navStatusOf(
  current: boolean,
  ownStatus: SaveStatus | null,
  workerStatus: SaveStatus | undefined,
): SaveStatus | null {
  if (current && ownStatus !== null) return ownStatus;
  return workerStatus ?? null;
}

/** The link's accessible name, e.g. "Market — unsaved edits". */
export function navLabel(title: string, status: SaveStatus | null): string {
  return status === null ? title : `${title} — ${NAV_STATUS_WORDS[status]}`;
}
