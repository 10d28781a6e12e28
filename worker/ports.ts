// The host's small windows on the outside world. The engine never sees these; the host calls
// them to carry out effects. Real adapters and in-memory fakes live in adapters/.
import type { PlanSection, SectionData, SectionKey } from '../supabase/functions/_shared/schema.ts';
import type { ConflictInfo, TabEvent } from './protocol.ts';

/** Where to send requests and as whom. Kept in memory only: a token is never persisted. */
export interface Credentials {
  functionsUrl: string;
  accessToken: string | null;
}

export interface SaveSectionArgs {
  planId: string;
  sectionKey: SectionKey;
  data: SectionData;
  version: number;
  /** R18: the save attempt's identity; the server answers a replay of its last one with 200. */
  mutationId?: string;
}

/** Anything a request can come to, as data. An Api never throws. */
export type LoadOutcome =
  | { kind: 'found'; section: PlanSection }
  /** 404, and the plan's listing answered 200: the caller's plan, this section never saved. */
  | { kind: 'not-found' }
  /** 404, and the plan's listing too: the plan doesn't exist or isn't the caller's (U3). */
  | { kind: 'not-available' }
  | { kind: 'unauthorized' }
  | { kind: 'rejected'; status: number; message: string }
  /** Network error, timeout, 5xx, 429 or an answer that makes no sense: worth retrying. */
  | { kind: 'unavailable'; status?: number; message: string; retryAfterMs?: number };

export type SaveOutcome =
  | { kind: 'saved'; section: PlanSection }
  | { kind: 'conflict'; serverVersion: number; serverData: SectionData }
  | { kind: 'not-found'; message: string }
  | { kind: 'unauthorized' }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'unavailable'; status?: number; message: string; retryAfterMs?: number };

export interface Api {
  getSection(auth: Credentials, planId: string, sectionKey: SectionKey): Promise<LoadOutcome>;
  saveSection(auth: Credentials, request: SaveSectionArgs): Promise<SaveOutcome>;
}

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The last server copy known for a section (the base of its pending edits). */
export interface SnapshotRecord {
  /** `recordId(owner, planId, sectionKey, user)` */
  id: string;
  /** The worker that wrote it (see Liveness: records of a live worker are not adopted). */
  owner: string;
  /**
   * U1: the user (token `sub`) whose copy it is. Absent only in records of the previous build:
   * those stay sealed until the server shows a user may read the plan (U6).
   */
  user?: string;
  planId: string;
  sectionKey: SectionKey;
  version: number;
  data: SectionData;
  updatedAt: number;
}

/** The unsaved edits of a section: its pending fields' values, on top of the snapshot. */
export interface OutboxRecord {
  id: string;
  owner: string;
  /** U1: whose edits they are (absent: the previous build's, sealed until U6 attributes them). */
  user?: string;
  planId: string;
  sectionKey: SectionKey;
  baseVersion: number;
  fields: SectionData;
  conflict: ConflictInfo | null;
  /** Hashes of payloads sent whose answer never came (see the engine, R8). */
  unconfirmed: string[];
  /** The save sent whose outcome is unknown, resent as is after a restart (R18). */
  attempt?: { mutationId: string; version: number; hash: string } | null;
  /** R21: other copies' clashing edits waiting for the open conflict (absent in older records). */
  queued?: readonly { fields: readonly string[]; base: SectionData; theirs: SectionData }[];
  updatedAt: number;
}

export type StoreOp =
  | { op: 'put-snapshot'; record: SnapshotRecord }
  | { op: 'delete-snapshot'; id: string }
  | { op: 'put-outbox'; record: OutboxRecord }
  | { op: 'delete-outbox'; id: string };

/** Durable storage: section snapshots and the outbox. */
export interface Store {
  /** Applies the ops in order, all or nothing; resolves once they are committed. */
  apply(ops: readonly StoreOp[]): Promise<void>;
  getSnapshot(id: string): Promise<SnapshotRecord | undefined>;
  getOutbox(id: string): Promise<OutboxRecord | undefined>;
  /** Every valid record (records that fail validation are left out and reported). */
  restoreAll(): Promise<{ snapshots: SnapshotRecord[]; outbox: OutboxRecord[] }>;
}

/** U1: one record per worker, user and section (the previous build's ids had no user). */
export const recordId = (owner: string, planId: string, sectionKey: SectionKey, user?: string) =>
  user === undefined
    ? `${owner}|${planId}/${sectionKey}`
    : `${owner}|${user}|${planId}/${sectionKey}`;

/** One connected tab's event channel. `send` never throws and never waits. */
export interface TabLink {
  send(event: TabEvent): void;
  /** The tab is gone: release whatever the link holds. */
  close(): void;
}

/** Who is alive: tabs (to unsubscribe closed ones) and workers (deploy skew, restarts). */
export interface Liveness {
  /** Holds this worker's lock for its whole life. */
  holdWorker(workerId: string): void;
  /** Whether a worker with that id still runs (e.g. another script version during a deploy). */
  isWorkerAlive(workerId: string): Promise<boolean>;
  /** Resolves once that worker is gone (R20: adopt a retired worker's records then). */
  whenWorkerGone?(workerId: string): Promise<void>;
  /** Calls `onGone` once, when the tab has closed, navigated away or crashed. Returns a cancel. */
  watchTab(tabId: string, onGone: () => void): () => void;
}

/**
 * R23: the profile's engine lock (the Web Lock `mpfs-engine`), held by the one engine that takes
 * edits. `request` queues for it; `onGranted` runs once it is held, and it stays held until
 * `release()` (which also withdraws a request not granted yet) or the engine ends.
 */
export interface EngineLock {
  /**
   * Asks for the lock; `steal` takes it from its holder at once (R23: a frozen holder). `onLost`:
   * the lock, once granted, was taken by another engine's steal.
   */
  request(
    onGranted: () => void,
    options?: { steal?: boolean; onLost?: () => void },
  ): { release(): void };
}
