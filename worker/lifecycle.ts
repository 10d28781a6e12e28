// R22: when a worker without tabs ends. Pure: the host gathers the facts, this decides, the host
// closes (SharedWorker: self.close()) or asks again later. See docs/single-writer.md.
import { statusOf, type EngineState } from './engine/index.ts';
import { SAVE_STATUS } from './protocol.ts';

/** How long a worker whose last tab left waits before it ends: a reload's new tab still finds it. */
export const LINGER_MS = 2_000;

/**
 * How long after a connection arrives its hello may still come (a loaded machine; the tab gives up
 * and reconnects after 5 s, src/sync/connection.ts): a hello must not reach a worker that ended.
 */
export const CONNECT_GRACE_MS = 10_000;

/**
 * R23: how long a handed-over engine still answers after it gave way (and after the last
 * connection arrived): a hello waiting for its decision gets HANDED_OVER instead of silence.
 */
export const HANDOVER_GRACE_MS = 1_000;

/** How often a worker without tabs looks again while it lingers or finishes its work. */
export const LIFE_CHECK_MS = 250;

export interface LifeFacts {
  now: number;
  /** Tabs that said hello and are not gone. */
  tabs: number;
  /** When the last connection arrived (its hello may still be on the way), or null. */
  lastConnectAt: number | null;
  /** A newer protocol's worker runs (R20), or another engine writes for the profile (R23). */
  retired: boolean;
  /** R23: it gave way to the SharedWorker, whose tabs reconnect there once this one is gone. */
  handedOver?: boolean;
  /** Store writes, loads or saves under way: an acknowledged edit may still be committing. */
  busy: boolean;
  /** Sections with edits this worker can still send on its own (R15). */
  sending: number;
}

export interface Life {
  /** Since when no tab has been connected; null while tabs are. */
  aloneSince: number | null;
  /** R23: since when it has been handed over (first seen so). */
  handedOverSince?: number;
}

/** `when-idle`: ask again once no write or request is under way; `check-later`: after LIFE_CHECK_MS. */
export type LifeAction = 'serve' | 'when-idle' | 'check-later' | 'close';

export const initialLife: Life = { aloneSince: null };

export function decideLife(life: Life, facts: LifeFacts): { life: Life; action: LifeAction } {
  // R23: its tabs move to the SharedWorker when it is gone, and that one adopts its outbox then.
  if (facts.handedOver) {
    const handedOverSince = life.handedOverSince ?? facts.now;
    const next = { aloneSince: life.aloneSince, handedOverSince };
    if (facts.busy) return { life: next, action: 'when-idle' };
    const recent = (at: number | null) => at !== null && facts.now - at < HANDOVER_GRACE_MS;
    if (recent(handedOverSince) || recent(facts.lastConnectAt))
      return { life: next, action: 'check-later' };
    return { life: next, action: 'close' };
  }
  if (facts.tabs > 0) return { life: { aloneSince: null }, action: 'serve' };
  const aloneSince = life.aloneSince ?? facts.now;
  const later = { life: { aloneSince }, action: 'check-later' as const };
  // R22: what is committing or on the wire finishes first (its outcome goes to the store).
  if (facts.busy) return { life: { aloneSince }, action: 'when-idle' };
  // R22, R20: a retired worker sends nothing more; the newer one adopts its outbox once this
  // worker's life lock is free, so ending at once is what hands the outbox over.
  if (facts.retired) return { life: { aloneSince }, action: 'close' };
  // R15: edits it can still send keep it running without a tab (offline: until it is back).
  if (facts.sending > 0) return later;
  if (facts.now - aloneSince < LINGER_MS) return later;
  if (facts.lastConnectAt !== null && facts.now - facts.lastConnectAt < CONNECT_GRACE_MS)
    return later;
  // Saved, or waiting for the author (a conflict, an expired session): the records stay in the
  // store and the next worker adopts them (R16).
  return { life: { aloneSince }, action: 'close' };
}

/** Sections with unsaved edits that nothing but the network stands in the way of (R15). */
export function sendingSections(state: EngineState): number {
  let count = 0;
  for (const s of Object.values(state.sections)) {
    if (s.pending.length === 0 && !s.inFlight) continue;
    const { status } = statusOf(s);
    if (
      status === SAVE_STATUS.pending ||
      status === SAVE_STATUS.saving ||
      status === SAVE_STATUS.savedLocally
    )
      count += 1;
  }
  return count;
}
