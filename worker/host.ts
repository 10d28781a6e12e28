// The worker's shell: owns the engine state, one session per connected tab, the timers and the
// credentials; feeds inputs to the pure engine and carries out its effects in order. The only
// code in worker/ that touches the store, the network, timers, locks and tabs (through ports).
import { z } from 'zod';
import {
  findSectionDataProblem,
  type PlanSection,
  type SectionKey,
} from '../supabase/functions/_shared/schema.ts';
import {
  initialState,
  sectionId,
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
import { functionTabLink, type Listener } from './adapters/tab-link.ts';
import {
  Freshener,
  FreshnessSignalSchema,
  type FreshnessSignal,
  type PlanFeed,
} from './freshener.ts';
import { decideLife, initialLife, LIFE_CHECK_MS, sendingSections, type Life } from './lifecycle.ts';
import {
  recordId,
  type Api,
  type Clock,
  type Credentials,
  type Liveness,
  type LoadOutcome,
  type SaveOutcome,
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
}

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

  private state: EngineState;
  private isReady = false;
  private stopped = false;
  private credentials: Credentials | null = null;
  private readonly links = new Map<string, TabLink>();
  private readonly unwatch = new Map<string, () => void>();
  private readonly timers = new Map<SectionId, { name: TimerName; handle: TimerHandle }>();
  private readonly waiters = new Map<SectionId, Array<(s: SectionState | undefined) => void>>();
  /** Store writes run one after another, in effect order. Never rejects. */
  private writes: Promise<void> = Promise.resolve();
  /** The write still collecting ops (group commit): it starts when the previous one is done. */
  private batch: { ops: StoreOp[]; done: Promise<void> } | null = null;
  /** edit() calls until their write committed, in ms (test hook `durability-stats`). */
  private readonly durableMs: number[] = [];
  /** Store transactions started (test hook `durability-stats`: keystrokes per transaction). */
  private storeWrites = 0;
  /** A refresh-session request waiting for a new token (R11). */
  private refreshTimer: TimerHandle | null = null;
  /** Set once a worker of a newer protocol runs (R20): the words the tabs are told. */
  private retiredReason: string | null = null;
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
    // R18: mutation ids carry the worker id, so no two workers (or restarts) ever share one.
    this.state = initialState(
      options.seed ?? Math.floor(Math.random() * 2 ** 32),
      `${this.workerId}:`,
    );
    this.ready = this.start();
    if (options.feed)
      this.freshener = new Freshener({
        feed: options.feed,
        clock: this.clock,
        credentials: () => this.credentials,
        openPlans: () =>
          Object.values(this.state.sections)
            .filter((s) => s.tabs.length > 0)
            .map((s) => s.planId),
        onSections: (planId, sections) => this.remoteSections(planId, sections),
        track: (task) => this.track(task),
      });
  }

  /**
   * F4: every fetched section this worker has open goes to the engine, which decides. False when
   * one was still loading (its load may be older than this answer): the ETag must not be kept.
   */
  private remoteSections(planId: string, sections: readonly PlanSection[]): boolean {
    let absorbed = true;
    for (const section of sections) {
      const id = sectionId(planId, section.section_key);
      const s = this.state.sections[id];
      if (section.business_plan_id !== planId || !s) continue;
      if (s.phase === 'loading') absorbed = false;
      void this.dispatch({
        type: 'remote',
        id,
        section: { version: section.version, data: section.data },
      });
    }
    return absorbed;
  }

  /** A new tab connection: expose the result through Comlink (one per MessagePort). */
  createSession(): WorkerSessionApi {
    this.lastConnectAt = this.clock.now();
    return new Session(this);
  }

  /** The engine state (tests, debugging). */
  get engineState(): EngineState {
    return this.state;
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
    for (const { handle } of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    for (const cancel of this.unwatch.values()) cancel();
    this.unwatch.clear();
    this.freshener?.stop();
  }

  // ---- the engine loop ----------------------------------------------------------------------

  /**
   * Steps the engine and carries out its effects in order. Returns a promise of the step's
   * store writes: null once committed, or the write error (it never rejects).
   */
  private dispatch(input: Input): Promise<unknown> {
    if (this.stopped) return Promise.resolve(null);
    const { state, effects } = step(this.state, input);
    this.state = state;
    const writes: Promise<void>[] = [];
    for (const effect of effects) {
      try {
        const write = this.execute(effect);
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

  private execute(effect: Effect): Promise<void> | undefined {
    switch (effect.type) {
      case 'persist':
        return this.write(this.persistOps(effect));
      case 'load':
        this.track(this.runLoad(effect));
        return undefined;
      case 'save':
        this.track(this.runSave(effect));
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
        this.send(effect.tabs, { type: 'view', view: effect.view, seq: effect.seq });
        return undefined;
      case 'arm-timer': {
        this.clearTimer(effect.id);
        const { id, name } = effect;
        const handle = this.clock.setTimeout(() => {
          this.timers.delete(id);
          void this.dispatch({ type: 'timer', id, name });
        }, effect.ms);
        this.timers.set(id, { name, handle });
        return undefined;
      }
      case 'clear-timer':
        if (this.timers.get(effect.id)?.name === effect.name) this.clearTimer(effect.id);
        return undefined;
      case 'refresh-auth':
        this.askForRefresh(effect.timeoutMs);
        return undefined;
    }
  }

  /** R11: one tab renews the session; no new token in time (or no tab at all) → it failed. */
  private askForRefresh(timeoutMs: number): void {
    if (this.refreshTimer !== null) this.clock.clearTimeout(this.refreshTimer);
    const token = this.credentials?.accessToken ?? null;
    const failed = () => {
      this.refreshTimer = null;
      if ((this.credentials?.accessToken ?? null) === token)
        void this.dispatch({ type: 'auth-refresh-failed' });
    };
    const [tab] = this.links.values();
    if (!tab) {
      this.refreshTimer = this.clock.setTimeout(failed, 0);
      return;
    }
    tab.send({ type: 'refresh-session' });
    this.refreshTimer = this.clock.setTimeout(failed, timeoutMs);
  }

  private clearTimer(id: SectionId): void {
    const timer = this.timers.get(id);
    if (timer) this.clock.clearTimeout(timer.handle);
    this.timers.delete(id);
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

  private persistOps(effect: Effect & { type: 'persist' }): StoreOp[] {
    const id = recordId(this.workerId, effect.planId, effect.sectionKey);
    const base = {
      id,
      owner: this.workerId,
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

  private async runLoad(effect: Effect & { type: 'load' }): Promise<void> {
    const { id, loadId, planId, sectionKey } = effect;
    const auth = this.credentials;
    let outcome: LoadOutcome;
    if (!auth?.accessToken) outcome = { kind: 'unauthorized' };
    else {
      try {
        outcome = await this.api.getSection(auth, planId, sectionKey);
      } catch (error) {
        outcome = { kind: 'unavailable', message: errorText(error) };
      }
    }
    switch (outcome.kind) {
      case 'found':
        void this.dispatch({
          type: 'loaded',
          id,
          loadId,
          section: { version: outcome.section.version, data: outcome.section.data },
        });
        return;
      case 'not-found':
        void this.dispatch({ type: 'loaded', id, loadId, section: null });
        return;
      default:
        void this.dispatch({ type: 'load-failed', id, loadId, failure: failureOf(outcome) });
    }
  }

  private async runSave(effect: Effect & { type: 'save' }): Promise<void> {
    const { id, mutationId, request } = effect;
    // R3: whatever a request carries is on disk before it leaves.
    await this.writes;
    const auth = this.credentials;
    let outcome: SaveOutcome;
    if (!auth?.accessToken) outcome = { kind: 'unauthorized' };
    else {
      try {
        // R19: one writer per user at a time, across script versions (Web Lock).
        outcome = await this.writerLock(writerLockName(userOf(auth.accessToken)), () =>
          this.api.saveSection(auth, { ...request, mutationId }),
        );
      } catch (error) {
        outcome = { kind: 'unavailable', message: errorText(error) };
      }
    }
    switch (outcome.kind) {
      case 'saved':
        void this.dispatch({
          type: 'saved',
          id,
          mutationId,
          section: { version: outcome.section.version, data: outcome.section.data },
        });
        return;
      case 'conflict':
        void this.dispatch({
          type: 'save-conflict',
          id,
          mutationId,
          serverVersion: outcome.serverVersion,
          serverData: outcome.serverData,
        });
        return;
      case 'not-found':
        void this.dispatch({
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
        void this.dispatch({ type: 'save-failed', id, mutationId, failure: failureOf(outcome) });
    }
  }

  /** Answers open() calls once their section is loaded or its load failed. */
  private settleWaiters(): void {
    for (const [id, waiters] of this.waiters) {
      const s = this.state.sections[id];
      if (s && s.phase === 'loading' && !s.blocker) continue;
      this.waiters.delete(id);
      for (const resolve of waiters) resolve(s);
    }
  }

  private whenOpened(id: SectionId): Promise<SectionState | undefined> {
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
      this.settleWaiters();
    });
  }

  // ---- start: restore what a previous worker left ------------------------------------------

  private async start(): Promise<void> {
    try {
      this.liveness.holdWorker(this.workerId);
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

  /** R16, R20: takes over the unsaved edits of the workers `isGone` says are gone. */
  private async adopt(isGone: (owner: string) => Promise<boolean>): Promise<void> {
    const { snapshots, outbox } = await this.store.restoreAll();
    const dead = new Set<string>();
    for (const owner of new Set([...snapshots, ...outbox].map((r) => r.owner))) {
      if (await isGone(owner)) dead.add(owner);
    }
    // R16, R21: every gone worker's record, oldest first: each meets what is here three ways.
    const taken = outbox.filter((r) => dead.has(r.owner)).sort((a, b) => a.updatedAt - b.updatedAt);
    const sections: RestoredSection[] = taken.map((r) => {
      const snap = snapshots.find((s) => s.id === r.id);
      return {
        planId: r.planId,
        sectionKey: r.sectionKey,
        server: { version: r.baseVersion, data: snap?.data ?? {} },
        outbox: {
          baseVersion: r.baseVersion,
          fields: r.fields,
          conflict: r.conflict,
          unconfirmed: r.unconfirmed,
          attempt: r.attempt ?? null,
          ...(r.queued ? { queued: r.queued } : {}),
        },
      };
    });
    // The engine writes what it adopts under this worker's id; then the old records go.
    if (sections.length > 0) void this.dispatch({ type: 'restore', sections });
    const stale: StoreOp[] = [
      ...snapshots
        .filter((r) => dead.has(r.owner))
        .map((r) => ({ op: 'delete-snapshot' as const, id: r.id })),
      ...outbox
        .filter((r) => dead.has(r.owner))
        .map((r) => ({ op: 'delete-outbox' as const, id: r.id })),
    ];
    if (stale.length > 0) void this.write(stale).catch(() => {});
  }

  // ---- two script versions at once (R20) ------------------------------------------------------

  /**
   * Another worker said which protocol it speaks. Newer: this one retires (saves nothing more,
   * tells its tabs to reload, ends once they are gone). Older: it retires when it hears us, and
   * its unsaved edits are adopted once it is gone. Returns whether to answer with our own
   * announcement: once per peer, so the one that started first learns of the other too.
   */
  peerAnnounced(peer: { workerId: string; protocolVersion: number }): boolean {
    if (peer.workerId === this.workerId || peer.protocolVersion === PROTOCOL_VERSION) return false;
    const first = !this.peers.has(peer.workerId);
    this.peers.add(peer.workerId);
    if (peer.protocolVersion > PROTOCOL_VERSION) {
      this.retire(
        `A newer version of this app is open (sync protocol ${peer.protocolVersion}). Reload this page to keep editing; your edits are kept on this device.`,
      );
      return first;
    }
    if (first) this.adoptWhenGone(peer.workerId);
    return true;
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

  private retire(reason: string): void {
    if (this.retiredReason !== null) return;
    this.retiredReason = reason;
    void this.dispatch({ type: 'retire' });
    this.send([...this.links.keys()], { type: 'reload', reason });
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
      busy: this.tasks.size > 0,
      sending: sendingSections(this.state),
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

  private setCredentials(functionsUrl: string, accessToken: string | null): void {
    const before = this.credentials?.accessToken ?? null;
    this.credentials = { functionsUrl, accessToken };
    if (accessToken !== before) {
      if (this.refreshTimer !== null) this.clock.clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
      void this.dispatch({ type: 'auth-changed', signedIn: !!accessToken });
    }
  }

  /** R10: the device is online again (a tab's or the worker's own `online` event). */
  online(): void {
    if (this.isReady) void this.dispatch({ type: 'online' });
  }

  private tabGone(tabId: string): void {
    this.unwatch.delete(tabId);
    this.links.get(tabId)?.close();
    this.links.delete(tabId);
    void this.dispatch({ type: 'tab-gone', tab: tabId });
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
    ctx.tabId = tabId;
    ctx.testHooks = testHooks === true;
    if (ctx.testHooks && testDebounceMs !== undefined)
      void this.dispatch({ type: 'test-debounce', ms: testDebounceMs });
    this.links.get(tabId)?.close();
    this.links.set(tabId, this.linkFor(listener as Listener));
    if (!this.unwatch.has(tabId))
      this.unwatch.set(
        tabId,
        this.liveness.watchTab(tabId, () => this.tabGone(tabId)),
      );
    this.setCredentials(functionsUrl, accessToken === '' ? null : accessToken);
    // R20: a tab of the old version that connects after a newer worker took over.
    if (this.retiredReason !== null)
      this.send([tabId], { type: 'reload', reason: this.retiredReason });
    return ok({ workerId: this.workerId, protocolVersion: PROTOCOL_VERSION });
  }

  /** @internal */
  async sessionSetAuth(ctx: SessionContext, accessToken: unknown): Promise<WorkerResult<null>> {
    const parsed = AccessTokenSchema.safeParse(accessToken);
    if (!parsed.success) return badMessage('setAuth', parsed.error);
    if (ctx.tabId === null || !this.credentials) return notConnected();
    if (!this.isReady) await this.ready;
    this.setCredentials(this.credentials.functionsUrl, parsed.data);
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
    const id = sectionId(parsed.data.planId, parsed.data.sectionKey);
    void this.dispatch({ type: 'open', tab, ...parsed.data });
    const s = await this.whenOpened(id);
    if (!s || !s.tabs.includes(tab))
      return fail(WORKER_CODES.NOT_OPEN, 'The section was closed before it finished loading.');
    return ok({ ...viewOf(s), seq: this.state.editSeq });
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
    void this.dispatch({
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
    // R20: a replaced worker takes no edit: what the tab shows stays there, and the tab reloads.
    if (this.retiredReason !== null) return fail(WORKER_CODES.READ_ONLY, this.retiredReason);
    const problem = findSectionDataProblem(json);
    if (problem) return fail(WORKER_CODES.BAD_MESSAGE, `edit: ${problem}`);
    const tab = ctx.tabId;
    if (tab === null) return notConnected();
    if (!this.isReady) await this.ready;
    const key: SectionKey = parsed.data.sectionKey;
    const id = sectionId(parsed.data.planId, key);
    if (!this.state.sections[id]?.tabs.includes(tab)) return notOpen();
    const started = performance.now();
    const committed = this.dispatch({
      type: 'edit',
      tab,
      planId: parsed.data.planId,
      sectionKey: key,
      fields: json,
      ...(typedOn ? { base: typedOn } : {}),
    });
    const seq = this.state.editSeq;
    const now = this.state.sections[id];
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
    const s = this.state.sections[id];
    if (!s?.tabs.includes(tab)) return notOpen();
    if (!s.conflict)
      return fail(WORKER_CODES.NO_CONFLICT, 'There is no conflict to resolve in this section.');
    const error = await this.dispatch({ type: 'resolve', id, choice: parsedChoice.data });
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
    if (this.refreshTimer !== null) this.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    void this.dispatch({ type: 'auth-refresh-failed' });
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
    const error = await this.dispatch({ type: 'flush-now' });
    if (error) this.log('storing before a flush failed', error);
    return ok(null);
  }

  /** @internal F2, F5: a tab's visibility, focus, online or Realtime news. */
  async sessionFreshen(ctx: SessionContext, signal: unknown): Promise<WorkerResult<null>> {
    const parsed = FreshnessSignalSchema.safeParse(signal);
    if (!parsed.success) return badMessage('freshen', parsed.error);
    if (ctx.tabId === null) return notConnected();
    if (!this.isReady) await this.ready;
    const { kind } = parsed.data;
    if (kind === 'focus' || (kind === 'visibility' && parsed.data.visible))
      void this.dispatch({ type: 'tab-active', tab: ctx.tabId });
    this.freshener?.signal(ctx.tabId, parsed.data);
    return ok(null);
  }
}

/** The user a token belongs to (its `sub`), for the writer lock; the token is not checked here. */
export function userOf(token: string): string {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub.length > 0 ? sub : 'unknown';
  } catch {
    return 'unknown';
  }
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
  readonly #ctx: SessionContext = { tabId: null };
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
