// R23 through the host: two engines of one browser profile (a SharedWorker and a tab's dedicated
// worker, or two builds of one protocol) on one store, one API and one in-memory Web Locks manager,
// their announcements delivered to each other as the workers' BroadcastChannel would. Only the
// engine holding `mpfs-engine` takes edits; the other retires, hands its tabs over (or tells them
// to reload), and what it held before is adopted by the winner, merged three ways (R21).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi } from './adapters/memory-api.ts';
import { MemoryLiveness } from './adapters/memory-liveness.ts';
import { MemoryLocks } from './adapters/memory-locks.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { ENGINE_LOCK, webEngineLock } from './adapters/web-locks.ts';
import { SAVE_DEBOUNCE_MS } from './engine/index.ts';
import { STEAL_AFTER_MS, type EngineTransport } from './engine-lock.ts';
import { SyncHost } from './host.ts';
import { HANDOVER_GRACE_MS, LIFE_CHECK_MS } from './lifecycle.ts';
import { PROTOCOL_VERSION, type TabEvent } from './protocol.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;
const FUNCTIONS_URL = 'http://localhost:54321/functions/v1';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

function profile() {
  const api = new MemoryApi();
  const store = new MemoryStore();
  const liveness = new MemoryLiveness();
  const locks = new MemoryLocks();
  const running = new Set<SyncHost>();
  /** `keepLifeLock`: its end frees its life lock only when the test says (a slow close). */
  function engine(workerId: string, transport: EngineTransport, keepLifeLock = false) {
    let ended = 0;
    const host: SyncHost = new SyncHost({
      api,
      store,
      liveness,
      seed: 1,
      workerId,
      transport,
      log: () => {},
      engineLock: webEngineLock(locks.asLockManager()),
      // The workers' channel: every other running engine hears it, a moment later.
      announce: (announcement) =>
        queueMicrotask(() => {
          for (const other of running) if (other !== host) other.peerAnnounced(announcement);
        }),
      terminate: () => {
        ended += 1;
        running.delete(host);
        if (!keepLifeLock) liveness.releaseWorker(workerId);
      },
    });
    running.add(host);
    return { host, ended: () => ended };
  }
  return { api, store, liveness, locks, engine };
}

async function hello(host: SyncHost, tabId: string) {
  const session = host.createSession();
  const events: TabEvent[] = [];
  const answer = await session.hello(
    {
      protocolVersion: PROTOCOL_VERSION,
      tabId,
      functionsUrl: FUNCTIONS_URL,
      accessToken: 'token-1',
    },
    (event) => void events.push(structuredClone(event)),
  );
  const lastView = () => {
    const last = events.filter((e) => e.type === 'view').at(-1);
    return last?.type === 'view' ? last.view : undefined;
  };
  return { session, events, answer, lastView };
}

async function openTab(host: SyncHost, tabId: string) {
  const tab = await hello(host, tabId);
  expect(tab.answer.ok).toBe(true);
  expect((await tab.session.open(PLAN, KEY)).ok).toBe(true);
  return tab;
}

describe('R23: one engine per profile, whatever the transport', () => {
  it('a dedicated engine started next to the SharedWorker takes nothing and sends its tab there', async () => {
    const p = profile();
    const shared = p.engine('shared', 'shared');
    const normal = await openTab(shared.host, 'normal');
    expect(
      await normal.session.edit(PLAN, KEY, { concerns: 'typed in the normal tab' }),
    ).toMatchObject({ ok: true });
    const dedicated = p.engine('dedicated', 'dedicated');
    const fallback = await hello(dedicated.host, 'fallback');
    expect(fallback.answer).toMatchObject({ ok: false, code: 'HANDED_OVER' });
    await dedicated.host.idle();
    // It ends by itself once idle, after the grace that lets its answers go out (R22, R23).
    await advance(HANDOVER_GRACE_MS + LIFE_CHECK_MS);
    expect(dedicated.ended()).toBe(1);
    // The fallback tab reconnects to the SharedWorker and types there: one engine, one order (R1).
    const moved = await hello(shared.host, 'fallback');
    expect(await moved.session.open(PLAN, KEY)).toMatchObject({
      ok: true,
      value: { data: { concerns: 'typed in the normal tab' } },
    });
    expect(
      await moved.session.edit(PLAN, KEY, { concerns: 'typed in the fallback tab' }),
    ).toMatchObject({ ok: true });
    await advance(SAVE_DEBOUNCE_MS);
    await shared.host.idle();
    expect(p.api.get(PLAN, KEY)?.data).toEqual({ concerns: 'typed in the fallback tab' });
    for (const put of p.api.puts) expect(put.mutationId).toMatch(/^shared:/);
  });

  it('a dedicated engine that wrote first hands over to the SharedWorker; what it held never overwrites newer text', async () => {
    const p = profile();
    const dedicated = p.engine('dedicated', 'dedicated', true);
    const fallback = await openTab(dedicated.host, 'fallback');
    expect(
      await fallback.session.edit(PLAN, KEY, { concerns: 'older, typed in the fallback tab' }),
    ).toMatchObject({ ok: true });
    // A normal tab starts the SharedWorker inside the save window: the dedicated engine yields.
    const shared = p.engine('shared', 'shared');
    const normal = await openTab(shared.host, 'normal');
    expect(dedicated.host.isRetired).toBe(true);
    expect(fallback.events).toContainEqual(expect.objectContaining({ type: 'hand-over' }));
    // From that moment it takes nothing: the tab sends it to the SharedWorker instead.
    expect(
      await fallback.session.edit(PLAN, KEY, { motivation: 'after the hand-over' }),
    ).toMatchObject({ ok: false, code: 'HANDED_OVER' });
    await dedicated.host.idle();
    // It ends by itself once idle, after the grace that lets its answers go out (R22, R23).
    await advance(HANDOVER_GRACE_MS + LIFE_CHECK_MS);
    expect(dedicated.ended()).toBe(1);
    expect(p.api.puts).toHaveLength(0);
    // The author types the same field in the normal tab, later: that is the newest text.
    await normal.session.edit(PLAN, KEY, { concerns: 'newer, typed in the normal tab' });
    await advance(SAVE_DEBOUNCE_MS);
    await shared.host.idle();
    expect(p.api.get(PLAN, KEY)?.data).toEqual({ concerns: 'newer, typed in the normal tab' });
    // The dedicated worker is gone now: its edit meets the newer one three ways (R21), a clash
    // the author decides, never a silent overwrite.
    p.liveness.releaseWorker('dedicated');
    await advance(0);
    await shared.host.idle();
    expect(p.api.get(PLAN, KEY)?.data).toEqual({ concerns: 'newer, typed in the normal tab' });
    expect(normal.lastView()).toMatchObject({ status: 'conflict', conflict: { source: 'device' } });
    expect(await normal.session.resolveConflict(PLAN, KEY, 'overwrite')).toMatchObject({
      ok: true,
    });
    await shared.host.idle();
    expect(p.api.get(PLAN, KEY)?.data).toEqual({ concerns: 'newer, typed in the normal tab' });
    for (const put of p.api.puts) expect(put.mutationId).toMatch(/^shared:/);
  });

  it('what the dedicated engine held, untouched since, is adopted and saved by the SharedWorker', async () => {
    const p = profile();
    const dedicated = p.engine('dedicated', 'dedicated');
    const fallback = await openTab(dedicated.host, 'fallback');
    await fallback.session.edit(PLAN, KEY, { concerns: 'typed in the fallback tab' });
    const shared = p.engine('shared', 'shared');
    const normal = await openTab(shared.host, 'normal');
    await dedicated.host.idle();
    await advance(HANDOVER_GRACE_MS + LIFE_CHECK_MS);
    expect(dedicated.ended()).toBe(1);
    await advance(SAVE_DEBOUNCE_MS);
    await shared.host.idle();
    expect(p.api.get(PLAN, KEY)?.data).toEqual({ concerns: 'typed in the fallback tab' });
    expect(normal.lastView()).toMatchObject({
      status: 'saved',
      data: { concerns: 'typed in the fallback tab' },
    });
    expect([...p.store.outbox.values()]).toEqual([]);
  });

  it('two builds of one protocol: the one started later writes, the other tells its tabs to reload', async () => {
    const p = profile();
    const first = p.engine('build-a', 'shared');
    const oldTab = await openTab(first.host, 'old');
    await advance(1_000);
    const second = p.engine('build-b', 'shared');
    const newTab = await openTab(second.host, 'new');
    expect(first.host.isRetired).toBe(true);
    expect(oldTab.events).toContainEqual(expect.objectContaining({ type: 'reload' }));
    expect(
      await oldTab.session.edit(PLAN, KEY, { concerns: 'typed in the old tab' }),
    ).toMatchObject({ ok: false, code: 'READ_ONLY' });
    await newTab.session.edit(PLAN, KEY, { concerns: 'typed in the new tab' });
    await advance(SAVE_DEBOUNCE_MS);
    await second.host.idle();
    expect(p.api.get(PLAN, KEY)?.data).toEqual({ concerns: 'typed in the new tab' });
    for (const put of p.api.puts) expect(put.mutationId).toMatch(/^build-b:/);
  });

  it('an engine answers hello only once it knows whether it writes (the lock is held elsewhere)', async () => {
    const p = profile();
    let release = () => {};
    void p.locks
      .asLockManager()
      .request(ENGINE_LOCK, () => new Promise<void>((resolve) => (release = resolve)));
    const engine = p.engine('late', 'shared');
    let answered = false;
    const tab = hello(engine.host, 'A').then((t) => {
      answered = true;
      return t;
    });
    await advance(STEAL_AFTER_MS - 100);
    expect(answered).toBe(false);
    release();
    expect((await tab).answer.ok).toBe(true);
  });

  it('a holder that answers nobody (frozen, e.g. in a back-forward cache) has the lock taken from it', async () => {
    const p = profile();
    const holder = p.locks
      .asLockManager()
      .request(ENGINE_LOCK, () => new Promise<void>(() => {}))
      .then(
        () => 'released',
        (error: unknown) => (error instanceof DOMException ? error.name : 'other'),
      );
    const engine = p.engine('late', 'shared');
    let answered = false;
    const tab = hello(engine.host, 'A').then((t) => {
      answered = true;
      return t;
    });
    await advance(STEAL_AFTER_MS - 100);
    expect(answered).toBe(false);
    await advance(200);
    expect((await tab).answer.ok).toBe(true);
    // The frozen holder's request ends as a steal ends it: it learns it lost once it runs again.
    expect(await holder).toBe('AbortError');
  });
});
