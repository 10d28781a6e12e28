// The engine's durability rules, one pure step at a time (docs/durability.md): Retry-After and online (R10),
// idempotent mutation ids (R18) and retirement in favour of a newer worker (R20). Rule numbers
// refer to docs/single-writer.md.
import { describe, expect, it } from 'vitest';
import {
  RETRY_AFTER_MAX_MS,
  initialState,
  statusOf,
  step,
  type Effect,
  type Input,
} from './index.ts';
import { effectsOf, editInput, ID, KEY, PLAN, run, sectionOf as sec } from './testing.ts';

const saves = (effects: Effect[]) => effectsOf(effects, 'save');
const timers = (effects: Effect[]) => effectsOf(effects, 'arm-timer');

/** Tab A has the section open (never saved) and typed `fields`; the save is in flight. */
function saving(fields: Record<string, unknown>, prefix = 'w1:') {
  let state = step(initialState(3, prefix), {
    type: 'open',
    tab: 'A',
    planId: PLAN,
    sectionKey: KEY,
  }).state;
  state = step(state, { type: 'loaded', id: ID, loadId: sec(state).loadId, section: null }).state;
  return run(state, editInput('A', fields), { type: 'timer', id: ID, name: 'debounce' });
}

const failed = (mutationId: string, retryAfterMs?: number): Input => ({
  type: 'save-failed',
  id: ID,
  mutationId,
  failure:
    retryAfterMs === undefined
      ? { kind: 'network', message: 'offline' }
      : { kind: 'server', status: 429, message: 'slow down', retryAfterMs },
});

describe('engine: R10 Retry-After and online', () => {
  it('R10: the retry waits at least Retry-After, at most RETRY_AFTER_MAX_MS', () => {
    const { state, effects } = saving({ motivation: 'a' });
    const waited = run(state, failed(saves(effects)[0]!.mutationId, 5_000));
    expect(timers(waited.effects)[0]).toMatchObject({ name: 'retry', ms: 5_000 });
    const again = saving({ motivation: 'b' });
    const r = run(again.state, failed(saves(again.effects)[0]!.mutationId, 10 * 60_000));
    expect(timers(r.effects)[0]?.ms).toBe(RETRY_AFTER_MAX_MS);
  });

  it('R10: online sends what waits for a retry at once; nothing else', () => {
    let { state, effects } = saving({ motivation: 'a' });
    ({ state, effects } = run(state, failed(saves(effects)[0]!.mutationId)));
    expect(statusOf(sec(state)).status).toBe('saved-locally');
    ({ state, effects } = run(state, { type: 'online' }));
    expect(effects.map((e) => e.type)).toEqual(['clear-timer', 'persist', 'save', 'view']);
    expect(statusOf(sec(state)).status).toBe('saving');
    expect(run(state, { type: 'online' }).effects).toEqual([]);
  });
});

describe('engine: R18 mutation ids', () => {
  it('R18: ids carry the prefix; a retry of the same data on the same version reuses its id', () => {
    let { state, effects } = saving({ motivation: 'a' });
    const first = saves(effects)[0]!.mutationId;
    expect(first.startsWith('w1:')).toBe(true);
    ({ state, effects } = run(state, failed(first), { type: 'timer', id: ID, name: 'retry' }));
    expect(saves(effects)[0]?.mutationId).toBe(first);
    // The outbox remembers it, so a restarted worker resends it as is.
    const persisted = effects.find((e) => e.type === 'persist' && e.outbox);
    expect(persisted).toMatchObject({ outbox: { attempt: { mutationId: first, version: 0 } } });
    // New data is a new mutation.
    ({ state, effects } = run(state, failed(first), editInput('A', { motivation: 'ab' }), {
      type: 'timer',
      id: ID,
      name: 'retry',
    }));
    expect(saves(effects)[0]?.mutationId).not.toBe(first);
  });

  it('R18: a 200 that replays an older payload keeps the fields that differ pending', () => {
    let { state, effects } = saving({ motivation: 'a', concerns: 'c' });
    ({ state, effects } = run(state, {
      type: 'saved',
      id: ID,
      mutationId: saves(effects)[0]!.mutationId,
      section: { version: 1, data: { motivation: 'a' } },
    }));
    expect(sec(state).pending).toEqual(['concerns']);
    expect(sec(state).server).toEqual({ version: 1, data: { motivation: 'a' } });
  });
});

describe('engine: R20 retirement', () => {
  it('R20: a retired engine clears its timers, takes no edit, starts no save', () => {
    let { state, effects } = saving({ motivation: 'a' });
    ({ state, effects } = run(state, failed(saves(effects)[0]!.mutationId), { type: 'retire' }));
    expect(effects.some((e) => e.type === 'clear-timer')).toBe(true);
    ({ state, effects } = run(
      state,
      editInput('A', { motivation: 'ab' }),
      { type: 'flush-now' },
      { type: 'online' },
      { type: 'auth-changed', signedIn: true },
    ));
    // Nothing accepted after it learned: nothing of it can later be adopted over newer text.
    expect(effects.filter((e) => e.type === 'persist')).toHaveLength(0);
    expect(saves(effects)).toEqual([]);
    expect(timers(effects)).toEqual([]);
    expect(sec(state).local).toEqual({ motivation: 'a' });
  });

  it("R20: a retired worker's outbox joins an open section, except fields typed here", () => {
    let { state } = saving({ motivation: 'mine' });
    ({ state } = run(state, {
      type: 'restore',
      sections: [
        {
          planId: PLAN,
          sectionKey: KEY,
          server: { version: 0, data: {} },
          outbox: {
            baseVersion: 0,
            fields: { motivation: 'old', concerns: 'from the old worker' },
            conflict: null,
            unconfirmed: [],
          },
        },
      ],
    }));
    expect(sec(state).local).toEqual({ motivation: 'mine', concerns: 'from the old worker' });
    expect(sec(state).pending).toEqual(['motivation', 'concerns']);
  });
});
