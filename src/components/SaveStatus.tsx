import { SAVE_STATUS, type SaveStatus as Status } from '../../worker/protocol.ts';
import { statusText } from './status-words.ts';

export { STATUS_WORDS } from './status-words.ts';

/** One shape per status, so it never rests on colour alone (the words say it too). */
export function StatusIcon({ status }: { status: Status }) {
  const common = {
    width: 16,
    height: 16,
    viewBox: '0 0 16 16',
    fill: 'none',
    stroke: 'currentColor',
    strokeWidth: 2,
    strokeLinecap: 'round' as const,
    strokeLinejoin: 'round' as const,
    'aria-hidden': true,
    focusable: false,
    className: 'status-icon',
  };
  switch (status) {
    case SAVE_STATUS.saved:
      return (
        <svg {...common}>
          <path d="M3 8.5l3 3 7-7" />
        </svg>
      );
    case SAVE_STATUS.pending:
      return (
        <svg {...common}>
          <path d="M11 2.5l2.5 2.5L6 12.5H3.5V10z" />
        </svg>
      );
    case SAVE_STATUS.saving:
      return (
        <svg {...common}>
          <path d="M13.5 8a5.5 5.5 0 1 1-2-4.25" />
          <path d="M13.5 2.5v3h-3" />
        </svg>
      );
    case SAVE_STATUS.savedLocally:
      return (
        <svg {...common}>
          <path d="M4.5 12.5h7a3 3 0 0 0 .5-5.96A4 4 0 0 0 4.3 7.6 2.5 2.5 0 0 0 4.5 12.5z" />
          <path d="M2 2l12 12" />
        </svg>
      );
    case SAVE_STATUS.conflict:
    case SAVE_STATUS.error:
      return (
        <svg {...common}>
          <path d="M8 1.8L15 14H1z" />
          <path d="M8 6.5v3.2M8 11.8v.1" />
        </svg>
      );
  }
}

/**
 * The contract's `[data-testid="save-status"]`: `data-state` and words always agree. A polite live
 * region: screen readers hear each change without focus moving.
 */
export function SaveStatus({
  status,
  message,
  savedAt,
}: {
  status: Status;
  message: string | null;
  savedAt?: string | null;
}) {
  const { headline, detail } = statusText(status, message, savedAt);
  return (
    <p
      data-testid="save-status"
      data-state={status}
      role="status"
      aria-live="polite"
      className={`status status-${status}`}
    >
      <StatusIcon status={status} />
      <span className="status-words">{detail ? `${headline}: ${detail}` : headline}</span>
    </p>
  );
}
