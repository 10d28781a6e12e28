// F5 (docs/merge-rules.md), without Supabase: what the tab tells the worker about one plan's
// Realtime subscription. A change refetches at once; a live subscription stretches the poll, and
// any other state of it (an error, a timeout, a close) falls back to the normal poll.
import type { FreshnessSignal } from '../../worker/protocol.ts';

/** Opens a subscription to one plan's section rows; returns its close. */
export type PlanSubscribe = (
  planId: string,
  onChange: () => void,
  onStatus: (status: string) => void,
) => () => void;

export interface FreshenTarget {
  freshen(signal: FreshnessSignal): unknown;
}

/**
 * `trusted` false: a subscription may be SUBSCRIBED yet silent (see realtime.ts), so it never
 * stretches the poll; its changes still refetch.
 */
export function watchPlanWith(
  subscribe: PlanSubscribe,
  client: FreshenTarget,
  planId: string,
  trusted: boolean,
): () => void {
  const close = subscribe(
    planId,
    () => void client.freshen({ kind: 'remote-change', planId }),
    (status) => {
      if (trusted) void client.freshen({ kind: 'realtime', planId, live: status === 'SUBSCRIBED' });
    },
  );
  return () => {
    // Stopped: the poll is the only source again.
    void client.freshen({ kind: 'realtime', planId, live: false });
    close();
  };
}
