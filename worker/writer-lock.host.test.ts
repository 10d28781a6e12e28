// R19 with a real exclusive lock: two hosts (two workers of one profile, e.g. two builds) share
// one in-memory lock manager; while one save holds `writer:<user>` the other's request does not
// even leave. Also the Web Locks liveness adapter on the same manager (R15, R16).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi } from './adapters/memory-api.ts';
import { MemoryLiveness } from './adapters/memory-liveness.ts';
import { MemoryLocks } from './adapters/memory-locks.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { WebLocksLiveness, withWebLock } from './adapters/web-locks.ts';
import { SAVE_DEBOUNCE_MS } from './engine/index.ts';
import { SyncHost } from './host.ts';
import { PROTOCOL_VERSION, tabLockName } from './protocol.ts';
import type { SectionKey } from '../supabase/functions/_shared/schema.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const FUNCTIONS_URL = 'http://localhost:54321/functions/v1';
const token = (sub: string) => `h.${btoa(JSON.stringify({ sub })).replace(/=+$/, '')}.s`;

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function hostOn(api: MemoryApi, locks: MemoryLocks, workerId: string) {
  return new SyncHost({
    api,
    store: new MemoryStore(),
    liveness: new MemoryLiveness(),
    seed: 1,
    workerId,
    log: () => {},
    writerLock: (name, save) => withWebLock(locks.asLockManager(), name, save),
  });
}

async function typeIn(host: SyncHost, tab: string, accessToken: string, sectionKey: SectionKey) {
  const session = host.createSession();
  await session.hello(
    { protocolVersion: PROTOCOL_VERSION, tabId: tab, functionsUrl: FUNCTIONS_URL, accessToken },
    () => {},
  );
  await session.open(PLAN, sectionKey);
  await session.edit(PLAN, sectionKey, { motivation: tab });
}

describe('R19: one writer per user, with a real exclusive lock', () => {
  it('R19: while one worker saves for a user, the other worker’s save waits; other users don’t', async () => {
    const api = new MemoryApi();
    const locks = new MemoryLocks();
    for (const t of [token('u1'), token('u2')]) api.validTokens.add(t);
    const one = hostOn(api, locks, 'one');
    const two = hostOn(api, locks, 'two');
    const three = hostOn(api, locks, 'three');
    await typeIn(one, 'A', token('u1'), 'section-one');
    await typeIn(two, 'B', token('u1'), 'section-two');
    await typeIn(three, 'C', token('u2'), 'section-three');
    api.pause(); // answers wait: the first save keeps the lock
    await vi.advanceTimersByTimeAsync(SAVE_DEBOUNCE_MS);
    // One save of u1 left; the other u1 worker is excluded; u2 has its own lock.
    expect(api.puts.map((p) => p.token).sort()).toEqual([token('u1'), token('u2')].sort());
    expect((await locks.query()).pending.map((l) => l.name)).toEqual(['writer:u1']);
    api.resume();
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all([one.idle(), two.idle(), three.idle()]);
    expect(api.puts.filter((p) => p.token === token('u1'))).toHaveLength(2);
    expect(api.get(PLAN, 'section-one')?.data).toEqual({ motivation: 'A' });
    expect(api.get(PLAN, 'section-two')?.data).toEqual({ motivation: 'B' });
    expect(api.get(PLAN, 'section-three')?.data).toEqual({ motivation: 'C' });
  });
});

describe('Web Locks liveness on an exclusive lock manager', () => {
  it('R16: a worker is alive while it holds its lock; whenWorkerGone waits for its end', async () => {
    const locks = new MemoryLocks();
    const liveness = new WebLocksLiveness(locks.asLockManager());
    let end!: () => void;
    void locks.request('mpfs-worker:w1', () => new Promise<void>((r) => (end = r)));
    await Promise.resolve();
    expect(await liveness.isWorkerAlive('w1')).toBe(true);
    expect(await liveness.isWorkerAlive('w2')).toBe(false);
    let gone = false;
    void liveness.whenWorkerGone('w1').then(() => (gone = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(gone).toBe(false);
    end();
    await vi.advanceTimersByTimeAsync(0);
    expect(gone).toBe(true);
    expect(await liveness.isWorkerAlive('w1')).toBe(false);
  });

  it('R15: a tab is noticed gone when its lock is released, not before; unwatching cancels', async () => {
    const locks = new MemoryLocks();
    const liveness = new WebLocksLiveness(locks.asLockManager());
    let close!: () => void;
    void locks.request(tabLockName('t1'), () => new Promise<void>((r) => (close = r)));
    void locks.request(tabLockName('t2'), () => new Promise<void>(() => {}));
    await Promise.resolve();
    const gone: string[] = [];
    liveness.watchTab('t1', () => gone.push('t1'));
    const unwatch = liveness.watchTab('t2', () => gone.push('t2'));
    await vi.advanceTimersByTimeAsync(0);
    expect(gone).toEqual([]);
    unwatch();
    close();
    await vi.advanceTimersByTimeAsync(0);
    expect(gone).toEqual(['t1']);
    expect((await locks.query()).pending).toEqual([]);
  });
});
