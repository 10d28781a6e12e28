// R22 through the host, with the in-memory API, store and liveness under fake timers: a worker
// whose tabs are all gone (or that retired, R20) finishes its work and ends, and what it had
// acknowledged is saved by the next worker. `terminate` stands for self.close(): it frees the
// worker's life lock, as the browser does when a worker ends.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi } from './adapters/memory-api.ts';
import { MemoryLiveness } from './adapters/memory-liveness.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { RETRY_MAX_MS, SAVE_DEBOUNCE_MS } from './engine/index.ts';
import { SyncHost } from './host.ts';
import { CONNECT_GRACE_MS, LIFE_CHECK_MS, LINGER_MS } from './lifecycle.ts';
import { PROTOCOL_VERSION, type TabEvent } from './protocol.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;
const FUNCTIONS_URL = 'http://localhost:54321/functions/v1';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

interface World {
  api: MemoryApi;
  store: MemoryStore;
  liveness: MemoryLiveness;
}

function newWorld(): World {
  return { api: new MemoryApi(), store: new MemoryStore(), liveness: new MemoryLiveness() };
}

/** A worker on the world's store; `ended` counts its self.close() calls. */
function worker(world: World, workerId: string) {
  let ended = 0;
  const host = new SyncHost({
    ...world,
    seed: 1,
    workerId,
    log: () => {},
    terminate: () => {
      ended += 1;
      world.liveness.releaseWorker(workerId);
    },
  });
  return { host, ended: () => ended };
}

async function openTab(host: SyncHost, tabId: string, accessToken = 'token-1') {
  const session = host.createSession();
  const events: TabEvent[] = [];
  const hello = await session.hello(
    { protocolVersion: PROTOCOL_VERSION, tabId, functionsUrl: FUNCTIONS_URL, accessToken },
    (event) => void events.push(structuredClone(event)),
  );
  expect(hello.ok).toBe(true);
  expect((await session.open(PLAN, KEY)).ok).toBe(true);
  const lastView = () => {
    const last = events.filter((e) => e.type === 'view').at(-1);
    return last?.type === 'view' ? last.view : undefined;
  };
  return { session, events, lastView };
}

describe('R22: a worker whose tabs are all gone ends itself', () => {
  it('everything saved: it ends LINGER_MS after its last tab, not before', async () => {
    const world = newWorld();
    const { host, ended } = worker(world, 'w1');
    const tab = await openTab(host, 'A');
    await tab.session.edit(PLAN, KEY, { motivation: 'saved' });
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(world.api.get(PLAN, KEY)?.data).toEqual({ motivation: 'saved' });
    await advance(10 * LINGER_MS);
    expect(ended()).toBe(0); // a tab is open
    world.liveness.kill('A');
    await advance(LINGER_MS - LIFE_CHECK_MS);
    expect(ended()).toBe(0);
    await advance(2 * LIFE_CHECK_MS);
    expect(ended()).toBe(1);
    expect(world.liveness.aliveWorkers.has('w1')).toBe(false);
  });

  it('a tab that comes back inside the linger (a reload) keeps it', async () => {
    const world = newWorld();
    const { host, ended } = worker(world, 'w1');
    await openTab(host, 'A');
    world.liveness.kill('A');
    await advance(LINGER_MS / 2);
    const again = await openTab(host, 'B');
    await advance(10 * LINGER_MS);
    expect(ended()).toBe(0);
    expect(await again.session.edit(PLAN, KEY, { motivation: 'after the reload' })).toMatchObject({
      ok: true,
    });
  });

  it('a save in flight when the last tab goes is answered and stored before it ends', async () => {
    const world = newWorld();
    const { host, ended } = worker(world, 'w1');
    const tab = await openTab(host, 'A');
    await tab.session.edit(PLAN, KEY, { motivation: 'in flight' });
    world.api.pause();
    await advance(SAVE_DEBOUNCE_MS);
    expect(world.api.puts).toHaveLength(1);
    world.liveness.kill('A');
    await advance(10 * LINGER_MS);
    expect(ended()).toBe(0);
    world.api.resume();
    await host.idle();
    await advance(LINGER_MS + LIFE_CHECK_MS);
    expect(ended()).toBe(1);
    expect(world.api.get(PLAN, KEY)?.data).toEqual({ motivation: 'in flight' });
    expect([...world.store.outbox.values()]).toEqual([]);
  });

  it('R15: offline, it keeps retrying without a tab, and ends once the edit is saved', async () => {
    const world = newWorld();
    const { host, ended } = worker(world, 'w1');
    const tab = await openTab(host, 'A');
    world.api.failure = { kind: 'network' };
    await tab.session.edit(PLAN, KEY, { motivation: 'typed offline' });
    world.liveness.kill('A');
    await advance(60_000);
    expect(ended()).toBe(0);
    world.api.failure = null;
    await advance(RETRY_MAX_MS);
    await host.idle();
    expect(world.api.get(PLAN, KEY)?.data).toEqual({ motivation: 'typed offline' });
    await advance(LINGER_MS + LIFE_CHECK_MS);
    expect(ended()).toBe(1);
  });

  it('never loses an acknowledged edit: one it could not send is saved by the next worker', async () => {
    const world = newWorld();
    const first = worker(world, 'w1');
    const tab = await openTab(first.host, 'A');
    expect(await tab.session.edit(PLAN, KEY, { motivation: 'acknowledged' })).toMatchObject({
      ok: true,
    });
    // The session expires and the tab closes: no one can renew it, so this worker can't send.
    world.api.validTokens.clear();
    world.liveness.kill('A');
    await advance(SAVE_DEBOUNCE_MS);
    await first.host.idle();
    expect(first.host.engineState.sections[`${PLAN}/${KEY}`]?.blocker?.kind).toBe('unauthorized');
    await advance(CONNECT_GRACE_MS); // the tab's connection is recent: its grace, then the end
    expect(first.ended()).toBe(1);
    expect(world.api.get(PLAN, KEY)).toBeUndefined();
    expect([...world.store.outbox.values()].map((r) => r.fields)).toEqual([
      { motivation: 'acknowledged' },
    ]);

    // The next tab starts a new worker, signed in again: it adopts the record and sends it.
    world.api.validTokens.add('token-2');
    const second = worker(world, 'w2');
    const next = await openTab(second.host, 'B', 'token-2');
    await advance(SAVE_DEBOUNCE_MS);
    await second.host.idle();
    expect(world.api.get(PLAN, KEY)?.data).toEqual({ motivation: 'acknowledged' });
    expect(next.lastView()).toMatchObject({
      status: 'saved',
      data: { motivation: 'acknowledged' },
    });
    expect([...world.store.outbox.values()]).toEqual([]);
  });

  it('R20: a retired worker ends as soon as its last tab goes, and the newer one saves its edit', async () => {
    const world = newWorld();
    const older = worker(world, 'old');
    const oldTab = await openTab(older.host, 'A');
    world.api.failure = { kind: 'server', status: 503, retryAfterMs: 60_000 };
    await oldTab.session.edit(PLAN, KEY, { concerns: 'held by the old worker' });
    await advance(SAVE_DEBOUNCE_MS);
    await older.host.idle();
    world.api.failure = null;
    // A newer build starts while the old tab is open; each hears the other (R20).
    const newer = worker(world, 'new');
    const newTab = await openTab(newer.host, 'B');
    older.host.peerAnnounced({ workerId: 'new', protocolVersion: PROTOCOL_VERSION + 1 });
    newer.host.peerAnnounced({ workerId: 'old', protocolVersion: PROTOCOL_VERSION - 1 });
    expect(older.host.isRetired).toBe(true);
    await advance(10 * LINGER_MS);
    expect(older.ended()).toBe(0); // its tab still shows the reload message
    world.liveness.kill('A');
    await older.host.idle();
    await advance(0);
    expect(older.ended()).toBe(1);
    await advance(SAVE_DEBOUNCE_MS);
    await newer.host.idle();
    expect(world.api.get(PLAN, KEY)?.data).toEqual({ concerns: 'held by the old worker' });
    expect(newTab.lastView()).toMatchObject({
      status: 'saved',
      data: { concerns: 'held by the old worker' },
    });
    expect(newer.ended()).toBe(0);
  });
});
