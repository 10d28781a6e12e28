// One browser profile, several people (U1–U6 in docs/durability.md): the host with the in-memory
// API (plans owned by users), store and liveness, under fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi, tokenFor } from './adapters/memory-api.ts';
import { MemoryFeed } from './adapters/memory-feed.ts';
import { MemoryLiveness } from './adapters/memory-liveness.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { MESSAGES, RETRY_MAX_MS, SAVE_DEBOUNCE_MS } from './engine/index.ts';
import { SyncHost, type HostOptions } from './host.ts';
import { recordId, type OutboxRecord, type SnapshotRecord } from './ports.ts';
import { PROTOCOL_VERSION, type TabEvent, type WorkerSessionApi } from './protocol.ts';

const PLAN_A = '00000000-0000-4000-8000-00000000000a';
const PLAN_B = '00000000-0000-4000-8000-00000000000b';
const KEY = 'section-one' as const;
const FUNCTIONS_URL = 'http://localhost:54321/functions/v1';
const A = 'user-a';
const B = 'user-b';
const TOKEN_A = tokenFor(A);
const TOKEN_B = tokenFor(B);

function world(options: Partial<HostOptions> & { store?: MemoryStore; api?: MemoryApi } = {}) {
  const api = options.api ?? new MemoryApi();
  const store = options.store ?? new MemoryStore();
  if (!options.api) {
    for (const token of [TOKEN_A, TOKEN_B]) api.validTokens.add(token);
    api.planOwners.set(PLAN_A, A);
    api.planOwners.set(PLAN_B, B);
  }
  const host = new SyncHost({
    liveness: new MemoryLiveness(),
    seed: 7,
    workerId: 'worker-1',
    log: () => {},
    ...options,
    api,
    store,
  });
  return { api, store, host };
}

interface Tab {
  session: WorkerSessionApi;
  events: TabEvent[];
  /** Every field value this tab was ever shown by the worker (patches and views). */
  shown(): unknown[];
}

async function connect(host: SyncHost, tabId: string, token: string | null): Promise<Tab> {
  const session = host.createSession();
  const events: TabEvent[] = [];
  const hello = await session.hello(
    { protocolVersion: PROTOCOL_VERSION, tabId, functionsUrl: FUNCTIONS_URL, accessToken: token },
    (event) => void events.push(structuredClone(event)),
  );
  expect(hello.ok).toBe(true);
  const shown = () =>
    events.flatMap((e) =>
      e.type === 'patch'
        ? Object.values(e.fields)
        : e.type === 'view'
          ? Object.values(e.view.data)
          : [],
    );
  return { session, events, shown };
}

async function opened(tab: Tab, planId: string) {
  const result = await tab.session.open(planId, KEY);
  expect(result.ok).toBe(true);
  return result;
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const putsWith = (api: MemoryApi, token: string) => api.puts.filter((r) => r.token === token);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('U1: local data is keyed by user', () => {
  it('every record carries its user; each save goes with the token of the user who typed it', async () => {
    const { host, api, store } = world();
    const a = await connect(host, 'tab-a', TOKEN_A);
    const b = await connect(host, 'tab-b', TOKEN_B);
    await opened(a, PLAN_A);
    await opened(b, PLAN_B);
    api.failure = { kind: 'network' };
    await a.session.edit(PLAN_A, KEY, { motivation: 'A types' });
    await b.session.edit(PLAN_B, KEY, { motivation: 'B types' });
    const records = [...store.outbox.values()].map((r) => ({ id: r.id, user: r.user }));
    expect(records).toEqual(
      expect.arrayContaining([
        { id: recordId('worker-1', PLAN_A, KEY, A), user: A },
        { id: recordId('worker-1', PLAN_B, KEY, B), user: B },
      ]),
    );
    api.failure = null;
    await advance(SAVE_DEBOUNCE_MS + RETRY_MAX_MS);
    await host.idle();
    expect(api.get(PLAN_A, KEY)?.data).toEqual({ motivation: 'A types' });
    expect(api.get(PLAN_B, KEY)?.data).toEqual({ motivation: 'B types' });
    expect(putsWith(api, TOKEN_A).every((r) => r.planId === PLAN_A)).toBe(true);
    expect(putsWith(api, TOKEN_B).every((r) => r.planId === PLAN_B)).toBe(true);
    expect(host.engineStateOf(A)?.sections[`${PLAN_B}/${KEY}`]).toBeUndefined();
  });

  it('two users on one section each have their own copy: no patch of one reaches the other', async () => {
    const { host, api } = world();
    const shared = '00000000-0000-4000-8000-0000000000cc'; // open to every token in the fake
    api.writeAsOtherDevice(shared, KEY, { motivation: 'server' });
    const a = await connect(host, 'tab-a', TOKEN_A);
    const b = await connect(host, 'tab-b', TOKEN_B);
    await opened(a, shared);
    await opened(b, shared);
    await a.session.edit(shared, KEY, { motivation: 'A draft' });
    expect(b.shown()).not.toContain('A draft');
    expect(await b.session.edit(shared, KEY, { concerns: 'B draft' })).toMatchObject({ ok: true });
    expect(a.shown()).not.toContain('B draft');
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    // Each text first leaves with its author's token; the other copy has it only from the server.
    const firstCarrying = (text: string) =>
      api.puts.find((r) => Object.values(r.data ?? {}).includes(text))?.token;
    expect(firstCarrying('A draft')).toBe(TOKEN_A);
    expect(firstCarrying('B draft')).toBe(TOKEN_B);
    // Each copy saved as its own user; the second met the first as another device's save (R8).
    expect(api.get(shared, KEY)?.data).toEqual({ motivation: 'A draft', concerns: 'B draft' });
  });
});

describe("U3: opening a plan that isn't yours", () => {
  it('NOT_AVAILABLE with the words; edits answer NOT_OPEN; nothing is kept or sent', async () => {
    const { host, api, store } = world();
    const b = await connect(host, 'tab-b', TOKEN_B);
    expect(await b.session.open(PLAN_A, KEY)).toEqual({
      ok: false,
      code: 'NOT_AVAILABLE',
      message: MESSAGES.notAvailable,
    });
    expect(await b.session.edit(PLAN_A, KEY, { motivation: 'x' })).toMatchObject({
      ok: false,
      code: 'NOT_OPEN',
    });
    await advance(10 * SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.requests.map((r) => [r.method, r.token])).toEqual([['GET', TOKEN_B]]);
    expect(store.outbox.size).toBe(0);
    expect(store.snapshots.size).toBe(0);
    // Their own never-saved plan still opens as an empty saved section (R12).
    expect(await b.session.open(PLAN_B, KEY)).toMatchObject({
      ok: true,
      value: { status: 'saved', serverVersion: 0, data: {} },
    });
  });

  it("typed offline into a plan that turns out not to be yours: told, dropped, never saved in the owner's plan", async () => {
    const { host, api, store } = world();
    api.writeAsOtherDevice(PLAN_A, KEY, { motivation: "A's text" });
    const b = await connect(host, 'tab-b', TOKEN_B);
    api.failure = { kind: 'network' };
    // Nothing of B's here and no server: today's offline editor, with nobody's data in it.
    expect(await b.session.open(PLAN_A, KEY)).toMatchObject({
      ok: true,
      value: { status: 'saved-locally', data: {} },
    });
    expect(await b.session.edit(PLAN_A, KEY, { concerns: 'B typed' })).toMatchObject({ ok: true });
    api.failure = null;
    await advance(RETRY_MAX_MS);
    await host.idle();
    expect(b.events.at(-1)).toMatchObject({
      type: 'view',
      view: { status: 'error', message: MESSAGES.notAvailable, data: {} },
    });
    expect(await b.session.edit(PLAN_A, KEY, { concerns: 'more' })).toMatchObject({
      code: 'NOT_OPEN',
    });
    expect(store.outbox.size).toBe(0);
    expect(api.puts).toHaveLength(0);
    expect(api.get(PLAN_A, KEY)?.data).toEqual({ motivation: "A's text" });
    expect(b.shown()).not.toContain("A's text");
  });

  it('a tab that gave no token is shown no section', async () => {
    const { host, api } = world();
    const tab = await connect(host, 'tab-x', null);
    expect(await tab.session.open(PLAN_A, KEY)).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE',
    });
    expect(api.requests).toHaveLength(0);
  });
});

describe('U4: signing out', () => {
  it("drops the user's token at once, tells their tabs, seals their edits; B never sees them", async () => {
    const { host, api, store } = world();
    const a1 = await connect(host, 'tab-a1', TOKEN_A);
    const a2 = await connect(host, 'tab-a2', TOKEN_A);
    const other = await connect(host, 'tab-b0', TOKEN_B);
    await opened(a1, PLAN_A);
    await opened(a2, PLAN_A);
    api.failure = { kind: 'server', status: 503 };
    await a1.session.edit(PLAN_A, KEY, { motivation: 'A private draft: salary 95k' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    const before = api.requests.length;
    // A signs out on the plans page (any tab of theirs says so).
    expect(await a2.session.setAuth(null)).toEqual({ ok: true, value: null });
    for (const tab of [a1, a2])
      expect(tab.events.filter((e) => e.type === 'signed-out')).toEqual([
        { type: 'signed-out', userId: A },
      ]);
    expect(other.events.some((e) => e.type === 'signed-out')).toBe(false);
    api.failure = null;
    await advance(10 * RETRY_MAX_MS);
    await host.idle();
    expect(api.requests.slice(before).filter((r) => r.token === TOKEN_A)).toEqual([]);
    // Sealed to A, on the device.
    expect([...store.outbox.values()]).toMatchObject([
      { user: A, planId: PLAN_A, fields: { motivation: 'A private draft: salary 95k' } },
    ]);
    // The signed-out tabs can't reach A's copy any more.
    expect(await a1.session.edit(PLAN_A, KEY, { motivation: 'x' })).toMatchObject({
      code: 'NOT_OPEN',
    });
    expect(await a1.session.open(PLAN_A, KEY)).toMatchObject({ code: 'NOT_AVAILABLE' });
    // B signs in on that profile and opens A's address from history.
    const b = await connect(host, 'tab-b', TOKEN_B);
    expect(await b.session.open(PLAN_A, KEY)).toMatchObject({ code: 'NOT_AVAILABLE' });
    expect(await b.session.edit(PLAN_A, KEY, { concerns: 'B text' })).toMatchObject({
      code: 'NOT_OPEN',
    });
    await opened(b, PLAN_B);
    await b.session.edit(PLAN_B, KEY, { concerns: 'B own text' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(b.shown()).not.toContain('A private draft: salary 95k');
    expect(api.get(PLAN_A, KEY)).toBeUndefined();
    // A signs in again (any tab, later): the sealed draft goes out with A's token.
    await a1.session.setAuth(TOKEN_A);
    await host.idle();
    expect(api.get(PLAN_A, KEY)?.data).toEqual({ motivation: 'A private draft: salary 95k' });
    expect(putsWith(api, TOKEN_A).every((r) => r.planId === PLAN_A)).toBe(true);
    expect(putsWith(api, TOKEN_B).every((r) => r.planId === PLAN_B)).toBe(true);
    expect(store.outbox.size).toBe(0);
  });

  it('a save waiting for the writer lock at sign-out never leaves with the old token', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { host, api } = world({ writerLock: async (_name, save) => gate.then(save) });
    const a = await connect(host, 'tab-a', TOKEN_A);
    await opened(a, PLAN_A);
    await a.session.edit(PLAN_A, KEY, { motivation: 'waiting' });
    await advance(SAVE_DEBOUNCE_MS);
    await a.session.setAuth(null);
    release();
    await advance(0);
    await host.idle();
    expect(api.puts).toHaveLength(0);
  });

  it('after a reload the sealed edits wait for their user: a tab of another user saves nothing of them', async () => {
    const store = new MemoryStore();
    const first = world({ store });
    const a = await connect(first.host, 'tab-a', TOKEN_A);
    await opened(a, PLAN_A);
    first.api.failure = { kind: 'network' };
    await a.session.edit(PLAN_A, KEY, { motivation: 'kept for A' });
    await a.session.setAuth(null);
    first.host.stop();
    const second = world({ store, api: first.api, workerId: 'worker-2' });
    first.api.failure = null;
    const b = await connect(second.host, 'tab-b', TOKEN_B);
    await opened(b, PLAN_B);
    await advance(10 * RETRY_MAX_MS);
    await second.host.idle();
    expect(putsWith(first.api, TOKEN_B)).toHaveLength(0);
    expect([...store.outbox.values()]).toMatchObject([{ user: A, owner: 'worker-2' }]);
    await connect(second.host, 'tab-a-again', TOKEN_A);
    await second.host.idle();
    expect(first.api.get(PLAN_A, KEY)?.data).toEqual({ motivation: 'kept for A' });
    expect(putsWith(first.api, TOKEN_A)).toHaveLength(1);
    expect(store.outbox.size).toBe(0);
  });
});

describe('U1, U2: a save refused for one user is never replayed as another', () => {
  it("B's edits answered 404 stay B's: A signing in and opening that plan never sends them", async () => {
    const { host, api } = world();
    const shared = '00000000-0000-4000-8000-0000000000dd';
    const b = await connect(host, 'tab-b', TOKEN_B);
    await opened(b, shared); // readable when B opened it
    api.planOwners.set(shared, A); // then not B's any more (or never was: a stale copy)
    await b.session.edit(shared, KEY, { concerns: 'B typed' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(b.events.at(-1)).toMatchObject({ type: 'view', view: { status: 'error' } });
    const a = await connect(host, 'tab-a', TOKEN_A);
    await opened(a, shared);
    await a.session.edit(shared, KEY, { motivation: 'A typed' });
    await b.session.edit(shared, KEY, { concerns: 'B again' }); // retried as B: 404 again
    await advance(10 * SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(a.shown()).not.toContain('B typed');
    expect(api.get(shared, KEY)?.data).toEqual({ motivation: 'A typed' });
    const bText = api.puts.filter((r) => JSON.stringify(r.data).includes('B '));
    expect(bText.length).toBeGreaterThan(0);
    expect(bText.every((r) => r.token === TOKEN_B)).toBe(true);
  });
});

describe('U2: tokens per user', () => {
  it("a refreshed token serves every session of that user; another user's token never does", async () => {
    const { host, api } = world();
    const a1 = await connect(host, 'tab-a1', TOKEN_A);
    const a2 = await connect(host, 'tab-a2', TOKEN_A);
    await connect(host, 'tab-b', TOKEN_B);
    await opened(a1, PLAN_A);
    const refreshed = tokenFor(A, 'refreshed');
    api.validTokens.add(refreshed);
    api.validTokens.delete(TOKEN_A);
    await a2.session.setAuth(refreshed);
    await a1.session.edit(PLAN_A, KEY, { motivation: 'typed in tab 1' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.puts.map((r) => r.token)).toEqual([refreshed]);
    expect(api.get(PLAN_A, KEY)?.data).toEqual({ motivation: 'typed in tab 1' });
  });

  it("a tab signing in as another user leaves the first user's copy for its own", async () => {
    const { host, api } = world();
    const shared = '00000000-0000-4000-8000-0000000000cc';
    const tab = await connect(host, 'tab-1', TOKEN_A);
    await opened(tab, shared);
    await opened(tab, PLAN_A);
    api.failure = { kind: 'network' };
    await tab.session.edit(shared, KEY, { motivation: 'A typed' });
    api.failure = null;
    await tab.session.setAuth(TOKEN_B);
    await host.idle();
    // Its sections now are B's copies: the shared one B may read, A's plan not available to B.
    const views = tab.events.flatMap((e) => (e.type === 'view' ? [e.view] : []));
    expect(views.filter((v) => v.planId === PLAN_A).at(-1)).toMatchObject({
      status: 'error',
      message: MESSAGES.notAvailable,
    });
    expect(views.filter((v) => v.planId === shared).at(-1)).toMatchObject({ data: {} });
    expect(await tab.session.edit(PLAN_A, KEY, { motivation: 'B' })).toMatchObject({
      code: 'NOT_OPEN',
    });
    await advance(10 * RETRY_MAX_MS);
    await host.idle();
    // No tab of A is left: A's token went with it; A's edit waits, never sent as B.
    expect(api.puts.filter((r) => r.data?.motivation === 'A typed')).toEqual([]);
  });
});

describe('U2: refetches (F1–F6) go as the user whose copy is open', () => {
  it("each user's plan is fetched with that user's token, and only that user's copy takes it", async () => {
    const api = new MemoryApi();
    for (const token of [TOKEN_A, TOKEN_B]) api.validTokens.add(token);
    api.planOwners.set(PLAN_A, A);
    api.planOwners.set(PLAN_B, B);
    const feed = new MemoryFeed(api);
    const { host } = world({ api, feed });
    const a = await connect(host, 'tab-a', TOKEN_A);
    const b = await connect(host, 'tab-b', TOKEN_B);
    await opened(a, PLAN_A);
    await opened(b, PLAN_B);
    api.writeAsOtherDevice(PLAN_A, KEY, { motivation: 'from A elsewhere' });
    await b.session.freshen({ kind: 'focus' });
    await a.session.freshen({ kind: 'remote-change', planId: PLAN_A });
    await host.idle();
    const asked = feed.requests.map((r) => [r.planId, r.token]);
    expect(asked).toContainEqual([PLAN_A, TOKEN_A]);
    expect(asked).toContainEqual([PLAN_B, TOKEN_B]);
    expect(asked.filter(([plan, token]) => (plan === PLAN_A) !== (token === TOKEN_A))).toEqual([]);
    expect(a.shown()).toContain('from A elsewhere');
    expect(b.shown()).not.toContain('from A elsewhere');
  });
});

describe('U5: adoption respects the user', () => {
  it("a dead worker's records are adopted per user and saved only with that user's token", async () => {
    const store = new MemoryStore();
    const first = world({ store });
    const a = await connect(first.host, 'tab-a', TOKEN_A);
    const b = await connect(first.host, 'tab-b', TOKEN_B);
    await opened(a, PLAN_A);
    await opened(b, PLAN_B);
    first.api.failure = { kind: 'network' };
    await a.session.edit(PLAN_A, KEY, { motivation: 'A unsaved' });
    await b.session.edit(PLAN_B, KEY, { motivation: 'B unsaved' });
    first.host.stop(); // dies with both outboxes
    first.api.failure = null;
    const second = world({ store, api: first.api, workerId: 'worker-2' });
    const a2 = await connect(second.host, 'tab-a2', TOKEN_A);
    await second.host.idle();
    expect(first.api.get(PLAN_A, KEY)?.data).toEqual({ motivation: 'A unsaved' });
    expect(first.api.get(PLAN_B, KEY)).toBeUndefined();
    // A's tab can't reach B's adopted copy.
    expect(await a2.session.open(PLAN_B, KEY)).toMatchObject({ code: 'NOT_AVAILABLE' });
    expect(a2.shown()).not.toContain('B unsaved');
    expect([...store.outbox.values()]).toMatchObject([{ user: B, owner: 'worker-2' }]);
    const b2 = await connect(second.host, 'tab-b2', TOKEN_B);
    await second.host.idle();
    expect(first.api.get(PLAN_B, KEY)?.data).toEqual({ motivation: 'B unsaved' });
    expect(putsWith(first.api, TOKEN_A).map((r) => r.planId)).not.toContain(PLAN_B);
    expect(putsWith(first.api, TOKEN_B).map((r) => r.planId)).not.toContain(PLAN_A);
    expect((await b2.session.open(PLAN_B, KEY)).ok).toBe(true);
  });
});

describe("U6: the previous build's records (no user)", () => {
  const legacy = (): { outbox: OutboxRecord; snapshot: SnapshotRecord } => ({
    outbox: {
      id: recordId('old-build', PLAN_A, KEY),
      owner: 'old-build',
      planId: PLAN_A,
      sectionKey: KEY,
      baseVersion: 0,
      fields: { motivation: 'typed before the upgrade' },
      conflict: null,
      unconfirmed: [],
      updatedAt: 1,
    },
    snapshot: {
      id: recordId('old-build', PLAN_A, KEY),
      owner: 'old-build',
      planId: PLAN_A,
      sectionKey: KEY,
      version: 0,
      data: {},
      updatedAt: 1,
    },
  });

  it('stay sealed until the server answers the owner, then are adopted by that user only', async () => {
    const store = new MemoryStore();
    const { outbox, snapshot } = legacy();
    await store.apply([
      { op: 'put-outbox', record: outbox },
      { op: 'put-snapshot', record: snapshot },
    ]);
    const { host, api } = world({ store });
    const b = await connect(host, 'tab-b', TOKEN_B);
    await opened(b, PLAN_B);
    expect(await b.session.open(PLAN_A, KEY)).toMatchObject({ code: 'NOT_AVAILABLE' });
    const a = await connect(host, 'tab-a', TOKEN_A);
    await advance(10 * RETRY_MAX_MS);
    await host.idle();
    // Read back, not lost, and not sent for anyone yet: signing in proves nothing about a plan.
    expect(api.puts).toHaveLength(0);
    expect(store.outbox.get(outbox.id)).toEqual(outbox);
    expect(b.shown()).not.toContain('typed before the upgrade');
    // A opens the plan: the server answers A (owner proven), the sealed edits become A's.
    await opened(a, PLAN_A);
    await host.idle();
    expect(a.shown()).toContain('typed before the upgrade');
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.get(PLAN_A, KEY)?.data).toEqual({ motivation: 'typed before the upgrade' });
    expect(api.puts.map((r) => r.token)).toEqual([TOKEN_A]);
    expect(store.outbox.has(outbox.id)).toBe(false);
    expect(store.snapshots.has(snapshot.id)).toBe(false);
  });
});

describe('U1–U5 under random sign-ins, sign-outs, failures and restarts', () => {
  /** A tiny seeded generator: the same seed replays the same run. */
  const lcg = (seed: number) => () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 2 ** 32;
  };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "seed %i: each user's last text is saved in their plan with their token; nobody sees another's",
    async (seed) => {
      const random = lcg(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const store = new MemoryStore();
      let w = world({ store });
      const { api } = w;
      const users = [
        { user: A, token: TOKEN_A, plan: PLAN_A, field: 'motivation', last: null as string | null },
        { user: B, token: TOKEN_B, plan: PLAN_B, field: 'concerns', last: null as string | null },
      ];
      const tabs = new Map<string, { tab: Tab; user: (typeof users)[number] | null }>();
      let n = 0;
      const connectAs = async (who: (typeof users)[number]) => {
        const id = `tab-${(n += 1)}`;
        const tab = await connect(w.host, id, who.token);
        tabs.set(id, { tab, user: who });
        await tab.session.open(who.plan, KEY);
      };
      for (let i = 0; i < 60; i += 1) {
        const action = pick(['type', 'type', 'type', 'connect', 'sign-out', 'net', 'restart']);
        const signedIn = [...tabs.values()].filter((t) => t.user !== null);
        if (action === 'connect' || signedIn.length === 0) await connectAs(pick(users));
        else if (action === 'type') {
          const { tab, user } = pick(signedIn);
          const text = `${user!.user} text ${i}`;
          const result = await tab.session.edit(user!.plan, KEY, { [user!.field]: text });
          if (result.ok) user!.last = text;
          // Another user's plan: not available, or (no network) an empty offline editor.
          const other = users.find((u) => u !== user)!;
          const foreign = await tab.session.open(other.plan, KEY);
          if (foreign.ok)
            expect(foreign.value).toMatchObject({ status: 'saved-locally', data: {} });
          else expect(foreign.code).toBe('NOT_AVAILABLE');
        } else if (action === 'sign-out') {
          const chosen = pick(signedIn);
          await chosen.tab.session.setAuth(null);
          for (const t of tabs.values()) if (t.user === chosen.user) t.user = null;
        } else if (action === 'net') {
          api.failure = api.failure ? null : { kind: 'network' };
        } else {
          w.host.stop();
          w = world({ store, api, workerId: `worker-${i}` });
          tabs.clear();
        }
        await advance(Math.floor(random() * 2 * SAVE_DEBOUNCE_MS));
      }
      // Everyone signs in again on a working network.
      api.failure = null;
      for (const who of users) await connectAs(who);
      await advance(10 * RETRY_MAX_MS);
      await w.host.idle();
      for (const who of users) {
        const s = w.host.engineStateOf(who.user)?.sections[`${who.plan}/${KEY}`];
        // Saved, or (typed on an unknown base while the load failed, R12) a conflict that still
        // holds it for its author to decide: never lost, never someone else's.
        if (who.last !== null && s?.conflict) expect(s.local[who.field]).toBe(who.last);
        else if (who.last !== null) expect(api.get(who.plan, KEY)?.data[who.field]).toBe(who.last);
        expect(
          api.puts.filter((r) => r.planId === who.plan).every((r) => r.token === who.token),
        ).toBe(true);
      }
      for (const { tab } of tabs.values())
        for (const value of tab.shown())
          expect(typeof value !== 'string' || value.startsWith(A) || value.startsWith(B)).toBe(
            true,
          );
    },
  );
});

describe("R24: each section's status reaches every tab of its user, and only theirs", () => {
  const TWO = 'section-two' as const;
  const statuses = (tab: Tab) =>
    tab.events.flatMap((e) => (e.type === 'statuses' ? [e.sections] : []));
  const last = (tab: Tab) => statuses(tab).at(-1) ?? [];

  it('another tab of the same user hears an edit of a section it has not open; another user never does', async () => {
    const { host } = world();
    const a1 = await connect(host, 'tab-a1', TOKEN_A);
    const a2 = await connect(host, 'tab-a2', TOKEN_A);
    const b = await connect(host, 'tab-b', TOKEN_B);
    // A tab hears the statuses as they are when it binds, before anything is open.
    expect(statuses(a1)[0]).toEqual([]);
    await opened(a1, PLAN_A);
    expect((await a2.session.open(PLAN_A, TWO)).ok).toBe(true);
    await opened(b, PLAN_B);
    await a2.session.edit(PLAN_A, TWO, { stage: 'typed in tab a2' });
    expect(last(a1)).toEqual([
      { planId: PLAN_A, sectionKey: KEY, status: 'saved' },
      { planId: PLAN_A, sectionKey: TWO, status: 'pending' },
    ]);
    expect(last(a2)).toEqual(last(a1));
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(last(a1)).toEqual([
      { planId: PLAN_A, sectionKey: KEY, status: 'saved' },
      { planId: PLAN_A, sectionKey: TWO, status: 'saved' },
    ]);
    // U1: B's tab only ever heard of B's section.
    const heardByB = statuses(b).flat();
    expect(heardByB.length).toBeGreaterThan(0);
    expect(heardByB.every((e) => e.planId === PLAN_B)).toBe(true);
    // A tab binding later hears the current summary at once.
    const a3 = await connect(host, 'tab-a3', TOKEN_A);
    expect(statuses(a3)).toEqual([last(a1)]);
  });

  it('an unchanged summary is not sent again on every keystroke', async () => {
    const { host } = world();
    const a1 = await connect(host, 'tab-a1', TOKEN_A);
    await opened(a1, PLAN_A);
    const before = statuses(a1).length;
    await a1.session.edit(PLAN_A, KEY, { motivation: 'o' });
    await a1.session.edit(PLAN_A, KEY, { motivation: 'on' });
    await a1.session.edit(PLAN_A, KEY, { motivation: 'one' });
    expect(statuses(a1).length).toBe(before + 1);
  });
});
