import { SAVE_STATUS, type SaveStatus as Status } from '../../worker/protocol.ts';

export const STATUS_WORDS: Record<Status, string> = {
  [SAVE_STATUS.saved]: 'All changes saved',
  [SAVE_STATUS.pending]: 'Unsaved changes…',
  [SAVE_STATUS.saving]: 'Saving…',
  [SAVE_STATUS.savedLocally]: 'Saved on this device; will sync when the server can be reached',
  [SAVE_STATUS.conflict]: 'Changed on another device: review the conflict',
  [SAVE_STATUS.error]: 'Not saved',
};

/** The contract's `[data-testid="save-status"]`: `data-state` and words always agree. */
export function SaveStatus({ status, message }: { status: Status; message: string | null }) {
  const words = STATUS_WORDS[status];
  return (
    <p
      data-testid="save-status"
      data-state={status}
      role="status"
      aria-live="polite"
      className={`status status-${status}`}
    >
      {status === SAVE_STATUS.error && message ? `${words}: ${message}` : words}
    </p>
  );
}
