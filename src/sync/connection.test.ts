// The tab's Connection against fake transports: calls answer as data within their timeout, and
// a worker that dies mid-call is replaced: hello again, sections re-opened first, the call retried.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SyncHost } from '../../worker/host.ts';
import { MemoryApi } from '../../worker/adapters/memory-api.ts';
import { MemoryStore } from '../../worker/adapters/memory-store.ts';
import type { EngineTransport } from '../../worker/engine-lock.ts';
import type { WorkerSessionApi } from '../../worker/protocol.ts';
import { CALL_TIMEOUT_MS, Connection, type Transport } from './connection.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const HELLO = { tabId: 'tab-1', functionsUrl: 'http://localhost:54321/functions/v1' };

/** Workers made on demand over one store and API; `hang()` and `kill()` act on the current one. */
function workers(firstTransport: EngineTransport = 'shared') {
  const api = new MemoryApi();
  const store = new MemoryStore();
  const hosts: SyncHost[] = [];
  const hung = new Set<SyncHost>();
  const deaths = new Map<string, () => void>();
  const transport: Transport = {
    open() {
      const host = new SyncHost({
        api,
        store,
        workerId: `w${hosts.length + 1}`,
        transport: hosts.length === 0 ? firstTransport : 'shared',
        log: () => {},
      });
      hosts.push(host);
      const session = host.createSession();
      // A hung or dead worker never answers, like a Comlink call on a dead port.
      const guarded = new Proxy(session, {
        get:
          (target, name: keyof WorkerSessionApi) =>
          (...args: unknown[]) =>
            hung.has(host)
              ? new Promise(() => {})
              : (target[name] as (...a: unknown[]) => Promise<unknown>).apply(target, args),
      });
      return { session: guarded, listener: () => {}, dispose: () => {} };
    },
    watch: (workerId) => new Promise<void>((resolve) => deaths.set(workerId, resolve)),
  };
  const current = () => hosts.at(-1)!;
  return {
    api,
    hosts,
    transport,
    hang: () => hung.add(current()),
    /** That worker's end reaches the tab (its life lock is free). */
    ended: (workerId: string) => deaths.get(workerId)?.(),
    kill() {
      hung.add(current());
      current().stop();
      deaths.get(current().workerId)?.();
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Connection', () => {
  it('a call cut short by a dying worker goes to the next one, after the sections re-open', async () => {
    const w = workers();
    const connection = new Connection(w.transport, HELLO, () => {}, 'token-1');
    expect(await connection.connect()).toEqual({ ok: true, value: { workerId: 'w1' } });
    expect((await connection.call('open', PLAN, 'section-one')).ok).toBe(true);
    const order: string[] = [];
    connection.onReconnect(async (session) => {
      const r = await session.open(PLAN, 'section-one');
      order.push(`reopened ${r.ok}`);
    });
    w.hang();
    const edit = connection
      .call('edit', PLAN, 'section-one', { motivation: 'kept' })
      .then((r) => (order.push(`edit ${r.ok}`), r));
    await vi.advanceTimersByTimeAsync(10);
    w.kill();
    await vi.advanceTimersByTimeAsync(10);
    expect((await edit).ok).toBe(true);
    expect(order).toEqual(['reopened true', 'edit true']);
    expect(w.hosts).toHaveLength(2);
    expect(w.hosts[1]!.engineState.sections[`${PLAN}/section-one`]?.local).toEqual({
      motivation: 'kept',
    });
  });

  it('a worker that never answers gives TIMEOUT as data', async () => {
    const w = workers();
    const connection = new Connection(w.transport, HELLO, () => {}, 'token-1');
    await connection.connect();
    w.hang();
    const flush = connection.call('flush');
    await vi.advanceTimersByTimeAsync(CALL_TIMEOUT_MS);
    expect(await flush).toMatchObject({ ok: false, code: 'TIMEOUT' });
  });

  it('a new worker gets the token of the last setAuth at hello', async () => {
    const w = workers();
    w.api.validTokens.add('token-2');
    const connection = new Connection(w.transport, HELLO, () => {}, 'token-1');
    await connection.call('setAuth', 'token-2');
    w.kill();
    await vi.advanceTimersByTimeAsync(10);
    await connection.call('open', PLAN, 'section-one');
    expect(w.hosts).toHaveLength(2);
    expect(w.api.requests.at(-1)?.token).toBe('token-2');
  });

  it('R23: an engine that handed over answers HANDED_OVER; the edit goes to the SharedWorker with its base', async () => {
    const w = workers('dedicated');
    let handOvers = 0;
    const transport: Transport = { ...w.transport, handOver: () => void (handOvers += 1) };
    const connection = new Connection(transport, HELLO, () => {}, 'token-1');
    await connection.connect();
    expect((await connection.call('open', PLAN, 'section-one')).ok).toBe(true);
    const order: string[] = [];
    connection.onReconnect(async (session) => {
      order.push(`reopened ${(await session.open(PLAN, 'section-one')).ok}`);
    });
    // The tab's engine (a dedicated one) hears the profile's SharedWorker and gives way.
    w.hosts[0]!.peerAnnounced({
      workerId: 'the-shared-worker',
      protocolVersion: 3,
      transport: 'shared',
      startedAt: 0,
    });
    const edit = await connection.call(
      'edit',
      PLAN,
      'section-one',
      { motivation: 'typed at the hand-over' },
      { motivation: null },
    );
    expect(edit.ok).toBe(true);
    expect(handOvers).toBeGreaterThan(0);
    expect(order).toEqual(['reopened true']);
    expect(w.hosts).toHaveLength(2);
    expect(w.hosts[0]!.engineState.sections[`${PLAN}/section-one`]?.local).toEqual({});
    expect(w.hosts[1]!.engineState.sections[`${PLAN}/section-one`]?.local).toEqual({
      motivation: 'typed at the hand-over',
    });
  });

  it('R23: the hand-over event moves an idle tab at once, its sections re-opened there', async () => {
    const w = workers();
    const connection = new Connection(w.transport, HELLO, () => {}, 'token-1');
    await connection.connect();
    const reopened: string[] = [];
    connection.onReconnect(async () => void reopened.push('reopened'));
    connection.handOver();
    await vi.advanceTimersByTimeAsync(10);
    expect(w.hosts).toHaveLength(2);
    expect(reopened).toEqual(['reopened']);
    // The old worker's end later changes nothing: the tab stays on the new one.
    w.ended('w1');
    await vi.advanceTimersByTimeAsync(10);
    expect(w.hosts).toHaveLength(2);
    expect(await connection.connect()).toEqual({ ok: true, value: { workerId: 'w2' } });
  });
});
