// Everything that crosses the boundary between a tab and the worker. Bump PROTOCOL_VERSION on any
// incompatible change: a tab and a worker of different versions refuse to talk (see docs/).
import { z } from 'zod';
import {
  SectionDataSchema,
  SectionKeySchema,
  type SectionData,
  type SectionKey,
} from '../supabase/functions/_shared/schema.ts';
import type { FreshnessSignal } from './engine/freshness.ts';

export type { FreshnessSignal };

/**
 * 2: session refresh, `online`, reconnects. 3: local data keyed by user (U1–U6): `setAuth(null)`
 * means that user signed out, records carry the user, `signed-out` and NOT_AVAILABLE. A build
 * made with VITE_PROTOCOL_OFFSET adds to it: the two-builds e2e test makes a "newer deploy" that
 * way.
 */
export const PROTOCOL_VERSION =
  3 +
  (Number(
    (import.meta as { env?: Record<string, string | undefined> }).env?.VITE_PROTOCOL_OFFSET,
  ) || 0);

/** The contract's `data-state` values of `[data-testid="save-status"]`. */
export const SAVE_STATUS = {
  saved: 'saved',
  pending: 'pending',
  saving: 'saving',
  savedLocally: 'saved-locally',
  conflict: 'conflict',
  error: 'error',
} as const;
export type SaveStatus = (typeof SAVE_STATUS)[keyof typeof SAVE_STATUS];
export const SaveStatusSchema = z.enum([
  SAVE_STATUS.saved,
  SAVE_STATUS.pending,
  SAVE_STATUS.saving,
  SAVE_STATUS.savedLocally,
  SAVE_STATUS.conflict,
  SAVE_STATUS.error,
]);

/** A view's `message` the app words on its own ("Sign in again to save"); the engine sends it. */
/**
 * U7: the words of a view whose plan was deleted while it was open (an `error`); the app shows its
 * "not available" page for it.
 */
export const PLAN_GONE_MESSAGE =
  "This plan isn't available to you any more: it was deleted (in another tab or on another device). Nothing more can be saved to it, and edits here not yet saved were discarded with it. Go back to your plans.";
export const SESSION_EXPIRED_MESSAGE =
  'Your session expired — sign in again; your edits are kept on this device.';

/** Codes of expected failures between tab and worker; they cross Comlink as data. */
export const WORKER_CODES = {
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
  BAD_MESSAGE: 'BAD_MESSAGE',
  NOT_CONNECTED: 'NOT_CONNECTED',
  NOT_OPEN: 'NOT_OPEN',
  NO_CONFLICT: 'NO_CONFLICT',
  /** R20: this worker was replaced (newer version or another engine): the tab must reload. */
  READ_ONLY: 'READ_ONLY',
  /** R23: this engine gave way to the profile's SharedWorker: connect there and send it again. */
  HANDED_OVER: 'HANDED_OVER',
  /** The plan doesn't exist or isn't this user's, and the device holds nothing of theirs for it. */
  NOT_AVAILABLE: 'NOT_AVAILABLE',
  TIMEOUT: 'TIMEOUT',
  WORKER_FAILED: 'WORKER_FAILED',
} as const;
export type WorkerCode = (typeof WORKER_CODES)[keyof typeof WORKER_CODES];

export type WorkerResult<T> =
  { ok: true; value: T } | { ok: false; code: WorkerCode; message: string };

export interface ConflictInfo {
  serverVersion: number;
  /** The other side: the server's data, or (`source: 'device'`) another copy's edits (R21). */
  serverData: SectionData;
  /** What both sides started from; absent: the engine's server copy (R8). */
  base?: SectionData;
  /**
   * `device`: the clash is with edits made on this device by another copy of the app (an older
   * worker's outbox, or a tab's edit typed on a value that changed since, R21), not the server.
   */
  source?: 'device';
}

/** One field both devices changed differently (docs/merge-rules.md, M4/M5). */
export interface ConflictField {
  field: string;
  /** undefined: absent on that side. */
  mine: unknown;
  theirs: unknown;
  /** Long text: the lines both sides changed differently. */
  overlaps?: { base: string; mine: string; theirs: string }[];
  /**
   * M7: exactly what each button saves for this field (undefined: the field is removed). Absent
   * from a worker of the previous build (same protocol version): the dialog then omits it.
   */
  saves?: { refresh: unknown; overwrite: unknown };
}

/** What a tab shows of a conflict: the fields to decide, and where the dialog opens by itself. */
export interface ConflictView extends ConflictInfo {
  fields: ConflictField[];
  /** The tab the author last typed in: the dialog opens there; other tabs offer to open it. */
  authorTab: string | null;
}

/** What a tab shows of one section. */
export interface SectionView {
  planId: string;
  sectionKey: SectionKey;
  /** The server copy with every local edit applied: what the fields show. */
  data: SectionData;
  /** The server version the local edits are based on. */
  serverVersion: number;
  status: SaveStatus;
  /** Words for the status when it needs more than the status name (errors, conflicts). */
  message: string | null;
  conflict: ConflictView | null;
  /** open()'s answer only: the last edit seq it includes (views carry theirs beside them). */
  seq?: number;
  /**
   * ISO time of the last save of this section the server confirmed (its `updated_at`), as the host
   * last heard it; absent when none is known yet (never saved, or an older worker). Additive.
   */
  savedAt?: string;
}

export type TabEvent =
  /** Field values changed by another tab or by the server; apply them as they are. */
  | {
      type: 'patch';
      planId: string;
      sectionKey: SectionKey;
      fields: SectionData;
      origin: string;
      /** The worker's edit sequence number of this change (see `edit`'s answer). */
      seq: number;
    }
  /** The whole view, sent after anything but a plain edit (load, save, conflict, resolve). */
  | { type: 'view'; view: SectionView; /** the last edit seq the view includes */ seq: number }
  /** The worker can't serve this tab any more (protocol change): the tab must reload. */
  | { type: 'reload'; reason: string }
  /** R23: this engine gave way to the profile's SharedWorker: the tab reconnects there. */
  | { type: 'hand-over'; reason: string }
  /** R11: a save got 401: renew the session (supabase `refreshSession()`) and `setAuth` it. */
  | { type: 'refresh-session' }
  /** The user this tab's session is bound to signed out on this profile: leave the editor. */
  | { type: 'signed-out'; userId: string }
  /**
   * R24: the status of every section the worker holds for this tab's user (open in any tab, or
   * unsaved), whole, whenever one changes and when the tab binds. Additive: older tabs ignore it.
   */
  | SectionStatusesEvent;

/** R24: one section's status as the navigation shows it. */
export const SectionStatusEntrySchema = z.object({
  planId: z.uuid(),
  sectionKey: SectionKeySchema,
  status: SaveStatusSchema,
});
export type SectionStatusEntry = z.infer<typeof SectionStatusEntrySchema>;
/** A tab validates it before showing it (the worker may be another build). */
export const SectionStatusesEventSchema = z.object({
  type: z.literal('statuses'),
  sections: z.array(SectionStatusEntrySchema).max(10_000),
});
export type SectionStatusesEvent = z.infer<typeof SectionStatusesEventSchema>;

export interface Hello {
  protocolVersion: number;
  tabId: string;
  /** Base URL of the Edge Functions, e.g. `http://localhost:54321/functions/v1`. */
  functionsUrl: string;
  accessToken: string | null;
  /** Test builds only: allow `testHook()` calls on this session (see docs/durability.md). */
  testHooks?: boolean;
  /** Tests only, honoured with `testHooks`: the worker's R4 save window in ms (docs/testing.md). */
  testDebounceMs?: number;
}

/** What `testHook()` can do: measure, or make the worker go away as a crash would. */
export const TestHookSchema = z.enum(['durability-stats', 'terminate']);
export type TestHook = z.infer<typeof TestHookSchema>;

/**
 * Each tab holds the Web Lock `tabLockName(tabId)` for its whole life, requested BEFORE `hello`
 * (the worker's own request for it then queues behind the tab's and is granted only when the tab
 * is gone: closed, navigated away or crashed). Added with the worker (lead: additive only).
 */
export const TAB_LOCK_PREFIX = 'mpfs-tab:';
export const tabLockName = (tabId: string) => `${TAB_LOCK_PREFIX}${tabId}`;
/** Held by a running worker for its whole life: records of a live worker are not adopted. */
export const workerLockName = (workerId: string) => `mpfs-worker:${workerId}`;
/** R19: held by a worker around each save, so one worker writes for a user at a time. */
export const writerLockName = (userId: string) => `writer:${userId}`;

/** R20: workers of one origin say which protocol they speak here; the older one retires. */
export const WORKERS_CHANNEL = 'mpfs-workers';
export const WorkerAnnounceSchema = z.object({
  type: z.literal('announce'),
  workerId: z.string().min(1).max(100),
  protocolVersion: z.number().int(),
  /** R23 (absent from the build before it): how the engine is reached and when it started. */
  transport: z.enum(['shared', 'dedicated']).optional(),
  startedAt: z.number().optional(),
});

export const HelloSchema = z.object({
  protocolVersion: z.number().int(),
  tabId: z.string().min(1).max(100),
  functionsUrl: z.string().url(),
  accessToken: z.string().nullable(),
  testHooks: z.boolean().optional(),
  testDebounceMs: z.number().int().min(1).max(600_000).optional(),
});
export const OpenArgsSchema = z.object({ planId: z.uuid(), sectionKey: SectionKeySchema });
export const EditArgsSchema = OpenArgsSchema.extend({
  fields: SectionDataSchema,
  /** R21: each field's value in the tab before this keystroke (null: empty); optional. */
  base: z.record(z.string(), z.unknown()).nullish(),
});
export const AccessTokenSchema = z.string().min(1).nullable();
/** What a tab reports so the worker refetches other devices' saves (docs/merge-rules.md, F2). */
export const FreshnessSignalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('visibility'), visible: z.boolean() }),
  z.object({ kind: z.literal('focus') }),
  z.object({ kind: z.literal('online') }),
  z.object({ kind: z.literal('remote-change'), planId: z.uuid() }),
  z.object({ kind: z.literal('realtime'), planId: z.uuid(), live: z.boolean() }),
]) satisfies z.ZodType<FreshnessSignal>;
export const ResolveChoiceSchema = z.enum(['refresh', 'overwrite']);
export type ResolveChoice = z.infer<typeof ResolveChoiceSchema>;

/** The object a tab reaches through Comlink: one session per connected tab. */
export interface WorkerSessionApi {
  hello(
    hello: Hello,
    listener: (event: TabEvent) => void,
  ): Promise<WorkerResult<{ workerId: string; protocolVersion: number }>>;
  setAuth(accessToken: string | null): Promise<WorkerResult<null>>;
  /** Subscribe this tab to a section; answers once the section is loaded (or known new). */
  open(planId: string, sectionKey: SectionKey): Promise<WorkerResult<SectionView>>;
  close(planId: string, sectionKey: SectionKey): Promise<WorkerResult<null>>;
  /**
   * Apply field values typed in this tab; other tabs get a `patch`, the save is debounced.
   * Every applied edit gets the next number of one worker-wide sequence, returned here and carried
   * by patches and views, so a tab can tell whether another tab's change came before or after its own.
   */
  edit(
    planId: string,
    sectionKey: SectionKey,
    fields: SectionData,
    /** R21: each field's value in this tab before the keystroke (null: empty). */
    base?: Record<string, unknown>,
  ): Promise<WorkerResult<{ status: SaveStatus; seq: number }>>;
  resolveConflict(
    planId: string,
    sectionKey: SectionKey,
    choice: ResolveChoice,
  ): Promise<WorkerResult<null>>;
  /** Save every pending edit now instead of waiting for the debounce (tab hiding, tests). */
  flush(): Promise<WorkerResult<null>>;
  /** Visibility, focus, online and Realtime news from this tab: the worker refetches (F2, F5). */
  freshen(signal: FreshnessSignal): Promise<WorkerResult<null>>;
  /** The tab saw `online`: whatever waits for a retry goes now (R10). */
  online(): Promise<WorkerResult<null>>;
  /** The tab could not renew the session it was asked to (`refresh-session`, R11). */
  refreshFailed(): Promise<WorkerResult<null>>;
  /** Tests only (hello with `testHooks`): edit→durable samples in ms, or terminate the worker. */
  testHook(hook: TestHook): Promise<WorkerResult<unknown>>;
}
