// The engine's state, inputs and effects. Plain data only: no classes, no functions, no promises,
// so a state can be compared, logged, replayed and fuzzed.
import type { SectionData, SectionKey } from '../../supabase/functions/_shared/schema.ts';
import type { ConflictInfo, ResolveChoice, SectionView } from '../protocol.ts';

/** `planId/sectionKey`: the identity of a section inside the engine, host and store. */
export type SectionId = string;
export const sectionId = (planId: string, sectionKey: SectionKey): SectionId =>
  `${planId}/${sectionKey}`;

export type TimerName = 'debounce' | 'retry';

/** Why a save or load did not go through. */
export type Failure =
  | { kind: 'network'; message: string }
  | {
      kind: 'server';
      status: number;
      message: string;
      /** The server's `Retry-After`, in ms (429/503): the retry waits at least that long (R10). */
      retryAfterMs?: number;
    }
  | { kind: 'unauthorized' }
  | { kind: 'rejected'; status: number; message: string };

/** What currently stops a section from saving by itself. */
export type Blocker =
  /** Network/5xx/429: a retry timer is armed (or its retry is in flight). */
  | { kind: 'offline' }
  /** 401: waits for an auth change; `refreshing` while a tab refreshes the session (R11). */
  | { kind: 'unauthorized'; refreshing?: boolean }
  /** Another 4xx: waits for the next edit or an auth change. */
  | { kind: 'rejected'; message: string };

export interface ServerCopy {
  version: number;
  data: SectionData;
}

export interface InFlight {
  mutationId: string;
  /** The version the request carried (the server copy's version when it was sent). */
  version: number;
  /** The whole local data it sent. */
  data: SectionData;
  /** The pending fields it carried. */
  fields: readonly string[];
}

export interface SectionState {
  id: SectionId;
  planId: string;
  sectionKey: SectionKey;
  /** `loading` until the server copy is known (loaded, or known never saved). */
  phase: 'loading' | 'ready';
  /** Identity of the latest load request; answers to older ones are ignored (R17). */
  loadId: number;
  /** What the server is known to hold. */
  server: ServerCopy;
  /** The server copy with every pending field applied: what the tabs show (R1). */
  local: SectionData;
  /** Fields whose local value is not known to be on the server yet. */
  pending: readonly string[];
  /** The one save in flight (R5), or null. */
  inFlight: InFlight | null;
  /** Pending fields edited after the in-flight save was sent: they wait for the next save. */
  editedInFlight: readonly string[];
  /** flush-now arrived during a flight: save what is left as soon as it answers. */
  flushAfterFlight: boolean;
  conflict: ConflictInfo | null;
  blocker: Blocker | null;
  /** Consecutive failed attempts (network/5xx/429), for the backoff. */
  attempt: number;
  /** The section's one armed timer, if any. */
  timer: TimerName | null;
  /**
   * Hashes of payloads sent on top of `server.version` whose outcome is unknown (network error,
   * worker restart): a 409 carrying one of them is our own earlier write (R8).
   */
  unconfirmed: readonly string[];
  /** Subscribed tabs, in subscription order. */
  tabs: readonly string[];
  /** The tab that typed last: a conflict's dialog opens there (M8). */
  author?: string | null;
  /**
   * The last save sent whose outcome is unknown (R18): a retry of the same data on the same
   * version reuses its mutation id, so a save that landed is answered 200, not 409.
   */
  lastAttempt?: SaveAttempt | null;
  /** R20: this worker retired; what is unsaved waits on the device for the newer worker. */
  retired?: boolean;
  /** R21: other copies' clashing edits waiting for the open conflict to be decided first. */
  queued?: readonly OtherSide[];
}

/**
 * R21: edits of some fields made by another copy of the app on this device (an adopted outbox, a
 * tab's edit typed on a value that changed since), with the value each was typed on. A key absent
 * from `base`/`theirs` means the field was absent on that side.
 */
export interface OtherSide {
  fields: readonly string[];
  base: SectionData;
  theirs: SectionData;
}

/** One save attempt's identity: what the server compares to its last applied mutation id. */
export interface SaveAttempt {
  mutationId: string;
  version: number;
  /** jsonHash of the data it carried. */
  hash: string;
}

export interface EngineState {
  sections: Readonly<Record<SectionId, SectionState>>;
  /** Worker-wide edit sequence: the number of the last edit applied (protocol `seq`). */
  editSeq: number;
  /** Counter for mutation and load identities. */
  idSeq: number;
  /** State of the seeded generator used for jitter. */
  rng: number;
  /**
   * R11: a 401 asks a tab to refresh the session once (`asked`); once a new token came (or the
   * refresh failed) it is `used` until a request succeeds again.
   */
  sessionRefresh?: 'unused' | 'asked' | 'used';
  /** Makes mutation ids unique across workers and restarts (the host passes its worker id). */
  idPrefix?: string;
  /** R20: a worker of a newer protocol runs: this one keeps edits on the device, saves nothing. */
  retired?: boolean;
  /** R4: the save window in ms when a test set one (docs/testing.md); else SAVE_DEBOUNCE_MS. */
  debounceMs?: number;
}

/** What the durable outbox keeps of a section with unsaved edits. */
export interface OutboxContent {
  /** Version of the server copy the fields are based on. */
  baseVersion: number;
  /** The pending fields' local values. */
  fields: SectionData;
  conflict: ConflictInfo | null;
  unconfirmed: readonly string[];
  /** The save in flight or of unknown outcome, so a restarted worker resends it as is (R18). */
  attempt?: SaveAttempt | null;
  /** R21: other copies' clashing edits waiting for the open conflict. */
  queued?: readonly OtherSide[];
}

/** A section as the store gives it back after a worker restart. */
export interface RestoredSection {
  planId: string;
  sectionKey: SectionKey;
  server: ServerCopy;
  outbox: OutboxContent;
}

export type Input =
  | { type: 'open'; tab: string; planId: string; sectionKey: SectionKey }
  | { type: 'loaded'; id: SectionId; loadId: number; section: ServerCopy | null }
  | { type: 'load-failed'; id: SectionId; loadId: number; failure: Failure }
  /** U3: the plan doesn't exist or isn't this user's (a 404, and its plan list a 404 too). */
  | { type: 'load-denied'; id: SectionId; loadId: number }
  /** U7: the plan's section list answered 404 while the section was open: it was deleted. */
  | { type: 'plan-gone'; id: SectionId }
  | {
      type: 'edit';
      tab: string;
      planId: string;
      sectionKey: SectionKey;
      fields: SectionData;
      /** R21: each field's value in the tab before the keystroke (null: empty). */
      base?: Readonly<Record<string, unknown>>;
    }
  | { type: 'timer'; id: SectionId; name: TimerName }
  | { type: 'flush-now' }
  | { type: 'saved'; id: SectionId; mutationId: string; section: ServerCopy }
  | {
      type: 'save-conflict';
      id: SectionId;
      mutationId: string;
      serverVersion: number;
      serverData: SectionData;
    }
  | { type: 'save-failed'; id: SectionId; mutationId: string; failure: Failure }
  | { type: 'auth-changed'; signedIn: boolean }
  | { type: 'close'; tab: string; id: SectionId }
  | { type: 'tab-gone'; tab: string }
  | { type: 'resolve'; id: SectionId; choice: ResolveChoice }
  /** A refetch (poll, focus, Realtime) found this server copy (F4, M1–M7). */
  | { type: 'remote'; id: SectionId; section: ServerCopy }
  /** The tab gained focus or became visible: the author works there now (M8). */
  | { type: 'tab-active'; tab: string }
  | { type: 'restore'; sections: readonly RestoredSection[] }
  /** The device is back online (a tab's or the worker's `online` event): retry now (R10). */
  | { type: 'online' }
  /** The session refresh a 401 asked for failed or nobody answered in time (R11). */
  | { type: 'auth-refresh-failed' }
  /** R20: a worker of a newer protocol version runs: stop saving, for good. */
  | { type: 'retire' }
  /** Tests only (a hello with test hooks, docs/testing.md): the R4 save window from now on. */
  | { type: 'test-debounce'; ms: number };

export interface SaveRequest {
  planId: string;
  sectionKey: SectionKey;
  data: SectionData;
  version: number;
}

export type Effect =
  /**
   * Write to the durable store. `snapshot`/`outbox`: undefined = leave as is, null = delete.
   * The host acknowledges an edit only once this is committed (R3).
   */
  | {
      type: 'persist';
      id: SectionId;
      planId: string;
      sectionKey: SectionKey;
      snapshot?: ServerCopy | null;
      outbox?: OutboxContent | null;
    }
  | { type: 'load'; id: SectionId; loadId: number; planId: string; sectionKey: SectionKey }
  | {
      type: 'patch';
      tabs: readonly string[];
      planId: string;
      sectionKey: SectionKey;
      fields: SectionData;
      origin: string;
      seq: number;
    }
  | { type: 'view'; tabs: readonly string[]; view: SectionView; seq: number }
  | { type: 'arm-timer'; id: SectionId; name: TimerName; ms: number }
  | { type: 'clear-timer'; id: SectionId; name: TimerName }
  | { type: 'save'; id: SectionId; mutationId: string; request: SaveRequest }
  /** R11: ask one tab to refresh the session; no new token within `timeoutMs` → refresh failed. */
  | { type: 'refresh-auth'; timeoutMs: number };

export interface StepResult {
  state: EngineState;
  effects: Effect[];
}
