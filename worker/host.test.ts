// The host with the in-memory API, store and liveness, under fake timers: what tabs see and what
// the server gets. Rule numbers (R1…) refer to docs/single-writer.md.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi } from './adapters/memory-api.ts';
import { MemoryLiveness } from './adapters/memory-liveness.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import {
  MESSAGES,
  RETRY_BASE_MS,
  SAVE_DEBOUNCE_MS,
  SESSION_REFRESH_TIMEOUT_MS,
} from './engine/index.ts';
import { SyncHost } from './host.ts';
import type { Api } from './ports.ts';
import {
  PROTOCOL_VERSION,
  type Hello,
  type SaveStatus,
  type TabEvent,
  type WorkerSessionApi,
} from './protocol.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;
const FUNCTIONS_URL = 'http://localhost:54321/functions/v1';

interface World {
  api: MemoryApi;
  store: MemoryStore;
  liveness: MemoryLiveness;
  host: SyncHost;
}

function world(
  parts: Partial<Omit<World, 'host'>> & { workerId?: string; api?: MemoryApi } = {},
): World {
  const api = parts.api ?? new MemoryApi();
  const store = parts.store ?? new MemoryStore();
  const liveness = parts.liveness ?? new MemoryLiveness();
  const host = new SyncHost({
    api,
    store,
    liveness,
    seed: 7,
    workerId: parts.workerId ?? 'worker-1',
    log: () => {},
  });
  return { api, store, liveness, host };
}

interface Tab {
  id: string;
  session: WorkerSessionApi;
  events: TabEvent[];
  statuses: () => SaveStatus[];
}

async function connect(host: SyncHost, id: string, token: string | null = 'token-1'): Promise<Tab> {
  const session = host.createSession();
  const events: TabEvent[] = [];
  const hello = await session.hello(
    {
      protocolVersion: PROTOCOL_VERSION,
      tabId: id,
      functionsUrl: FUNCTIONS_URL,
      accessToken: token,
    },
    (event) => void events.push(structuredClone(event)),
  );
  expect(hello).toMatchObject({ ok: true, value: { protocolVersion: PROTOCOL_VERSION } });
  const statuses = () =>
    events
      .flatMap((e) => (e.type === 'view' ? [e.view.status] : []))
      .filter((s, i, all) => i === 0 || all[i - 1] !== s);
  return { id, session, events, statuses };
}

async function openTab(host: SyncHost, id: string, token?: string | null) {
  const tab = await connect(host, id, token);
  const opened = await tab.session.open(PLAN, KEY);
  expect(opened.ok).toBe(true);
  return tab;
}

const sectionOf = (host: SyncHost) => host.engineState.sections[`${PLAN}/${KEY}`];
const statusOf = async (tab: Tab) => {
  const views = tab.events.filter((e) => e.type === 'view');
  const last = views.at(-1);
  return last?.type === 'view' ? last.view.status : undefined;
};

async function edit(tab: Tab, fields: Record<string, unknown>) {
  const result = await tab.session.edit(PLAN, KEY, fields);
  expect(result.ok).toBe(true);
  return result;
}

/** Lets the fake clock run `ms` and every promise settle. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('host: opening', () => {
  it('R12: a never-saved section opens as saved, version 0, empty', async () => {
    const { host } = world();
    const tab = await connect(host, 'A');
    const opened = await tab.session.open(PLAN, KEY);
    expect(opened).toEqual({
      ok: true,
      value: {
        planId: PLAN,
        sectionKey: KEY,
        data: {},
        serverVersion: 0,
        status: 'saved',
        message: null,
        conflict: null,
        seq: 0, // no edit yet: the last edit seq the answer includes
      },
    });
  });

  it('R12: a saved section opens with its server data and version', async () => {
    const { host, api } = world();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'bread' });
    const tab = await connect(host, 'A');
    const opened = await tab.session.open(PLAN, KEY);
    expect(opened).toMatchObject({
      ok: true,
      value: { data: { motivation: 'bread' }, serverVersion: 1 },
    });
  });
});

describe('host: the last confirmed save time (savedAt)', () => {
  it("a loaded section carries the server's updated_at; a save brings the newer one", async () => {
    const { host, api } = world();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'bread' });
    const loadedAt = api.get(PLAN, KEY)?.updated_at;
    const tab = await connect(host, 'A');
    const opened = await tab.session.open(PLAN, KEY);
    expect(opened).toMatchObject({ ok: true, value: { savedAt: loadedAt } });
    await edit(tab, { motivation: 'rye' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    const savedAt = api.get(PLAN, KEY)?.updated_at;
    expect(savedAt).not.toBe(loadedAt);
    const last = tab.events.filter((e) => e.type === 'view').at(-1);
    expect(last).toMatchObject({ view: { status: 'saved', savedAt } });
  });
});

describe('host: debounce and one writer', () => {
  it('R4: several edits → one save after SAVE_DEBOUNCE_MS, none before', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    await edit(tab, { motivation: 'F' });
    await advance(100);
    await edit(tab, { motivation: 'Fr' });
    await advance(100);
    await edit(tab, { motivation: 'Fre' });
    await advance(SAVE_DEBOUNCE_MS - 201);
    expect(api.puts).toHaveLength(0);
    await advance(1);
    expect(api.puts).toHaveLength(1);
    await host.idle();
    expect(api.get(PLAN, KEY)).toMatchObject({ version: 1, data: { motivation: 'Fre' } });
    expect(tab.statuses()).toEqual(['pending', 'saving', 'saved']);
  });

  it('R2, R4: three tabs typing in one window make exactly one PUT; patches skip the origin', async () => {
    const { host, api } = world();
    const tabs = [await openTab(host, 'A'), await openTab(host, 'B'), await openTab(host, 'C')];
    const r0 = await edit(tabs[0]!, { motivation: 'from A' });
    await advance(50);
    await edit(tabs[1]!, { concerns: 'from B' });
    await advance(50);
    await edit(tabs[2]!, { success: 'from C' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.putsFor(PLAN, KEY)).toBe(1);
    expect(api.get(PLAN, KEY)?.data).toEqual({
      motivation: 'from A',
      concerns: 'from B',
      success: 'from C',
    });
    for (const tab of tabs) {
      const patches = tab.events.filter((e) => e.type === 'patch');
      expect(patches.every((p) => p.type === 'patch' && p.origin !== tab.id)).toBe(true);
      expect(patches).toHaveLength(2);
      expect(await statusOf(tab)).toBe('saved');
    }
    // R1: the worker-wide sequence numbers edits in the order they were applied.
    expect(r0).toMatchObject({ ok: true, value: { seq: 1, status: 'pending' } });
    const patchSeqs = tabs[0]!.events.flatMap((e) => (e.type === 'patch' ? [e.seq] : []));
    expect(patchSeqs).toEqual([2, 3]);
  });

  it('R6, R7: the version is carried and updated from each answer', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    await edit(tab, { motivation: 'one' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    await edit(tab, { motivation: 'two' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.puts.map((p) => p.version)).toEqual([0, 1]);
    expect(api.get(PLAN, KEY)?.version).toBe(2);
    const last = tab.events.at(-1);
    expect(last).toMatchObject({ type: 'view', view: { serverVersion: 2, status: 'saved' } });
  });

  it('R5, R7: edits during an in-flight save go into the next save', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.pause();
    await edit(tab, { motivation: 'first' });
    await advance(SAVE_DEBOUNCE_MS);
    expect(api.puts).toHaveLength(1);
    await edit(tab, { motivation: 'second', concerns: 'too' });
    await advance(5 * SAVE_DEBOUNCE_MS);
    expect(api.puts).toHaveLength(1);
    expect(sectionOf(host)?.inFlight).not.toBeNull();
    api.resume();
    await advance(0);
    expect(await statusOf(tab)).toBe('pending');
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.puts).toHaveLength(2);
    expect(api.puts[1]).toMatchObject({
      version: 1,
      data: { motivation: 'second', concerns: 'too' },
    });
    expect(await statusOf(tab)).toBe('saved');
  });

  it('R14: flush() saves at once instead of after the window', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    await edit(tab, { motivation: 'leaving' });
    expect(await tab.session.flush()).toEqual({ ok: true, value: null });
    await advance(0);
    expect(api.puts).toHaveLength(1);
    await host.idle();
    expect(await statusOf(tab)).toBe('saved');
  });
});

describe('host: conflicts', () => {
  async function conflict() {
    const w = world();
    const tab = await openTab(w.host, 'A');
    const other = await openTab(w.host, 'B');
    w.api.writeAsOtherDevice(PLAN, KEY, { motivation: 'from the laptop' });
    await edit(tab, { motivation: 'from the phone' });
    await advance(SAVE_DEBOUNCE_MS);
    await w.host.idle();
    return { ...w, tab, other };
  }

  it('R8: a 409 keeps the local edits and shows conflict with the server data', async () => {
    const { tab, other, api } = await conflict();
    for (const t of [tab, other]) {
      const last = t.events.at(-1);
      expect(last).toMatchObject({
        type: 'view',
        view: {
          status: 'conflict',
          data: { motivation: 'from the phone' },
          conflict: { serverVersion: 1, serverData: { motivation: 'from the laptop' } },
        },
      });
    }
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'from the laptop' });
    // Nothing more is sent while the author decides.
    await advance(10 * SAVE_DEBOUNCE_MS);
    expect(api.puts).toHaveLength(1);
  });

  it('R9: refresh takes the server values and ends saved', async () => {
    const { tab, host, api } = await conflict();
    expect(await tab.session.resolveConflict(PLAN, KEY, 'refresh')).toEqual({
      ok: true,
      value: null,
    });
    await host.idle();
    expect(tab.events.at(-1)).toMatchObject({
      type: 'view',
      view: { status: 'saved', data: { motivation: 'from the laptop' }, serverVersion: 1 },
    });
    expect(api.puts).toHaveLength(1);
  });

  it('R9: overwrite saves the author values over the server at once, then saved', async () => {
    const { tab, host, api } = await conflict();
    expect(await tab.session.resolveConflict(PLAN, KEY, 'overwrite')).toEqual({
      ok: true,
      value: null,
    });
    await host.idle();
    expect(api.puts).toHaveLength(2);
    expect(api.get(PLAN, KEY)).toMatchObject({
      version: 2,
      data: { motivation: 'from the phone' },
    });
    expect(await statusOf(tab)).toBe('saved');
  });

  it('R8: changes to different fields merge without asking', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.writeAsOtherDevice(PLAN, KEY, { concerns: 'theirs' });
    await edit(tab, { motivation: 'mine' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.get(PLAN, KEY)).toMatchObject({
      version: 2,
      data: { motivation: 'mine', concerns: 'theirs' },
    });
    expect(tab.events.at(-1)).toMatchObject({
      type: 'view',
      view: { status: 'saved', data: { motivation: 'mine', concerns: 'theirs' } },
    });
  });
});

describe('host: failures', () => {
  it('R10: network failure → saved-locally → retries within the backoff schedule → saved', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.failure = { kind: 'network' };
    await edit(tab, { motivation: 'offline words' });
    await advance(SAVE_DEBOUNCE_MS);
    expect(api.puts).toHaveLength(1);
    expect(await statusOf(tab)).toBe('saved-locally');
    expect(tab.events.at(-1)).toMatchObject({ view: { message: MESSAGES.offline } });
    await advance(RETRY_BASE_MS); // attempt 1 waits at most RETRY_BASE_MS
    expect(api.puts).toHaveLength(2);
    api.failure = { kind: 'server', status: 503 };
    await advance(2 * RETRY_BASE_MS); // attempt 2: at most 2 × RETRY_BASE_MS
    expect(api.puts).toHaveLength(3);
    expect(await statusOf(tab)).toBe('saved-locally');
    api.failure = null;
    await advance(4 * RETRY_BASE_MS);
    await host.idle();
    expect(api.puts).toHaveLength(4);
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'offline words' });
    expect(tab.statuses()).toEqual([
      'pending',
      'saving',
      'saved-locally',
      'saving',
      'saved-locally',
      'saving',
      'saved-locally',
      'saving',
      'saved',
    ]);
  });

  it('R8, R10: a save whose answer was lost is not taken for a conflict when retried', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.failure = { kind: 'network' };
    api.commitThenDrop = true;
    await edit(tab, { motivation: 'sent once' });
    await advance(SAVE_DEBOUNCE_MS);
    expect(api.get(PLAN, KEY)?.version).toBe(1);
    api.failure = null;
    await advance(RETRY_BASE_MS);
    await host.idle();
    expect(await statusOf(tab)).toBe('saved');
    expect(sectionOf(host)?.server.version).toBe(1);
  });

  it('R11: 401 → error; an auth change saves the kept edits', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.validTokens.clear(); // the session expired
    await edit(tab, { motivation: 'typed while expired' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    // The tab is asked to renew the session once; it doesn't answer in time.
    expect(tab.events).toContainEqual({ type: 'refresh-session' });
    await advance(SESSION_REFRESH_TIMEOUT_MS);
    expect(tab.events.at(-1)).toMatchObject({
      view: { status: 'error', message: MESSAGES.sessionExpired },
    });
    await edit(tab, { concerns: 'still typing' });
    await advance(10 * SAVE_DEBOUNCE_MS);
    expect(api.puts).toHaveLength(1);
    api.validTokens.add('token-2');
    expect(await tab.session.setAuth('token-2')).toEqual({ ok: true, value: null });
    await host.idle();
    expect(api.puts).toHaveLength(2);
    expect(api.get(PLAN, KEY)?.data).toEqual({
      motivation: 'typed while expired',
      concerns: 'still typing',
    });
    expect(await statusOf(tab)).toBe('saved');
  });

  it('R11: another 4xx shows the server message as an error', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    api.failure = { kind: 'rejected', status: 413, message: 'The section is too large.' };
    await edit(tab, { motivation: 'huge' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(tab.events.at(-1)).toMatchObject({
      view: { status: 'error', message: 'The section is too large.' },
    });
  });

  it('an Api that throws is treated as a network failure, never as a crash', async () => {
    const api = new MemoryApi();
    const throwing: Api = {
      getSection: (auth, planId, key) => api.getSection(auth, planId, key),
      saveSection: () => Promise.reject(new Error('boom')),
    };
    const host = new SyncHost({ api: throwing, store: new MemoryStore(), seed: 1, log: () => {} });
    const tab = await openTab(host, 'A');
    await edit(tab, { motivation: 'x' });
    await advance(SAVE_DEBOUNCE_MS);
    expect(await statusOf(tab)).toBe('saved-locally');
    host.stop();
  });
});

describe('host: tabs', () => {
  it('R15: a tab that is gone is unsubscribed and gets nothing more', async () => {
    const { host, liveness } = world();
    const a = await openTab(host, 'A');
    const b = await openTab(host, 'B');
    expect(liveness.watching('B')).toBe(true);
    liveness.kill('B');
    expect(sectionOf(host)?.tabs).toEqual(['A']);
    const before = b.events.length;
    await edit(a, { motivation: 'after B left' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(b.events.length).toBe(before);
  });

  it('R15: closing the last tab of a saved section forgets it; reopening loads it again', async () => {
    const { host, api } = world();
    const tab = await openTab(host, 'A');
    expect(await tab.session.close(PLAN, KEY)).toEqual({ ok: true, value: null });
    expect(sectionOf(host)).toBeUndefined();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'meanwhile' });
    expect(await tab.session.open(PLAN, KEY)).toMatchObject({
      ok: true,
      value: { data: { motivation: 'meanwhile' }, serverVersion: 1 },
    });
  });
});

describe('host: durability', () => {
  it('R3: edit() resolves only after the outbox write committed', async () => {
    const { host, store } = world();
    const tab = await openTab(host, 'A');
    let release!: () => void;
    store.gate = new Promise((resolve) => (release = resolve));
    let answered = false;
    const pending = tab.session.edit(PLAN, KEY, { motivation: 'keep me' }).then((r) => {
      answered = true;
      return r;
    });
    await advance(0);
    expect(answered).toBe(false);
    release();
    store.gate = null;
    expect(await pending).toMatchObject({ ok: true });
    const outbox = [...store.outbox.values()];
    expect(outbox).toEqual([
      expect.objectContaining({ planId: PLAN, sectionKey: KEY, fields: { motivation: 'keep me' } }),
    ]);
  });

  it('R3: a failed store write is reported to the tab, and the edit is still saved', async () => {
    const { host, store, api } = world();
    const tab = await openTab(host, 'A');
    store.failNextWrite = new Error('QuotaExceededError');
    const result = await tab.session.edit(PLAN, KEY, { motivation: 'x' });
    expect(result).toMatchObject({ ok: false, code: 'WORKER_FAILED' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'x' });
  });

  it('R16: a new worker on the same store resends the unsaved edits once a tab brings a token', async () => {
    const first = world({ workerId: 'worker-1' });
    const tab = await openTab(first.host, 'A');
    first.api.writeAsOtherDevice(PLAN, KEY, { concerns: 'on the server' });
    await edit(tab, { motivation: 'typed, then the browser closed' });
    // The worker dies inside the debounce window.
    first.host.stop();
    first.liveness.releaseWorker('worker-1');
    expect(first.api.puts).toHaveLength(0);

    const second = world({
      workerId: 'worker-2',
      api: first.api,
      store: first.store,
      liveness: first.liveness,
    });
    await second.host.ready;
    await second.host.idle();
    expect(first.api.puts).toHaveLength(0); // no token yet: tokens are never persisted
    const back = await connect(second.host, 'A2');
    await second.host.idle();
    // Its base was version 0 but the other device saved a different field meanwhile: the first
    // PUT gets a 409, the merge (R8) is saved at once by the second.
    expect(first.api.puts.map((p) => p.version)).toEqual([0, 1]);
    expect(first.api.get(PLAN, KEY)?.data).toEqual({
      motivation: 'typed, then the browser closed',
      concerns: 'on the server',
    });
    const opened = await back.session.open(PLAN, KEY);
    expect(opened).toMatchObject({ ok: true, value: { status: 'saved', serverVersion: 2 } });
    // The records were adopted by the new worker and are gone once saved.
    expect(first.store.outbox.size).toBe(0);
    expect([...first.store.snapshots.values()].every((r) => r.owner === 'worker-2')).toBe(true);
    second.host.stop();
  });

  it('R16: the records of a worker that still runs (deploy skew) are not adopted', async () => {
    const first = world({ workerId: 'worker-1' });
    const tab = await openTab(first.host, 'A');
    await edit(tab, { motivation: 'owned by worker-1' });
    const second = world({
      workerId: 'worker-2',
      api: first.api,
      store: first.store,
      liveness: first.liveness,
    });
    await second.host.ready;
    await connect(second.host, 'B');
    await second.host.idle();
    expect(second.host.engineState.sections).toEqual({});
    expect([...first.store.outbox.values()].map((r) => r.owner)).toEqual(['worker-1']);
    first.host.stop();
    second.host.stop();
  });

  it('a store that cannot be read back does not stop the worker', async () => {
    const store = new MemoryStore();
    store.restoreAll = () => Promise.reject(new Error('IndexedDB is broken'));
    const host = new SyncHost({ api: new MemoryApi(), store, seed: 1, log: () => {} });
    await host.ready;
    const tab = await openTab(host, 'A');
    expect(await tab.session.edit(PLAN, KEY, { a: 1 })).toMatchObject({ ok: true });
    host.stop();
  });
});

describe('host: what tabs may send', () => {
  it('bad arguments answer BAD_MESSAGE instead of throwing', async () => {
    const { host } = world();
    const tab = await openTab(host, 'A');
    const s = tab.session as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const bad = [
      await s.open!('not-a-uuid', KEY),
      await s.open!(PLAN, 'section-six'),
      await s.edit!(PLAN, KEY, ['not', 'an', 'object']),
      await s.edit!(PLAN, KEY, null),
      await s.edit!(PLAN, KEY, { n: 10n }),
      await s.edit!(PLAN, KEY, { text: 'nul \u0000 char' }),
      await s.resolveConflict!(PLAN, KEY, 'merge'),
      await s.setAuth!(42),
      await s.close!(PLAN, 7),
    ];
    for (const result of bad) expect(result).toMatchObject({ ok: false, code: 'BAD_MESSAGE' });
    const fresh = host.createSession() as unknown as Record<
      string,
      (...a: unknown[]) => Promise<unknown>
    >;
    expect(await fresh.hello!({ protocolVersion: PROTOCOL_VERSION }, () => {})).toMatchObject({
      ok: false,
      code: 'BAD_MESSAGE',
    });
    expect(
      await fresh.hello!(
        {
          protocolVersion: PROTOCOL_VERSION,
          tabId: 'x',
          functionsUrl: FUNCTIONS_URL,
          accessToken: null,
        },
        'not a function',
      ),
    ).toMatchObject({ ok: false, code: 'BAD_MESSAGE' });
    expect(await fresh.hello!(undefined, undefined)).toMatchObject({
      ok: false,
      code: 'BAD_MESSAGE',
    });
  });

  it('calls in the wrong order answer NOT_CONNECTED, NOT_OPEN, NO_CONFLICT', async () => {
    const { host } = world();
    const fresh = host.createSession();
    expect(await fresh.open(PLAN, KEY)).toMatchObject({ ok: false, code: 'NOT_CONNECTED' });
    expect(await fresh.flush()).toMatchObject({ ok: false, code: 'NOT_CONNECTED' });
    const tab = await connect(host, 'A');
    expect(await tab.session.edit(PLAN, KEY, { a: 1 })).toMatchObject({
      ok: false,
      code: 'NOT_OPEN',
    });
    await tab.session.open(PLAN, KEY);
    expect(await tab.session.resolveConflict(PLAN, KEY, 'refresh')).toMatchObject({
      ok: false,
      code: 'NO_CONFLICT',
    });
  });

  it('a tab of another protocol version is told to reload', async () => {
    const { host } = world();
    const events: TabEvent[] = [];
    const hello: Hello = {
      protocolVersion: PROTOCOL_VERSION + 1,
      tabId: 'new-tab',
      functionsUrl: FUNCTIONS_URL,
      accessToken: 'token-1',
    };
    const result = await host.createSession().hello(hello, (e) => void events.push(e));
    expect(result).toMatchObject({ ok: false, code: 'PROTOCOL_MISMATCH' });
    expect(result.ok ? '' : result.message).toMatch(/reload the page/);
    expect(events).toEqual([{ type: 'reload', reason: expect.stringMatching(/reload/) }]);
  });
});
