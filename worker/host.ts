// The worker's shell: owns one engine state per user (U1), one session per connected tab, the
// timers and each user's credentials; feeds inputs to the pure engine and carries out its effects
// in order. The only code in worker/ that touches the store, the network, timers, locks and tabs
// (through ports).
import { z } from 'zod';
import {
  findSectionDataProblem,
  type PlanSection,
  type SectionKey,
} from '../supabase/functions/_shared/schema.ts';
import {
  MESSAGES,
  initialState,
  sectionId,
  sectionStatuses,
  statusOf,
  step,
  viewOf,
  type Effect,
  type EngineState,
  type Failure,
  type Input,
  type RestoredSection,
  type SectionId,
  type SectionState,
  type TimerName,
} from './engine/index.ts';
import { realClock } from './adapters/clock.ts';
import { userOf } from './user.ts';
import { functionTabLink, type Listener } from './adapters/tab-link.ts';
import {
  Freshener,
  FreshnessSignalSchema,
  type FreshnessSignal,
  type PlanFeed,
} from './freshener.ts';
import {
  STEAL_AFTER_MS,
  engineLockStep,
  initialEngineLock,
  type EngineLockEffect,
  type EngineLockInput,
  type EngineLockState,
  type EngineRank,
  type EngineTransport,
  type PeerAnnounce,
  type RetireReason,
} from './engine-lock.ts';
import { decideLife, initialLife, LIFE_CHECK_MS, sendingSections, type Life } from './lifecycle.ts';
import {
  recordId,
  type Api,
  type Clock,
  type Credentials,
  type EngineLock,
  type Liveness,
  type LoadOutcome,
  type OutboxRecord,
  type SaveOutcome,
  type SnapshotRecord,
  type Store,
  type StoreOp,
  type TabLink,
  type TimerHandle,
} from './ports.ts';
import {
  AccessTokenSchema,
  EditArgsSchema,
  HelloSchema,
  OpenArgsSchema,
  PROTOCOL_VERSION,
  ResolveChoiceSchema,
  TestHookSchema,
  WORKER_CODES,
  writerLockName,
  type Hello,
  type ResolveChoice,
  type SaveStatus,
  type SectionView,
  type TabEvent,
  type TestHook,
  type WorkerCode,
  type WorkerResult,
  type WorkerSessionApi,
} from './protocol.ts';

export interface HostOptions {
  api: Api;
  store: Store;
  clock?: Clock;
  /** Tab and worker liveness (Web Locks in the browser). Without it, tabs are never noticed gone. */
  liveness?: Liveness;
  /** Wraps a tab's listener into a TabLink (Comlink-aware in the SharedWorker). */
  linkFor?: (listener: Listener) => TabLink;
  /** Conditional plan fetches for freshness (F1–F6). Without it, sections are never refetched. */
  feed?: PlanFeed;
  /** Seed of the jitter generator (tests pass a fixed one). */
  seed?: number;
  workerId?: string;
  log?: (message: string, detail?: unknown) => void;
  /**
   * Runs `save` holding the Web Lock `name` (`writerLockName(user)`), so across script versions
   * only one worker has a save in flight per user at a time. Without it saves run unguarded.
   */
  writerLock?: <T>(name: string, save: () => Promise<T>) => Promise<T>;
  /** Ends the worker (SharedWorker: self.close()): R22 and the test hook `terminate`. */
  terminate?: () => void;
  /** Group commit: edits arriving while a store write commits share the next write (default on). */
  batchWrites?: boolean;
  /**
   * R23: the profile's engine lock; this engine takes edits only while it holds it. Without it
   * the engine writes at once (tests of a single engine).
   */
  engineLock?: EngineLock;
  /** R23: how tabs reach this engine (default `shared`). */
  transport?: EngineTransport;
  /** R20, R23: says who this engine is on the workers' channel. */
  announce?: (announcement: { type: 'announce' } & EngineRank) => void;
}

/** How many edit→durable samples the host keeps for the `durability-stats` test hook. */
const DURABILITY_SAMPLES = 5_000;

const noLiveness: Liveness = {
  holdWorker: () => {},
  isWorkerAlive: async () => false,
  watchTab: () => () => {},
};

interface SessionContext {
  tabId: string | null;
  testHooks?: boolean;
  /** U1: the user of the token this session gave last (hello or setAuth); null: signed out. */
  user: string | null;
}

export { userOf };

/** U1: timers, waiters and denials are per user and section. */
const userKey = (user: string, id: string) => `${user}|${id}`;
/** The part after the last `|` of a userKey (plan and section ids never hold one). */
const splitKey = (key: string) => {
  const at = key.lastIndexOf('|');
  return { user: key.slice(0, at), id: key.slice(at + 1) };
};

const ok = <T>(value: T): WorkerResult<T> => ({ ok: true, value });
const fail = (
  code: WorkerCode,
  message: string,
): { ok: false; code: WorkerCode; message: string } => ({
  ok: false,
  code,
  message,
});
const badMessage = (what: string, error: z.ZodError) =>
  fail(
    WORKER_CODES.BAD_MESSAGE,
    `${what}: ${error.issues
      .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ')}`,
  );
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs a session call; nothing thrown ever crosses Comlink (it becomes WORKER_FAILED). */
async function guard<T>(
  log: (message: string, detail?: unknown) => void,
  what: string,
  call: () => Promise<WorkerResult<T>> | WorkerResult<T>,
): Promise<WorkerResult<T>> {
  try {
    return await call();
  } catch (error) {
    log(`${what} failed`, error);
    return fail(
      WORKER_CODES.WORKER_FAILED,
      `The sync worker failed on "${what}" (${errorText(error)}). Reload the page.`,
    );
  }
}

export class SyncHost {
  readonly workerId: string;
  /** Resolves once the store has been read back and restored sections handed to the engine. */
  readonly ready: Promise<void>;

  /** U1: one engine state per user; the counters below are shared, worker-wide. */
  private readonly engines = new Map<string, EngineState>();
  /** R1, R17, R18: edit seq, id counter and jitter seed, shared by every user's engine. */
  private counters: { editSeq: number; idSeq: number; rng: number };
  private readonly idPrefix: string;
  private isReady = false;
  private stopped = false;
  /** Base URL of the functions (the last hello's). */
  private functionsUrl: string | null = null;
  /** U2: each user's current token, in memory only; dropped the moment that user signs out. */
  private readonly tokens = new Map<string, string>();
  /** Connected tabs' sessions by tab id (U1: who each one is signed in as). */
  private readonly sessions = new Map<string, SessionContext>();
  /** U3: sections whose last load said the plan isn't this user's (userKey). */
  private readonly denied = new Set<string>();
  /** U7: sections whose plan's list answered 404 while they were open (userKey). */
  private readonly gone = new Set<string>();
  /** userKey → ISO time the server last confirmed a save of that section (the view's savedAt). */
  private readonly savedAt = new Map<string, string>();
  /** R24: the statuses last sent to each user's tabs, as JSON. */
  private readonly statusesSent = new Map<string, string>();
  /** U6: the previous build's unsaved edits (no user): sealed until a user proves the plan. */
  private readonly legacy = new Map<string, { outbox: OutboxRecord; snapshot?: SnapshotRecord }>();
  /** U6: plans a user's read proved theirs (plan id → user). */
  private readonly proven = new Map<string, string>();
  /** U6: legacy records already given to a user (their deletion may not have committed yet). */
  private readonly legacyTaken = new Set<string>();
  private readonly links = new Map<string, TabLink>();
  private readonly unwatch = new Map<string, () => void>();
  private readonly timers = new Map<string, { name: TimerName; handle: TimerHandle }>();
  private readonly waiters = new Map<string, Array<(s: SectionState | undefined) => void>>();
  /** Store writes run one after another, in effect order. Never rejects. */
  private writes: Promise<void> = Promise.resolve();
  /** The write still collecting ops (group commit): it starts when the previous one is done. */
  private batch: { ops: StoreOp[]; done: Promise<void> } | null = null;
  /** edit() calls until their write committed, in ms (test hook `durability-stats`). */
  private readonly durableMs: number[] = [];
  /** Store transactions started (test hook `durability-stats`: keystrokes per transaction). */
  private storeWrites = 0;
  /** Per user: a refresh-session request waiting for a new token (R11). */
  private readonly refreshTimers = new Map<string, TimerHandle>();
  /** Set once a worker of a newer protocol runs (R20): the words the tabs are told. */
  private retiredReason: string | null = null;
  /** R23: retired in favour of the SharedWorker: its tabs reconnect there (HANDED_OVER). */
  private handedOver = false;
  /** R23: whether this engine writes for the profile (worker/engine-lock.ts decides). */
  private lockState: EngineLockState;
  private lockHandle: { release(): void } | null = null;
  /** R23: fires STEAL_AFTER_MS after asking for the lock, for a holder that never answers. */
  private stealTimer: TimerHandle | null = null;
  /** Resolves once the lock is ours (true) or another engine outranks this one (false). */
  private readonly decided: Promise<boolean>;
  private decide: (serving: boolean) => void = () => {};
  /** Test builds only (hello with testHooks): the save window every user's engine starts with. */
  private testDebounceMs: number | undefined;
  /** R22: whether this worker may end yet (worker/lifecycle.ts). */
  private life: Life = initialLife;
  private lifeTimer: TimerHandle | null = null;
  private lastConnectAt: number | null = null;
  /** Workers of another protocol this one has heard of (R20). */
  private readonly peers = new Set<string>();
  /** Live workers whose records this one adopts once they are gone (R16, R20). */
  private readonly awaited = new Set<string>();
  /** Requests and writes under way (for idle()). */
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly freshener: Freshener | null = null;

  private readonly api: Api;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly liveness: Liveness;
  private readonly linkFor: (listener: Listener) => TabLink;
  private readonly log: (message: string, detail?: unknown) => void;
  private readonly writerLock: NonNullable<HostOptions['writerLock']>;
  private readonly terminate: (() => void) | undefined;
  private readonly batchWrites: boolean;
  private readonly engineLock: EngineLock | undefined;
  private readonly announceTo: HostOptions['announce'];

  constructor(options: HostOptions) {
    this.api = options.api;
    this.store = options.store;
    this.clock = options.clock ?? realClock;
    this.liveness = options.liveness ?? noLiveness;
    this.linkFor = options.linkFor ?? functionTabLink;
    this.log = options.log ?? ((message, detail) => console.warn(`[mpfs-sync] ${message}`, detail));
    this.workerId = options.workerId ?? crypto.randomUUID();
    this.writerLock = options.writerLock ?? ((_name, save) => save());
    this.terminate = options.terminate;
    this.batchWrites = options.batchWrites ?? true;
    this.engineLock = options.engineLock;
    this.announceTo = options.announce;
    this.lockState = initialEngineLock({
      workerId: this.workerId,
      protocolVersion: PROTOCOL_VERSION,
      transport: options.transport ?? 'shared',
      startedAt: this.clock.now(),
    });
    this.decided = new Promise((resolve) => (this.decide = resolve));
    // R18: mutation ids carry the worker id, so no two workers (or restarts) ever share one; the
    // id counter is shared by every user's engine, so no two users of this worker share one.
    const seeded = initialState(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.counters = { editSeq: seeded.editSeq, idSeq: seeded.idSeq, rng: seeded.rng };
    this.idPrefix = `${this.workerId}:`;
    this.ready = this.start();
    if (options.feed)
      this.freshener = new Freshener({
        feed: options.feed,
        clock: this.clock,
        // U1: a plan is fetched as the user whose copy is open, with that user's token.
        credentials: (plan) => this.credentialsOf(splitKey(plan).user),
        planIdOf: (plan) => splitKey(plan).id,
        openPlans: () =>
          [...this.engines].flatMap(([user, state]) =>
            Object.values(state.sections)
              .filter((s) => s.tabs.length > 0)
              .map((s) => userKey(user, s.planId)),
          ),
        onSections: (plan, sections) => {
          const { user, id } = splitKey(plan);
          return this.remoteSections(user, id, sections);
        },
        onPlanGone: (plan) => {
          const { user, id } = splitKey(plan);
          this.planGone(user, id);
        },
        track: (task) => this.track(task),
      });
  }

  /**
   * F4: every fetched section this user has open goes to the engine, which decides. False when
   * one was still loading (its load may be older than this answer): the ETag must not be kept.
   */
  private remoteSections(user: string, planId: string, sections: readonly PlanSection[]): boolean {
    let absorbed = true;
    for (const section of sections) {
      const id = sectionId(planId, section.section_key);
      const s = this.engines.get(user)?.sections[id];
      if (section.business_plan_id !== planId || !s) continue;
      if (s.phase === 'loading') absorbed = false;
      void this.dispatch(user, {
        type: 'remote',
        id,
        section: { version: section.version, data: section.data },
      });
    }
    return absorbed;
  }

  /**
   * U7: the plan is gone for this user (its list answered 404): each of its sections here ends,
   * its tabs are told, and opening or typing there again answers NOT_AVAILABLE.
   */
  private planGone(user: string, planId: string): void {
    // Sections still loading are the load's to decide (U3: not this user's, or never saved).
    const open = Object.values(this.engines.get(user)?.sections ?? {}).filter(
      (s) => s.planId === planId && s.phase === 'ready',
    );
    for (const s of open) {
      this.gone.add(userKey(user, s.id));
      void this.dispatch(user, { type: 'plan-gone', id: s.id });
    }
  }

  /** U2: where and as whom to send a request for this user; null once they signed out. */
  private credentialsOf(user: string): Credentials | null {
    const accessToken = this.tokens.get(user);
    return accessToken && this.functionsUrl !== null
      ? { functionsUrl: this.functionsUrl, accessToken }
      : null;
  }

  /** U1: this user's engine state (a new one starts empty, retired if this worker is, R20). */
  private engineOf(user: string): EngineState {
    const known = this.engines.get(user);
    if (known) return known;
    const fresh: EngineState = {
      ...initialState(this.counters.rng, this.idPrefix),
      ...(this.retiredReason !== null ? { retired: true } : {}),
      ...(this.testDebounceMs !== undefined ? { debounceMs: this.testDebounceMs } : {}),
    };
    this.engines.set(user, fresh);
    return fresh;
  }

  /** A new tab connection: expose the result through Comlink (one per MessagePort). */
  createSession(): WorkerSessionApi {
    this.lastConnectAt = this.clock.now();
    return new Session(this);
  }

  /** Every user's sections in one state (tests, debugging; see engineStateOf). */
  get engineState(): EngineState {
    const sections: Record<SectionId, SectionState> = {};
    for (const state of this.engines.values()) Object.assign(sections, state.sections);
    return { ...initialState(this.counters.rng, this.idPrefix), ...this.counters, sections };
  }

  /** U1: one user's engine state (tests, debugging). */
  engineStateOf(user: string): EngineState | undefined {
    return this.engines.get(user);
  }

  /** Resolves once no request or write is under way (tests). */
  async idle(): Promise<void> {
    await this.ready;
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    await this.writes;
  }

  /** Stops acting: timers cleared, answers ignored (tests simulate a worker dying with it). */
  stop(): void {
    this.stopped = true;
    // R23: a worker that stops (dies) frees the profile's engine lock, as its end would.
    this.lockHandle?.release();
    this.lockHandle = null;
    if (this.stealTimer) this.clock.clearTimeout(this.stealTimer);
    for (const { handle } of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    for (const handle of this.refreshTimers.values()) this.clock.clearTimeout(handle);
    this.refreshTimers.clear();
    for (const cancel of this.unwatch.values()) cancel();
    this.unwatch.clear();
    this.freshener?.stop();
  }

  // ---- the engine loop ----------------------------------------------------------------------

  /**
   * Steps the engine and carries out its effects in order. Returns a promise of the step's
   * store writes: null once committed, or the write error (it never rejects).
   */
  private dispatch(user: string, input: Input): Promise<unknown> {
    if (this.stopped) return Promise.resolve(null);
    const { state, effects } = step({ ...this.engineOf(user), ...this.counters }, input);
    this.engines.set(user, state);
    this.counters = { editSeq: state.editSeq, idSeq: state.idSeq, rng: state.rng };
    // R24: before the effects, so a tab's last event of a step stays its view or patch.
    this.statusesMaybeChanged(user);
    const writes: Promise<void>[] = [];
    for (const effect of effects) {
      try {
        const write = this.execute(user, effect);
        if (write) writes.push(write);
      } catch (error) {
        this.log(`effect ${effect.type} failed`, error);
      }
    }
    this.settleWaiters();
    this.freshener?.plansMaybeChanged();
    return Promise.all(writes).then(
      () => null,
      (error: unknown) => error ?? new Error('store write failed'),
    );
  }

  /** Dispatches one input to every user's engine (worker-wide news: online, flush, retire). */
  private dispatchAll(input: Input): Promise<unknown> {
    const results = [...this.engines.keys()].map((user) => this.dispatch(user, input));
    return Promise.all(results).then((errors) => errors.find((e) => e !== null) ?? null);
  }

  private execute(user: string, effect: Effect): Promise<void> | undefined {
    switch (effect.type) {
      case 'persist':
        return this.write(this.persistOps(user, effect));
      case 'load':
        this.track(this.runLoad(user, effect));
        return undefined;
      case 'save':
        this.track(this.runSave(user, effect));
        return undefined;
      case 'patch':
        this.send(effect.tabs, {
          type: 'patch',
          planId: effect.planId,
          sectionKey: effect.sectionKey,
          fields: effect.fields,
          origin: effect.origin,
          seq: effect.seq,
        });
        return undefined;
      case 'view':
        this.send(effect.tabs, {
          type: 'view',
          view: this.withSavedAt(user, effect.view),
          seq: effect.seq,
        });
        return undefined;
      case 'arm-timer': {
        const key = userKey(user, effect.id);
        this.clearTimer(key);
        const { id, name } = effect;
        const handle = this.clock.setTimeout(() => {
          this.timers.delete(key);
          void this.dispatch(user, { type: 'timer', id, name });
        }, effect.ms);
        this.timers.set(key, { name, handle });
        return undefined;
      }
      case 'clear-timer': {
        const key = userKey(user, effect.id);
        if (this.timers.get(key)?.name === effect.name) this.clearTimer(key);
        return undefined;
      }
      case 'refresh-auth':
        this.askForRefresh(user, effect.timeoutMs);
        return undefined;
    }
  }

  /** Tabs whose session is bound to this user (U1). */
  private tabsOf(user: string): string[] {
    return [...this.sessions].flatMap(([tab, ctx]) => (ctx.user === user ? [tab] : []));
  }

  /**
   * R11: one tab of that user renews the session; no new token in time (or no tab of theirs at
   * all: a user who signed out, U4) → it failed.
   */
  private askForRefresh(user: string, timeoutMs: number): void {
    this.clearRefresh(user);
    const token = this.tokens.get(user) ?? null;
    const failed = () => {
      this.refreshTimers.delete(user);
      if ((this.tokens.get(user) ?? null) === token)
        void this.dispatch(user, { type: 'auth-refresh-failed' });
    };
    const tab = this.tabsOf(user)
      .map((id) => this.links.get(id))
      .find((link) => link !== undefined);
    if (!tab || token === null) {
      this.refreshTimers.set(user, this.clock.setTimeout(failed, 0));
      return;
    }
    tab.send({ type: 'refresh-session' });
    this.refreshTimers.set(user, this.clock.setTimeout(failed, timeoutMs));
  }

  private clearRefresh(user: string): void {
    const timer = this.refreshTimers.get(user);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.refreshTimers.delete(user);
  }

  private clearTimer(key: string): void {
    const timer = this.timers.get(key);
    if (timer) this.clock.clearTimeout(timer.handle);
    this.timers.delete(key);
  }

  /** When the server last confirmed a save of the section: what a tab shows as "Saved · HH:MM". */
  private noteSaved(user: string, id: string, updatedAt: string): void {
    if (!Number.isNaN(Date.parse(updatedAt))) this.savedAt.set(userKey(user, id), updatedAt);
  }

  private withSavedAt(user: string, view: SectionView): SectionView {
    const savedAt = this.savedAt.get(userKey(user, sectionId(view.planId, view.sectionKey)));
    return savedAt === undefined ? view : { ...view, savedAt };
  }

  /** R24: every tab of this user hears the sections' statuses when one changed (U1: theirs only). */
  private statusesMaybeChanged(user: string): void {
    const engine = this.engines.get(user);
    const sections = engine ? sectionStatuses(engine) : [];
    const text = JSON.stringify(sections);
    if (this.statusesSent.get(user) === text) return;
    this.statusesSent.set(user, text);
    this.send(this.tabsOf(user), { type: 'statuses', sections });
  }

  /** R24: a tab just bound to this user hears the statuses as they are. */
  private sendStatuses(user: string, tab: string): void {
    const engine = this.engines.get(user);
    this.send([tab], { type: 'statuses', sections: engine ? sectionStatuses(engine) : [] });
  }

  private send(tabs: readonly string[], event: TabEvent): void {
    for (const tab of tabs) this.links.get(tab)?.send(event);
  }

  private track(task: Promise<unknown>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /**
   * Chains a store write after the previous ones; the returned promise may reject. Group commit:
   * ops arriving while a write commits join one batch that starts when it is done (one
   * transaction for a burst of keystrokes instead of one each).
   */
  private write(ops: StoreOp[]): Promise<void> {
    if (this.batchWrites && this.batch) {
      this.batch.ops.push(...ops);
      return this.batch.done;
    }
    const batch = { ops: [...ops], done: Promise.resolve() };
    batch.done = this.writes.then(() => {
      if (this.batch === batch) this.batch = null;
      this.storeWrites += 1;
      return this.store.apply(lastOpPerRecord(batch.ops));
    });
    if (this.batchWrites) this.batch = batch;
    this.writes = batch.done.catch((error: unknown) => this.log('store write failed', error));
    this.track(this.writes);
    return batch.done;
  }

  private persistOps(user: string, effect: Effect & { type: 'persist' }): StoreOp[] {
    // U1: every record says whose it is.
    const id = recordId(this.workerId, effect.planId, effect.sectionKey, user);
    const base = {
      id,
      owner: this.workerId,
      user,
      planId: effect.planId,
      sectionKey: effect.sectionKey,
      updatedAt: this.clock.now(),
    };
    const ops: StoreOp[] = [];
    if (effect.snapshot === null) ops.push({ op: 'delete-snapshot', id });
    else if (effect.snapshot)
      ops.push({
        op: 'put-snapshot',
        record: { ...base, version: effect.snapshot.version, data: effect.snapshot.data },
      });
    if (effect.outbox === null) ops.push({ op: 'delete-outbox', id });
    else if (effect.outbox)
      ops.push({
        op: 'put-outbox',
        record: { ...base, ...effect.outbox, unconfirmed: [...effect.outbox.unconfirmed] },
      });
    return ops;
  }

  private async runLoad(user: string, effect: Effect & { type: 'load' }): Promise<void> {
    const { id, loadId, planId, sectionKey } = effect;
    // U2: as the user whose copy it is, never anyone else.
    const auth = this.credentialsOf(user);
    let outcome: LoadOutcome;
    if (!auth) outcome = { kind: 'unauthorized' };
    else {
      try {
        outcome = await this.api.getSection(auth, planId, sectionKey);
      } catch (error) {
        outcome = { kind: 'unavailable', message: errorText(error) };
      }
    }
    switch (outcome.kind) {
      case 'found':
        this.noteSaved(user, id, outcome.section.updated_at);
        void this.dispatch(user, {
          type: 'loaded',
          id,
          loadId,
          section: { version: outcome.section.version, data: outcome.section.data },
        });
        this.planProven(user, planId);
        return;
      case 'not-found':
        void this.dispatch(user, { type: 'loaded', id, loadId, section: null });
        this.planProven(user, planId);
        return;
      case 'not-available':
        // U3: the open() calls waiting for it answer NOT_AVAILABLE.
        this.denied.add(userKey(user, id));
        void this.dispatch(user, { type: 'load-denied', id, loadId });
        return;
      default:
        void this.dispatch(user, {
          type: 'load-failed',
          id,
          loadId,
          failure: failureOf(outcome),
        });
    }
  }

  private async runSave(user: string, effect: Effect & { type: 'save' }): Promise<void> {
    const { id, mutationId, request } = effect;
    // R3: whatever a request carries is on disk before it leaves.
    await this.writes;
    let outcome: SaveOutcome;
    try {
      // R19: one writer per user at a time, across script versions (Web Lock).
      outcome = await this.writerLock(writerLockName(user), () => {
        // U2, U4: the token of the user who typed it, read at the last moment: a user who signed
        // out meanwhile sends nothing (their edits wait, sealed).
        const auth = this.credentialsOf(user);
        return auth
          ? this.api.saveSection(auth, { ...request, mutationId })
          : Promise.resolve<SaveOutcome>({ kind: 'unauthorized' });
      });
    } catch (error) {
      outcome = { kind: 'unavailable', message: errorText(error) };
    }
    switch (outcome.kind) {
      case 'saved':
        this.noteSaved(user, id, outcome.section.updated_at);
        void this.dispatch(user, {
          type: 'saved',
          id,
          mutationId,
          section: { version: outcome.section.version, data: outcome.section.data },
        });
        return;
      case 'conflict':
        void this.dispatch(user, {
          type: 'save-conflict',
          id,
          mutationId,
          serverVersion: outcome.serverVersion,
          serverData: outcome.serverData,
        });
        return;
      case 'not-found':
        void this.dispatch(user, {
          type: 'save-failed',
          id,
          mutationId,
          failure: {
            kind: 'rejected',
            status: 404,
            message:
              outcome.message ||
              "This plan no longer exists or isn't yours, so the section can't be saved.",
          },
        });
        return;
      default:
        void this.dispatch(user, {
          type: 'save-failed',
          id,
          mutationId,
          failure: failureOf(outcome),
        });
    }
  }

  /** Answers open() calls once their section is loaded or its load failed. */
  private settleWaiters(): void {
    for (const [key, waiters] of this.waiters) {
      const { user, id } = splitKey(key);
      const s = this.engines.get(user)?.sections[id];
      if (s && s.phase === 'loading' && !s.blocker) continue;
      this.waiters.delete(key);
      for (const resolve of waiters) resolve(s);
    }
  }

  private whenOpened(user: string, id: SectionId): Promise<SectionState | undefined> {
    return new Promise((resolve) => {
      const key = userKey(user, id);
      const list = this.waiters.get(key) ?? [];
      list.push(resolve);
      this.waiters.set(key, list);
      this.settleWaiters();
    });
  }

  // ---- start: restore what a previous worker left ------------------------------------------

  private async start(): Promise<void> {
    try {
      this.liveness.holdWorker(this.workerId);
      // R23: only the engine holding the profile's lock adopts and takes edits.
      this.announceSelf();
      if (this.engineLock) this.requestLock(false);
      else this.stepLock({ type: 'granted' });
      if (!(await this.decided)) return;
      // Records of a worker that still runs (another script version during a deploy) stay its
      // own until it is gone; then they are adopted here (R16, R20).
      await this.adopt(async (owner) => {
        if (owner === this.workerId) return false;
        if (!(await this.liveness.isWorkerAlive(owner))) return true;
        this.adoptWhenGone(owner);
        return false;
      });
    } catch (error) {
      this.log('restoring unsaved edits failed', error);
    } finally {
      this.isReady = true;
    }
  }

  /**
   * R16, R20: takes over the unsaved edits of the workers `isGone` says are gone, each into the
   * engine of the user whose they are (U5). The previous build's records (no user) are not given
   * to anyone yet: they wait, sealed, until a user proves the plan is theirs (U6).
   */
  private async adopt(isGone: (owner: string) => Promise<boolean>): Promise<void> {
    const { snapshots, outbox } = await this.store.restoreAll();
    const dead = new Set<string>();
    for (const owner of new Set([...snapshots, ...outbox].map((r) => r.owner))) {
      if (await isGone(owner)) dead.add(owner);
    }
    // R16, R21: every gone worker's record, oldest first: each meets what is here three ways.
    const taken = outbox.filter((r) => dead.has(r.owner)).sort((a, b) => a.updatedAt - b.updatedAt);
    const byUser = new Map<string, RestoredSection[]>();
    for (const r of taken) {
      const snapshot = snapshots.find((s) => s.id === r.id);
      if (r.user === undefined) {
        if (!this.legacyTaken.has(r.id))
          this.legacy.set(r.id, snapshot ? { outbox: r, snapshot } : { outbox: r });
        continue;
      }
      const list = byUser.get(r.user) ?? [];
      list.push(restoredOf(r, snapshot));
      byUser.set(r.user, list);
    }
    // The engine writes what it adopts under this worker's id; then the old records go.
    for (const [user, sections] of byUser) void this.dispatch(user, { type: 'restore', sections });
    // U6: a plan a user already proved here takes its sealed records at once.
    for (const [planId, user] of this.proven) this.planProven(user, planId);
    const sealed = (id: string) => this.legacy.has(id) || this.legacyTaken.has(id);
    const stale: StoreOp[] = [
      ...snapshots
        .filter((r) => dead.has(r.owner) && !sealed(r.id))
        .map((r) => ({ op: 'delete-snapshot' as const, id: r.id })),
      ...outbox
        .filter((r) => dead.has(r.owner) && !sealed(r.id))
        .map((r) => ({ op: 'delete-outbox' as const, id: r.id })),
    ];
    if (stale.length > 0) void this.write(stale).catch(() => {});
  }

  /**
   * U6: the server answered this user's read of the plan (200, or 404 with the plan's list 200):
   * the previous build's sealed edits of that plan are this user's; adopted as R16 adopts.
   */
  private planProven(user: string, planId: string): void {
    this.proven.set(planId, user);
    const found = [...this.legacy.values()]
      .filter((r) => r.outbox.planId === planId)
      .sort((a, b) => a.outbox.updatedAt - b.outbox.updatedAt);
    if (found.length === 0) return;
    for (const r of found) {
      this.legacy.delete(r.outbox.id);
      this.legacyTaken.add(r.outbox.id);
    }
    void this.dispatch(user, {
      type: 'restore',
      sections: found.map((r) => restoredOf(r.outbox, r.snapshot)),
    });
    const ops: StoreOp[] = found.flatMap((r) => [
      { op: 'delete-outbox' as const, id: r.outbox.id },
      ...(r.snapshot ? [{ op: 'delete-snapshot' as const, id: r.snapshot.id }] : []),
    ]);
    void this.write(ops).catch(() => {});
  }

  // ---- two script versions at once (R20) ------------------------------------------------------

  /**
   * Another engine said who it is (R20, R23; worker/engine-lock.ts decides). One that outranks
   * this one (a newer protocol, the SharedWorker over a tab's dedicated worker, a newer copy)
   * makes it retire: it takes no edit any more, tells its tabs to reload or to move, and ends once
   * done; one it outranks retires when it hears us, and its unsaved edits are adopted once it is
   * gone. Returns whether it answered with its own announcement: once per peer, so the one that
   * started first learns of the other too.
   */
  peerAnnounced(peer: PeerAnnounce): boolean {
    // A worker that stopped (ending, R22) takes no part any more: it must not win over a new one.
    if (this.stopped) return false;
    return this.stepLock({ type: 'peer', peer }).some((e) => e.type === 'announce');
  }

  private stepLock(input: EngineLockInput): EngineLockEffect[] {
    const { state, effects } = engineLockStep(this.lockState, input);
    this.lockState = state;
    for (const effect of effects) {
      switch (effect.type) {
        case 'announce':
          this.announceSelf();
          break;
        case 'serve':
          this.decide(true);
          break;
        case 'retire':
          this.retire(retireWords(effect.reason, effect.protocolVersion), effect.reason);
          this.decide(false);
          break;
        case 'release':
          this.lockHandle?.release();
          this.lockHandle = null;
          break;
        case 'adopt-when-gone':
          this.adoptWhenGone(effect.workerId);
          break;
        case 'steal':
          this.lockHandle?.release();
          this.requestLock(true);
          break;
        case 'request':
          this.requestLock(false);
          break;
      }
    }
    return effects;
  }

  /** Asks for the engine lock (or takes it, `steal`); a plain ask may steal later (R23). */
  private requestLock(steal: boolean): void {
    if (!this.engineLock || this.stopped) return;
    if (this.stealTimer) this.clock.clearTimeout(this.stealTimer);
    this.stealTimer = null;
    this.lockHandle = this.engineLock.request(() => this.stepLock({ type: 'granted' }), {
      steal,
      onLost: () => {
        if (!this.stopped) this.stepLock({ type: 'stolen' });
      },
    });
    if (!steal)
      this.stealTimer = this.clock.setTimeout(() => {
        this.stealTimer = null;
        if (!this.stopped) this.stepLock({ type: 'unanswered' });
      }, STEAL_AFTER_MS);
  }

  private announceSelf(): void {
    this.announceTo?.({ type: 'announce', ...this.lockState.me });
  }

  /** Adopts a live worker's unsaved edits once it is gone (once per worker). */
  private adoptWhenGone(workerId: string): void {
    if (this.awaited.has(workerId) || !this.liveness.whenWorkerGone) return;
    this.awaited.add(workerId);
    void this.liveness
      .whenWorkerGone(workerId)
      .then(() => this.ready)
      .then(() => this.adopt(async (owner) => owner === workerId))
      .catch((error: unknown) => this.log('adopting the edits of a worker failed', error));
  }

  /** Whether a newer worker took over (R20). */
  get isRetired(): boolean {
    return this.retiredReason !== null;
  }

  private retire(reason: string, why: RetireReason): void {
    if (this.retiredReason !== null) return;
    this.retiredReason = reason;
    this.handedOver = why === 'shared-worker';
    void this.dispatchAll({ type: 'retire' });
    this.send(
      [...this.links.keys()],
      this.handedOver ? { type: 'hand-over', reason } : { type: 'reload', reason },
    );
    this.endWhenDone();
  }

  /** R22: a worker with no tab left finishes its work and ends (worker/lifecycle.ts decides). */
  private endWhenDone(): void {
    if (this.stopped || this.lifeTimer !== null || !this.terminate) return;
    const { life, action } = decideLife(this.life, {
      now: this.clock.now(),
      tabs: this.links.size,
      lastConnectAt: this.lastConnectAt,
      retired: this.retiredReason !== null,
      handedOver: this.handedOver,
      busy: this.tasks.size > 0,
      sending: [...this.engines.values()].reduce((n, e) => n + sendingSections(e), 0),
    });
    this.life = life;
    if (action === 'when-idle') void this.idle().then(() => this.endWhenDone());
    if (action === 'check-later')
      this.lifeTimer = this.clock.setTimeout(() => {
        this.lifeTimer = null;
        this.endWhenDone();
      }, LIFE_CHECK_MS);
    if (action !== 'close') return;
    this.stop();
    this.terminate();
  }

  /** @internal Logs for sessions. */
  logProblem(message: string, detail?: unknown): void {
    this.log(message, detail);
  }

  // ---- session calls (called by Session; every argument is untrusted) ---------------------

  /**
   * U1, U2: the session gave a token (hello, setAuth). A token binds it to its user (rebinding it
   * from another user moves its open sections to the new user's copies); a refreshed token of the
   * same user serves every session of that user; null: the session's user signed out (U4).
   */
  private bind(ctx: SessionContext, accessToken: string | null): void {
    const was = ctx.user;
    if (accessToken === null) {
      if (was !== null) this.signOut(was);
      return;
    }
    const user = userOf(accessToken);
    const before = this.tokens.get(user);
    this.tokens.set(user, accessToken);
    ctx.user = user;
    if (was !== null && was !== user && ctx.tabId !== null) this.rebind(ctx.tabId, was, user);
    if (ctx.tabId !== null && was !== user) this.sendStatuses(user, ctx.tabId);
    if (accessToken !== before) {
      this.clearRefresh(user);
      void this.dispatch(user, { type: 'auth-changed', signedIn: true });
    }
  }

  /**
   * U1: a tab now signed in as `to`: it leaves `from`'s copies and opens `to`'s (loaded as `to`,
   * U3). Once no tab is signed in as `from` any more, `from`'s token goes (as at sign-out, U4).
   */
  private rebind(tab: string, from: string, to: string): void {
    const open = Object.values(this.engines.get(from)?.sections ?? {}).filter((s) =>
      s.tabs.includes(tab),
    );
    void this.dispatch(from, { type: 'tab-gone', tab });
    for (const s of open)
      void this.dispatch(to, { type: 'open', tab, planId: s.planId, sectionKey: s.sectionKey });
    if (this.tabsOf(from).length === 0) this.dropToken(from);
  }

  /**
   * U4: `user` signed out on this profile. Their token goes at once (no request leaves with it
   * after this), every tab of theirs is told and leaves their sections, and their unsaved edits
   * stay in the store, sealed to them, until they give a token again (any tab, any later worker).
   */
  private signOut(user: string): void {
    this.dropToken(user);
    for (const tab of this.tabsOf(user)) {
      const ctx = this.sessions.get(tab);
      if (ctx) ctx.user = null;
      this.links.get(tab)?.send({ type: 'signed-out', userId: user });
      void this.dispatch(user, { type: 'tab-gone', tab });
    }
  }

  private dropToken(user: string): void {
    const had = this.tokens.delete(user);
    this.clearRefresh(user);
    if (had) void this.dispatch(user, { type: 'auth-changed', signedIn: false });
  }

  /** R10: the device is online again (a tab's or the worker's own `online` event). */
  online(): void {
    if (this.isReady) void this.dispatchAll({ type: 'online' });
  }

  private tabGone(tabId: string): void {
    this.unwatch.delete(tabId);
    this.links.get(tabId)?.close();
    this.links.delete(tabId);
    this.sessions.delete(tabId);
    void this.dispatchAll({ type: 'tab-gone', tab: tabId });
    this.freshener?.tabGone(tabId);
    this.endWhenDone();
  }

  /** @internal */
  async sessionHello(
    ctx: SessionContext,
    hello: unknown,
    listener: unknown,
  ): Promise<WorkerResult<{ workerId: string; protocolVersion: number }>> {
    const version =
      typeof hello === 'object' && hello !== null
        ? (hello as { protocolVersion?: unknown }).protocolVersion
        : undefined;
    if (typeof version === 'number' && version !== PROTOCOL_VERSION) {
      const message = `This page speaks sync protocol ${version} but the running sync worker speaks ${PROTOCOL_VERSION}: reload the page (close other tabs of this app if that doesn't help). Your edits are kept on this device.`;
      if (typeof listener === 'function') {
        const link = this.linkFor(listener as Listener);
        link.send({ type: 'reload', reason: message });
        link.close();
      }
      return fail(WORKER_CODES.PROTOCOL_MISMATCH, message);
    }
    const parsed = HelloSchema.safeParse(hello);
    if (!parsed.success) return badMessage('hello', parsed.error);
    if (typeof listener !== 'function')
      return fail(
        WORKER_CODES.BAD_MESSAGE,
        'hello: the second argument must be a listener function',
      );
    const { tabId, functionsUrl, accessToken, testHooks, testDebounceMs } = parsed.data;
    if (ctx.tabId !== null && ctx.tabId !== tabId)
      return fail(
        WORKER_CODES.BAD_MESSAGE,
        `hello: this connection already belongs to tab ${ctx.tabId}`,
      );
    if (!this.isReady) await this.ready;
    // R23: the SharedWorker serves this profile now; the tab connects there.
    if (this.handedOver) return fail(WORKER_CODES.HANDED_OVER, this.retiredReason ?? '');
    ctx.tabId = tabId;
    ctx.testHooks = testHooks === true;
    this.sessions.set(tabId, ctx);
    this.functionsUrl = functionsUrl;
    if (ctx.testHooks && testDebounceMs !== undefined) {
      this.testDebounceMs = testDebounceMs;
      void this.dispatchAll({ type: 'test-debounce', ms: testDebounceMs });
    }
    this.links.get(tabId)?.close();
    this.links.set(tabId, this.linkFor(listener as Listener));
    if (!this.unwatch.has(tabId))
      this.unwatch.set(
        tabId,
        this.liveness.watchTab(tabId, () => this.tabGone(tabId)),
      );
    this.bind(ctx, accessToken === '' ? null : accessToken);
    // R20: a tab of the old version that connects after a newer worker took over.
    if (this.retiredReason !== null)
      this.send([tabId], { type: 'reload', reason: this.retiredReason });
    return ok({ workerId: this.workerId, protocolVersion: PROTOCOL_VERSION });
  }

  /** @internal */
  async sessionSetAuth(ctx: SessionContext, accessToken: unknown): Promise<WorkerResult<null>> {
    const parsed = AccessTokenSchema.safeParse(accessToken);
    if (!parsed.success) return badMessage('setAuth', parsed.error);
    if (ctx.tabId === null) return notConnected();
    if (!this.isReady) await this.ready;
    this.bind(ctx, parsed.data);
    return ok(null);
  }

  /** @internal */
  async sessionOpen(
    ctx: SessionContext,
    planId: unknown,
    sectionKey: unknown,
  ): Promise<WorkerResult<SectionView>> {
    const parsed = OpenArgsSchema.safeParse({ planId, sectionKey });
    if (!parsed.success) return badMessage('open', parsed.error);
    const tab = ctx.tabId;
    if (tab === null) return notConnected();
    if (!this.isReady) await this.ready;
    // U1: a signed-out tab is shown nobody's copy.
    const user = ctx.user;
    if (user === null) return fail(WORKER_CODES.NOT_AVAILABLE, MESSAGES.signedOut);
    // R23: a section opened here would be shown from an engine that no longer writes.
    if (this.handedOver) return fail(WORKER_CODES.HANDED_OVER, this.retiredReason ?? '');
    const id = sectionId(parsed.data.planId, parsed.data.sectionKey);
    const key = userKey(user, id);
    this.denied.delete(key);
    this.gone.delete(key);
    // U3: a copy this user has here is shared (R12); otherwise the server is asked first.
    void this.dispatch(user, { type: 'open', tab, ...parsed.data });
    const s = await this.whenOpened(user, id);
    if (this.denied.has(key) && !s?.tabs.includes(tab))
      return fail(WORKER_CODES.NOT_AVAILABLE, MESSAGES.notAvailable);
    if (!s || !s.tabs.includes(tab))
      return fail(WORKER_CODES.NOT_OPEN, 'The section was closed before it finished loading.');
    return ok({ ...this.withSavedAt(user, viewOf(s)), seq: this.counters.editSeq });
  }

  /** @internal */
  async sessionClose(
    ctx: SessionContext,
    planId: unknown,
    sectionKey: unknown,
  ): Promise<WorkerResult<null>> {
    const parsed = OpenArgsSchema.safeParse({ planId, sectionKey });
    if (!parsed.success) return badMessage('close', parsed.error);
    const tab = ctx.tabId;
    if (tab === null) return notConnected();
    if (!this.isReady) await this.ready;
    // Every engine: a tab rebound to another user may still be listed in an older one's section.
    void this.dispatchAll({
      type: 'close',
      tab,
      id: sectionId(parsed.data.planId, parsed.data.sectionKey),
    });
    return ok(null);
  }

  /** @internal */
  async sessionEdit(
    ctx: SessionContext,
    planId: unknown,
    sectionKey: unknown,
    fields: unknown,
    base?: unknown,
  ): Promise<WorkerResult<{ status: SaveStatus; seq: number }>> {
    const parsed = EditArgsSchema.safeParse({ planId, sectionKey, fields, base });
    if (!parsed.success) return badMessage('edit', parsed.error);
    let json: Record<string, unknown>;
    let typedOn: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(JSON.stringify(parsed.data.fields)) as Record<string, unknown>;
      if (parsed.data.base)
        typedOn = JSON.parse(JSON.stringify(parsed.data.base)) as Record<string, unknown>;
    } catch (error) {
      return fail(WORKER_CODES.BAD_MESSAGE, `edit: fields must be JSON (${errorText(error)})`);
    }
    // R20, R23: a replaced worker takes no edit: what the tab shows stays there, and the tab
    // reloads, or sends it again to the SharedWorker it is handed over to.
    if (this.retiredReason !== null)
      return fail(
        this.handedOver ? WORKER_CODES.HANDED_OVER : WORKER_CODES.READ_ONLY,
        this.retiredReason,
      );
    const problem = findSectionDataProblem(json);
    if (problem) return fail(WORKER_CODES.BAD_MESSAGE, `edit: ${problem}`);
    const tab = ctx.tabId;
    if (tab === null) return notConnected();
    if (!this.isReady) await this.ready;
    const key: SectionKey = parsed.data.sectionKey;
    const id = sectionId(parsed.data.planId, key);
    // U1: a tab edits only its own user's copy.
    const user = ctx.user;
    if (user !== null && this.gone.has(userKey(user, id)))
      return fail(WORKER_CODES.NOT_AVAILABLE, MESSAGES.planGone);
    if (user === null || !this.engines.get(user)?.sections[id]?.tabs.includes(tab))
      return notOpen();
    const started = performance.now();
    const committed = this.dispatch(user, {
      type: 'edit',
      tab,
      planId: parsed.data.planId,
      sectionKey: key,
      fields: json,
      ...(typedOn ? { base: typedOn } : {}),
    });
    const seq = this.counters.editSeq;
    const now = this.engines.get(user)?.sections[id];
    const status = now ? statusOf(now).status : 'saved';
    // R3: acknowledge only once the edit is on disk.
    const error = await committed;
    if (this.durableMs.length >= DURABILITY_SAMPLES) this.durableMs.shift();
    this.durableMs.push(performance.now() - started);
    if (error)
      return fail(
        WORKER_CODES.WORKER_FAILED,
        `This edit could not be stored on this device (${errorText(error)}). It will still be sent to the server; keep this tab open until the status says saved.`,
      );
    return ok({ status, seq });
  }

  /** @internal */
  async sessionResolve(
    ctx: SessionContext,
    planId: unknown,
    sectionKey: unknown,
    choice: unknown,
  ): Promise<WorkerResult<null>> {
    const parsed = OpenArgsSchema.safeParse({ planId, sectionKey });
    if (!parsed.success) return badMessage('resolveConflict', parsed.error);
    const parsedChoice = ResolveChoiceSchema.safeParse(choice);
    if (!parsedChoice.success) return badMessage('resolveConflict', parsedChoice.error);
    const tab = ctx.tabId;
    if (tab === null) return notConnected();
    if (!this.isReady) await this.ready;
    const id = sectionId(parsed.data.planId, parsed.data.sectionKey);
    const user = ctx.user;
    const s = user === null ? undefined : this.engines.get(user)?.sections[id];
    if (user === null || !s?.tabs.includes(tab)) return notOpen();
    if (!s.conflict)
      return fail(WORKER_CODES.NO_CONFLICT, 'There is no conflict to resolve in this section.');
    const error = await this.dispatch(user, { type: 'resolve', id, choice: parsedChoice.data });
    if (error) this.log('storing a conflict resolution failed', error);
    return ok(null);
  }

  /** @internal */
  async sessionOnline(ctx: SessionContext): Promise<WorkerResult<null>> {
    if (ctx.tabId === null) return notConnected();
    if (!this.isReady) await this.ready;
    this.online();
    return ok(null);
  }

  /** @internal R11: the tab asked to renew the session could not. */
  async sessionRefreshFailed(ctx: SessionContext): Promise<WorkerResult<null>> {
    if (ctx.tabId === null) return notConnected();
    if (!this.isReady) await this.ready;
    const user = ctx.user;
    if (user === null) return ok(null);
    this.clearRefresh(user);
    void this.dispatch(user, { type: 'auth-refresh-failed' });
    return ok(null);
  }

  /** @internal Test hooks, for sessions whose hello asked for them. */
  async sessionTestHook(ctx: SessionContext, hook: unknown): Promise<WorkerResult<unknown>> {
    const parsed = TestHookSchema.safeParse(hook);
    if (!parsed.success) return badMessage('testHook', parsed.error);
    if (ctx.tabId === null) return notConnected();
    if (!ctx.testHooks)
      return fail(WORKER_CODES.BAD_MESSAGE, 'testHook: this tab did not ask for test hooks');
    if (parsed.data === 'durability-stats')
      return ok({ durableMs: [...this.durableMs], writes: this.storeWrites });
    if (!this.terminate) return fail(WORKER_CODES.BAD_MESSAGE, 'testHook: cannot terminate');
    this.stop();
    // Answer first: the worker is gone right after.
    this.clock.setTimeout(() => this.terminate?.(), 0);
    return ok(null);
  }

  /** @internal */
  async sessionFlush(ctx: SessionContext): Promise<WorkerResult<null>> {
    if (ctx.tabId === null) return notConnected();
    if (!this.isReady) await this.ready;
    const error = await this.dispatchAll({ type: 'flush-now' });
    if (error) this.log('storing before a flush failed', error);
    return ok(null);
  }

  /** @internal F2, F5: a tab's visibility, focus, online or Realtime news. */
  async sessionFreshen(ctx: SessionContext, signal: unknown): Promise<WorkerResult<null>> {
    const parsed = FreshnessSignalSchema.safeParse(signal);
    if (!parsed.success) return badMessage('freshen', parsed.error);
    if (ctx.tabId === null) return notConnected();
    if (!this.isReady) await this.ready;
    const news = parsed.data;
    const user = ctx.user;
    if (user !== null && (news.kind === 'focus' || (news.kind === 'visibility' && news.visible)))
      void this.dispatch(user, { type: 'tab-active', tab: ctx.tabId });
    // U1: a plan named by a tab is that tab's user's copy of it (freshener plan keys).
    if (news.kind === 'remote-change' || news.kind === 'realtime') {
      if (user !== null)
        this.freshener?.signal(ctx.tabId, { ...news, planId: userKey(user, news.planId) });
    } else this.freshener?.signal(ctx.tabId, news);
    return ok(null);
  }
}

/** R20, R23: what the tabs of a retired engine are told. */
function retireWords(reason: RetireReason, protocolVersion: number): string {
  switch (reason) {
    case 'newer-protocol':
      return `A newer version of this app is open (sync protocol ${protocolVersion}). Reload this page to keep editing; your edits are kept on this device.`;
    case 'shared-worker':
      return "This tab now syncs through the app's shared worker. If it doesn't reconnect by itself, reload this page; your edits are kept on this device.";
    case 'newer-copy':
      return 'This app was opened again in this browser (another tab, possibly a newer version), and that copy now saves your edits. Reload this page to keep editing; your edits are kept on this device.';
  }
}

/** What an outbox record (and the snapshot it was typed on) gives back to the engine (R16). */
function restoredOf(r: OutboxRecord, snapshot: SnapshotRecord | undefined): RestoredSection {
  return {
    planId: r.planId,
    sectionKey: r.sectionKey,
    server: { version: r.baseVersion, data: snapshot?.data ?? {} },
    outbox: {
      baseVersion: r.baseVersion,
      fields: r.fields,
      conflict: r.conflict,
      unconfirmed: r.unconfirmed,
      attempt: r.attempt ?? null,
      ...(r.queued ? { queued: r.queued } : {}),
    },
  };
}

/** Within one write, only the last op per record matters (each op sets the whole record). */
function lastOpPerRecord(ops: readonly StoreOp[]): StoreOp[] {
  const last = new Map<string, StoreOp>();
  for (const op of ops) {
    const key = op.op.endsWith('snapshot') ? 's' : 'o';
    const id = op.op.startsWith('put')
      ? (op as { record: { id: string } }).record.id
      : (op as { id: string }).id;
    last.delete(`${key}|${id}`);
    last.set(`${key}|${id}`, op);
  }
  return [...last.values()];
}

function notConnected() {
  return fail(WORKER_CODES.NOT_CONNECTED, 'Say hello first: this tab is not connected yet.');
}

function notOpen() {
  return fail(WORKER_CODES.NOT_OPEN, 'Open the section before editing it.');
}

function failureOf(
  outcome:
    | { kind: 'unauthorized' }
    | { kind: 'rejected'; status: number; message: string }
    | { kind: 'unavailable'; status?: number; message: string; retryAfterMs?: number },
): Failure {
  switch (outcome.kind) {
    case 'unauthorized':
      return { kind: 'unauthorized' };
    case 'rejected':
      return { kind: 'rejected', status: outcome.status, message: outcome.message };
    case 'unavailable':
      if (outcome.status === undefined) return { kind: 'network', message: outcome.message };
      return outcome.retryAfterMs === undefined
        ? { kind: 'server', status: outcome.status, message: outcome.message }
        : {
            kind: 'server',
            status: outcome.status,
            message: outcome.message,
            retryAfterMs: outcome.retryAfterMs,
          };
  }
}

/**
 * One tab's connection, exposed through Comlink. Its only state is private (#), so nothing but
 * these methods can be reached from the tab; every call is validated and never throws.
 */
export class Session implements WorkerSessionApi {
  readonly #host: SyncHost;
  readonly #ctx: SessionContext = { tabId: null, user: null };
  readonly #log = (message: string, detail?: unknown) => this.#host.logProblem(message, detail);

  constructor(host: SyncHost) {
    this.#host = host;
  }

  hello(hello: Hello, listener: (event: TabEvent) => void) {
    return guard(this.#log, 'hello', () => this.#host.sessionHello(this.#ctx, hello, listener));
  }

  setAuth(accessToken: string | null) {
    return guard(this.#log, 'setAuth', () => this.#host.sessionSetAuth(this.#ctx, accessToken));
  }

  open(planId: string, sectionKey: SectionKey) {
    return guard(this.#log, 'open', () => this.#host.sessionOpen(this.#ctx, planId, sectionKey));
  }

  close(planId: string, sectionKey: SectionKey) {
    return guard(this.#log, 'close', () => this.#host.sessionClose(this.#ctx, planId, sectionKey));
  }

  edit(
    planId: string,
    sectionKey: SectionKey,
    fields: Record<string, unknown>,
    base?: Record<string, unknown>,
  ) {
    return guard(this.#log, 'edit', () =>
      this.#host.sessionEdit(this.#ctx, planId, sectionKey, fields, base),
    );
  }

  resolveConflict(planId: string, sectionKey: SectionKey, choice: ResolveChoice) {
    return guard(this.#log, 'resolveConflict', () =>
      this.#host.sessionResolve(this.#ctx, planId, sectionKey, choice),
    );
  }

  flush() {
    return guard(this.#log, 'flush', () => this.#host.sessionFlush(this.#ctx));
  }

  freshen(signal: FreshnessSignal) {
    return guard(this.#log, 'freshen', () => this.#host.sessionFreshen(this.#ctx, signal));
  }

  online() {
    return guard(this.#log, 'online', () => this.#host.sessionOnline(this.#ctx));
  }

  refreshFailed() {
    return guard(this.#log, 'refreshFailed', () => this.#host.sessionRefreshFailed(this.#ctx));
  }

  testHook(hook: TestHook) {
    return guard(this.#log, 'testHook', () => this.#host.sessionTestHook(this.#ctx, hook));
  }
}
