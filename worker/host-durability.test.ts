// The host's durability and failure handling (docs/durability.md), with the in-memory API and store under
// fake timers. Rule numbers (R1…) refer to docs/single-writer.md.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi } from './adapters/memory-api.ts';
import { MemoryLiveness } from './adapters/memory-liveness.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { MESSAGES, RETRY_MAX_MS, SAVE_DEBOUNCE_MS } from './engine/index.ts';
import { SyncHost, userOf, type HostOptions } from './host.ts';
import { PROTOCOL_VERSION, type SaveStatus, type TabEvent } from './protocol.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;
const FUNCTIONS_URL = 'http://localhost:54321/functions/v1';

function world(options: Partial<HostOptions> = {}) {
  const api = new MemoryApi();
  const store = new MemoryStore();
  const host = new SyncHost({
    api,
    store,
    liveness: new MemoryLiveness(),
    seed: 7,
    workerId: 'worker-1',
    log: () => {},
    ...options,
  });
  return { api, store, host };
}

async function openTab(host: SyncHost, id: string, testHooks = false) {
  const session = host.createSession();
  const events: TabEvent[] = [];
  const hello = await session.hello(
    {
      protocolVersion: PROTOCOL_VERSION,
      tabId: id,
      functionsUrl: FUNCTIONS_URL,
      accessToken: 'token-1',
      testHooks,
    },
    (event) => void events.push(structuredClone(event)),
  );
  expect(hello.ok).toBe(true);
  expect((await session.open(PLAN, KEY)).ok).toBe(true);
  const status = (): SaveStatus | undefined => {
    const last = events.filter((e) => e.type === 'view').at(-1);
    return last?.type === 'view' ? last.view.status : undefined;
  };
  return { session, events, status };
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('host: idempotent saves (R18)', () => {
  it('a save whose answer was lost is resent with the same mutation id and answered 200', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.failure = { kind: 'network' };
    api.commitThenDrop = true; // the server commits, the answer is lost
    await tab.session.edit(PLAN, KEY, { motivation: 'once' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(tab.status()).toBe('saved-locally');
    expect(api.get(PLAN, KEY)?.version).toBe(1);
    api.failure = null;
    await advance(RETRY_MAX_MS);
    await host.idle();
    const [first, second] = api.puts;
    expect(second?.mutationId).toBe(first?.mutationId);
    expect(first?.mutationId).toMatch(/^worker-1:/);
    // Answered as a success, written once, never a conflict against itself.
    expect(api.get(PLAN, KEY)?.version).toBe(1);
    expect(tab.status()).toBe('saved');
  });

  it('a retry carrying more edits is a new mutation', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.failure = { kind: 'network' };
    await tab.session.edit(PLAN, KEY, { motivation: 'a' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    await tab.session.edit(PLAN, KEY, { concerns: 'b' });
    api.failure = null;
    await advance(RETRY_MAX_MS);
    await host.idle();
    const [first, second] = api.puts;
    expect(second?.mutationId).not.toBe(first?.mutationId);
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'a', concerns: 'b' });
  });

  it('a restarted worker resends the unanswered save with its mutation id', async () => {
    const store = new MemoryStore();
    const api = new MemoryApi();
    const first = new SyncHost({ api, store, seed: 1, workerId: 'old', log: () => {} });
    const tab = await openTab(first, 'A');
    api.pause(); // the save reaches the server, its answer never comes back
    await tab.session.edit(PLAN, KEY, { motivation: 'landed' });
    await advance(SAVE_DEBOUNCE_MS);
    first.stop();
    api.resume();
    expect(api.get(PLAN, KEY)?.version).toBe(1);
    const second = new SyncHost({ api, store, seed: 2, workerId: 'new', log: () => {} });
    await openTab(second, 'B');
    await second.idle();
    expect(api.puts).toHaveLength(2);
    expect(api.puts[1]?.mutationId).toBe(api.puts[0]?.mutationId);
    expect(api.get(PLAN, KEY)?.version).toBe(1);
    expect(store.outbox.size).toBe(0);
  });
});

describe('host: failing servers (R10)', () => {
  it('a 429 waits for Retry-After even when the backoff is shorter', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.failure = { kind: 'server', status: 429, retryAfterMs: 3_000 };
    await tab.session.edit(PLAN, KEY, { motivation: 'patient' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.puts).toHaveLength(1);
    api.failure = null;
    await advance(2_900);
    expect(api.puts).toHaveLength(1);
    await advance(200);
    await host.idle();
    expect(api.puts).toHaveLength(2);
    expect(tab.status()).toBe('saved');
  });

  it('online retries at once instead of waiting for the timer', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.failure = { kind: 'server', status: 503, retryAfterMs: 50_000 };
    await tab.session.edit(PLAN, KEY, { motivation: 'back online' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    api.failure = null;
    expect(await tab.session.online()).toEqual({ ok: true, value: null });
    await host.idle();
    expect(api.puts).toHaveLength(2);
    expect(tab.status()).toBe('saved');
    // Nothing is left armed: a second online does nothing.
    await tab.session.online();
    await host.idle();
    expect(api.puts).toHaveLength(2);
  });
});

describe('host: expired sessions (R11)', () => {
  it('a 401 asks one tab to renew the session; the new token saves the edits', async () => {
    const { host, api } = world();
    const a = await openTab(host, 'A');
    const b = await openTab(host, 'B');
    api.validTokens.clear();
    await a.session.edit(PLAN, KEY, { motivation: 'kept' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    const asked = [...a.events, ...b.events].filter((e) => e.type === 'refresh-session');
    expect(asked).toHaveLength(1);
    expect(a.status()).toBe('saved-locally');
    api.validTokens.add('token-2');
    await b.session.setAuth('token-2');
    await host.idle();
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'kept' });
    expect(a.status()).toBe('saved');
  });

  it('a tab that cannot renew the session: error at once, edits kept', async () => {
    const { host, api } = world();
    const a = await openTab(host, 'A');
    api.validTokens.clear();
    await a.session.edit(PLAN, KEY, { motivation: 'kept' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    await a.session.refreshFailed();
    await host.idle();
    const last = a.events.filter((e) => e.type === 'view').at(-1);
    expect(last).toMatchObject({ view: { status: 'error', message: MESSAGES.sessionExpired } });
    expect(host.engineState.sections[`${PLAN}/${KEY}`]?.local).toEqual({ motivation: 'kept' });
  });
});

describe('host: durable writes (R3)', () => {
  it('edits arriving while a write commits share the next write, each acknowledged after it', async () => {
    const { host, store } = world();
    const tab = await openTab(host, 'A');
    let open!: () => void;
    store.gate = new Promise<void>((resolve) => (open = resolve));
    const first = tab.session.edit(PLAN, KEY, { motivation: 'a' });
    await advance(0);
    const rest = ['ab', 'abc', 'abcd'].map((v) => tab.session.edit(PLAN, KEY, { motivation: v }));
    let answered = 0;
    for (const p of [first, ...rest]) void p.then(() => (answered += 1));
    await advance(0);
    expect(answered).toBe(0); // nothing is acknowledged before its write committed
    const before = store.commits;
    store.gate = null;
    open();
    await Promise.all([first, ...rest]);
    expect(store.commits - before).toBe(2); // the first edit's write, then one for the three
    expect([...store.outbox.values()][0]?.fields).toEqual({ motivation: 'abcd' });
  });

  it('without batching every edit is its own write', async () => {
    const { host, store } = world({ batchWrites: false });
    const tab = await openTab(host, 'A');
    const before = store.commits;
    await Promise.all(['a', 'b', 'c'].map((v) => tab.session.edit(PLAN, KEY, { motivation: v })));
    expect(store.commits - before).toBe(3);
  });
});

describe('host: one writer per user (R19)', () => {
  it('every save runs inside the writer lock of the token user', async () => {
    const held: string[] = [];
    const { host, api } = world({
      writerLock: async (name, save) => {
        held.push(name);
        return save();
      },
    });
    const payload = btoa(JSON.stringify({ sub: 'user-42' })).replace(/=+$/, '');
    const token = `h.${payload}.s`;
    api.validTokens.add(token);
    const tab = await openTab(host, 'A');
    await tab.session.setAuth(token);
    await tab.session.edit(PLAN, KEY, { motivation: 'x' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(held).toEqual(['writer:user-42']);
    expect(userOf('not a jwt')).toBe('unknown');
  });
});

describe('host: test hooks', () => {
  it('answer only sessions that asked for them at hello', async () => {
    const terminate = vi.fn();
    const { host } = world({ terminate });
    const plain = await openTab(host, 'A');
    expect(await plain.session.testHook('durability-stats')).toMatchObject({ ok: false });
    const hooked = await openTab(host, 'B', true);
    await hooked.session.edit(PLAN, KEY, { motivation: 'x' });
    const stats = await hooked.session.testHook('durability-stats');
    expect(stats.ok && (stats.value as { durableMs: number[] }).durableMs).toHaveLength(1);
    expect(await hooked.session.testHook('terminate')).toEqual({ ok: true, value: null });
    await advance(0);
    expect(terminate).toHaveBeenCalledOnce();
  });
});

describe('host: two script versions at once (R20)', () => {
  it("R16, R20: a live worker's records are adopted as soon as it is gone", async () => {
    const store = new MemoryStore();
    const api = new MemoryApi();
    const liveness = new MemoryLiveness();
    const first = new SyncHost({ api, store, liveness, seed: 1, workerId: 'one', log: () => {} });
    const tab = await openTab(first, 'A');
    await tab.session.edit(PLAN, KEY, { motivation: 'owned by one' });
    const second = new SyncHost({ api, store, liveness, seed: 2, workerId: 'two', log: () => {} });
    await second.idle();
    expect(second.engineState.sections).toEqual({}); // one still runs: its records stay its own
    await openTab(second, 'B'); // a tab brings the token the resend needs
    first.stop();
    liveness.releaseWorker('one');
    await advance(SAVE_DEBOUNCE_MS);
    await second.idle();
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'owned by one' });
    expect([...store.outbox.values()]).toEqual([]);
  });

  it('a newer worker retires this one: tabs told to reload, edits kept, no save, then it ends', async () => {
    const terminate = vi.fn();
    const liveness = new MemoryLiveness();
    const { host, api, store } = world({ terminate, liveness, workerId: 'old' });
    const tab = await openTab(host, 'A');
    expect(await tab.session.edit(PLAN, KEY, { motivation: 'typed in the old tab' })).toMatchObject(
      { ok: true },
    );
    // It answers once, so a newer worker that started later learns of it and adopts its edits.
    expect(host.peerAnnounced({ workerId: 'new', protocolVersion: PROTOCOL_VERSION + 1 })).toBe(
      true,
    );
    expect(host.peerAnnounced({ workerId: 'new', protocolVersion: PROTOCOL_VERSION + 1 })).toBe(
      false,
    );
    expect(host.isRetired).toBe(true);
    expect(tab.events.filter((e) => e.type === 'reload')).toHaveLength(1);
    // R20: from the moment it knows, it takes nothing more (the tab keeps it on screen).
    expect(await tab.session.edit(PLAN, KEY, { motivation: 'typed after it knew' })).toMatchObject({
      ok: false,
      code: 'READ_ONLY',
    });
    await advance(10 * SAVE_DEBOUNCE_MS);
    await tab.session.flush();
    await host.idle();
    expect(api.puts).toHaveLength(0);
    expect([...store.outbox.values()][0]?.fields).toEqual({ motivation: 'typed in the old tab' });
    // The status says so too: only a reload gets it saved.
    expect(tab.events.filter((e) => e.type === 'view').at(-1)).toMatchObject({
      view: { status: 'error', message: MESSAGES.retired },
    });
    expect(terminate).not.toHaveBeenCalled();
    liveness.kill('A');
    await host.idle();
    await advance(0);
    expect(terminate).toHaveBeenCalledOnce();
  });

  it('the newer worker answers an older one and adopts its edits once it is gone', async () => {
    const store = new MemoryStore();
    const api = new MemoryApi();
    const liveness = new MemoryLiveness();
    const older = new SyncHost({ api, store, liveness, seed: 1, workerId: 'old', log: () => {} });
    const oldTab = await openTab(older, 'A');
    await oldTab.session.edit(PLAN, KEY, { concerns: 'from the old tab' });
    older.peerAnnounced({ workerId: 'new', protocolVersion: PROTOCOL_VERSION + 1 });
    const newer = new SyncHost({ api, store, liveness, seed: 2, workerId: 'new', log: () => {} });
    const newTab = await openTab(newer, 'B');
    expect(newer.peerAnnounced({ workerId: 'old', protocolVersion: PROTOCOL_VERSION - 1 })).toBe(
      true,
    );
    await newTab.session.edit(PLAN, KEY, { motivation: 'from the new tab' });
    await advance(SAVE_DEBOUNCE_MS);
    await newer.idle();
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'from the new tab' });
    older.stop();
    liveness.releaseWorker('old'); // the old worker ended
    await advance(SAVE_DEBOUNCE_MS);
    await newer.idle();
    expect(newTab.events).toContainEqual(
      expect.objectContaining({
        type: 'view',
        view: expect.objectContaining({
          data: { motivation: 'from the new tab', concerns: 'from the old tab' },
        }),
      }),
    );
    expect(api.get(PLAN, KEY)?.data).toEqual({
      motivation: 'from the new tab',
      concerns: 'from the old tab',
    });
    expect([...store.outbox.keys()].filter((k) => k.startsWith('old|'))).toEqual([]);
  });
});
