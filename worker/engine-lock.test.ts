// R23: which engine of a browser profile writes (docs/single-writer.md). The decision alone, as
// data: the lock's grant and the other engines' announcements in, what the host does out.
import { describe, expect, it } from 'vitest';
import {
  engineLockStep,
  initialEngineLock,
  outranks,
  STEAL_AFTER_MS,
  type EngineLockInput,
  type EngineLockState,
  type EngineRank,
} from './engine-lock.ts';

const shared: EngineRank = {
  workerId: 'shared-1',
  protocolVersion: 3,
  transport: 'shared',
  startedAt: 1_000,
};
const dedicated: EngineRank = { ...shared, workerId: 'dedicated-1', transport: 'dedicated' };

function run(state: EngineLockState, ...inputs: EngineLockInput[]) {
  const effects = [];
  for (const input of inputs) {
    const next = engineLockStep(state, input);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

const peer = (rank: Partial<EngineRank> & { workerId: string }): EngineLockInput => ({
  type: 'peer',
  peer: { ...shared, ...rank },
});

describe('R23: one engine per profile', () => {
  it('orders engines: protocol, then the SharedWorker, then the later start, then the id', () => {
    const newerProtocol = { ...dedicated, workerId: 'a', protocolVersion: 4, startedAt: 0 };
    expect(outranks(newerProtocol, shared)).toBe(true);
    expect(outranks(shared, { ...dedicated, startedAt: 9_999 })).toBe(true);
    expect(outranks({ ...shared, workerId: 's2', startedAt: 2_000 }, shared)).toBe(true);
    expect(outranks({ ...shared, workerId: 'shared-2' }, shared)).toBe(true);
    // Exactly one of two engines wins, whichever asks.
    const ranks = [shared, dedicated, newerProtocol, { ...shared, workerId: 'x', startedAt: 5 }];
    for (const a of ranks)
      for (const b of ranks) if (a !== b) expect(outranks(a, b)).not.toBe(outranks(b, a));
  });

  it('takes edits only once the lock is granted, and says so', () => {
    const start = initialEngineLock(shared);
    expect(start.role).toBe('contending');
    const { state, effects } = run(start, { type: 'granted' });
    expect(state.role).toBe('writer');
    expect(effects).toEqual([{ type: 'serve' }, { type: 'announce' }]);
    expect(run(state, { type: 'granted' }).effects).toEqual([]);
  });

  it('a dedicated engine that hears the SharedWorker retires, hands over and gives the lock up', () => {
    for (const role of ['contending', 'writer'] as const) {
      const start = { ...initialEngineLock(dedicated), role };
      const { state, effects } = run(start, peer({ workerId: 'shared-1' }));
      expect(state.role).toBe('retired');
      expect(state.reason).toBe('shared-worker');
      expect(effects).toEqual([
        { type: 'retire', reason: 'shared-worker', protocolVersion: 3 },
        { type: 'release' },
        { type: 'announce' },
      ]);
      // Once: a second announcement changes nothing, a late grant is handed on at once.
      expect(run(state, peer({ workerId: 'shared-1' })).effects).toEqual([]);
      expect(run(state, { type: 'granted' }).effects).toEqual([{ type: 'release' }]);
    }
  });

  it('the SharedWorker answers a dedicated engine once and adopts its edits once it is gone', () => {
    const writer = run(initialEngineLock(shared), { type: 'granted' }).state;
    const { state, effects } = run(
      writer,
      peer({ workerId: 'dedicated-1', transport: 'dedicated' }),
    );
    expect(state.role).toBe('writer');
    expect(effects).toEqual([
      { type: 'announce' },
      { type: 'adopt-when-gone', workerId: 'dedicated-1' },
    ]);
    expect(run(state, peer({ workerId: 'dedicated-1', transport: 'dedicated' })).effects).toEqual(
      [],
    );
  });

  it('of two engines of one protocol and transport (two builds), the later one writes', () => {
    const older = run(initialEngineLock(shared), { type: 'granted' }).state;
    const later = { workerId: 'shared-2', startedAt: 2_000 };
    const { state, effects } = run(older, peer(later));
    expect(state.reason).toBe('newer-copy');
    expect(effects[0]).toEqual({ type: 'retire', reason: 'newer-copy', protocolVersion: 3 });
    const newer = run(initialEngineLock({ ...shared, ...later }), peer({ workerId: 'shared-1' }));
    expect(newer.state.role).toBe('contending');
    expect(newer.effects).toContainEqual({ type: 'adopt-when-gone', workerId: 'shared-1' });
  });

  it('R20 stays: an older protocol retires for a newer one, whatever the transport', () => {
    const { state, effects } = run(
      initialEngineLock(shared),
      { type: 'granted' },
      peer({ workerId: 'tab:1', protocolVersion: 4, transport: undefined, startedAt: undefined }),
    );
    expect(state.reason).toBe('newer-protocol');
    expect(effects).toContainEqual({
      type: 'retire',
      reason: 'newer-protocol',
      protocolVersion: 4,
    });
  });

  it('an announcement of the build before R23 counts as a SharedWorker started long ago', () => {
    const old = { type: 'peer' as const, peer: { workerId: 'old', protocolVersion: 3 } };
    expect(run(initialEngineLock(shared), old).state.role).toBe('contending');
    expect(run(initialEngineLock(dedicated), old).state.reason).toBe('shared-worker');
  });

  it('ignores its own announcement', () => {
    expect(run(initialEngineLock(shared), peer({ workerId: 'shared-1' })).effects).toEqual([]);
  });

  it('a holder that answered nobody within STEAL_AFTER_MS is frozen: the waiting engine steals', () => {
    expect(STEAL_AFTER_MS).toBeGreaterThan(0);
    const waiting = initialEngineLock(dedicated);
    expect(run(waiting, { type: 'unanswered' }).effects).toEqual([{ type: 'steal' }]);
    // A holder that spoke up is alive: the ranks decide, nothing is taken from it.
    const heard = run(waiting, peer({ workerId: 'shared-2' }));
    expect(run(heard.state, { type: 'unanswered' }).effects).toEqual([]);
    // Once it writes (or retired), the timer means nothing.
    const writer = run(waiting, { type: 'granted' });
    expect(run(writer.state, { type: 'unanswered' }).effects).toEqual([]);
  });

  it('a writer whose lock was stolen contends again and meets the taker by rank', () => {
    const writer = run(
      initialEngineLock(shared),
      { type: 'granted' },
      peer({ workerId: 'x', transport: 'dedicated' }),
    );
    const stolen = run(writer.state, { type: 'stolen' });
    expect(stolen.state.role).toBe('contending');
    expect(stolen.state.heard).toEqual([]);
    expect(stolen.effects).toEqual([{ type: 'request' }, { type: 'announce' }]);
    // The taker (a dedicated engine) answers: the SharedWorker outranks it and takes it back.
    const taker = peer({ workerId: 'dedicated-9', transport: 'dedicated', startedAt: 5_000 });
    const after = run(stolen.state, taker, { type: 'granted' });
    expect(after.state.role).toBe('writer');
    // A taker that outranks it (a newer copy) retires it instead.
    const newer = run(stolen.state, peer({ workerId: 'shared-9', startedAt: 5_000 }));
    expect(newer.state.role).toBe('retired');
    expect(newer.effects.map((e) => e.type)).toContain('release');
    // Only a writer can be stolen from.
    expect(run(initialEngineLock(shared), { type: 'stolen' }).effects).toEqual([]);
  });
});
