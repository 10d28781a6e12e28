// The engine's rules, one pure step at a time. Rule numbers (R1…) refer to docs/single-writer.md.
import { describe, expect, it } from 'vitest';
import {
  MESSAGES,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
  SAVE_DEBOUNCE_MS,
  initialState,
  jsonHash,
  retryDelayMs,
  sectionId,
  statusOf,
  step,
  type Effect,
  type EngineState,
  type Input,
  type SectionState,
} from './index.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;
const ID = sectionId(PLAN, KEY);

function run(state: EngineState, ...inputs: Input[]) {
  const effects: Effect[] = [];
  for (const input of inputs) {
    const r = step(state, input);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const sec = (state: EngineState): SectionState => {
  const s = state.sections[ID];
  if (!s) throw new Error('section missing');
  return s;
};
const status = (state: EngineState) => statusOf(sec(state)).status;
const of = <T extends Effect['type']>(effects: Effect[], type: T) =>
  effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

const open = (tab: string): Input => ({ type: 'open', tab, planId: PLAN, sectionKey: KEY });
const edit = (tab: string, fields: Record<string, unknown>): Input => ({
  type: 'edit',
  tab,
  planId: PLAN,
  sectionKey: KEY,
  fields,
});
const debounce: Input = { type: 'timer', id: ID, name: 'debounce' };
const retry: Input = { type: 'timer', id: ID, name: 'retry' };

/** A section open in the given tabs and loaded with `data` at `version`. */
function ready(tabs: string[] = ['A'], version = 0, data: Record<string, unknown> = {}) {
  let state = initialState(42);
  for (const t of tabs) state = step(state, open(t)).state;
  const loadId = sec(state).loadId;
  return step(state, {
    type: 'loaded',
    id: ID,
    loadId,
    section: version === 0 ? null : { version, data },
  }).state;
}

function lastSave(effects: Effect[]) {
  const saves = of(effects, 'save');
  const save = saves.at(-1);
  if (!save) throw new Error('no save');
  return save;
}

describe('engine: open and load (R12)', () => {
  it('R12: the first open loads the section; a never-saved one is version 0, empty, saved', () => {
    const first = step(initialState(1), open('A'));
    expect(of(first.effects, 'load')).toHaveLength(1);
    expect(sec(first.state).phase).toBe('loading');
    const second = step(first.state, open('B'));
    expect(of(second.effects, 'load')).toHaveLength(0);
    const { state } = run(second.state, {
      type: 'loaded',
      id: ID,
      loadId: sec(first.state).loadId,
      section: null,
    });
    expect(sec(state)).toMatchObject({ phase: 'ready', server: { version: 0, data: {} } });
    expect(statusOf(sec(state))).toEqual({ status: 'saved', message: null });
  });

  it('R12: a saved section opens with its data and version', () => {
    const state = ready(['A'], 3, { motivation: 'bread' });
    expect(sec(state)).toMatchObject({ server: { version: 3 }, local: { motivation: 'bread' } });
    expect(status(state)).toBe('saved');
  });

  it('R10, R12: a load that fails on the network retries and shows saved-locally', () => {
    const opened = step(initialState(1), open('A'));
    const loadId = sec(opened.state).loadId;
    const failed = step(opened.state, {
      type: 'load-failed',
      id: ID,
      loadId,
      failure: { kind: 'network', message: 'offline' },
    });
    expect(statusOf(sec(failed.state))).toEqual({
      status: 'saved-locally',
      message: MESSAGES.loadOffline,
    });
    expect(of(failed.effects, 'arm-timer')[0]).toMatchObject({ name: 'retry' });
    const again = step(failed.state, retry);
    const load = of(again.effects, 'load')[0];
    expect(load?.loadId).not.toBe(loadId);
    // R17: the old load's answer no longer counts.
    const stale = step(again.state, { type: 'loaded', id: ID, loadId, section: null });
    expect(sec(stale.state).phase).toBe('loading');
    const fresh = step(again.state, {
      type: 'loaded',
      id: ID,
      loadId: load!.loadId,
      section: null,
    });
    expect(status(fresh.state)).toBe('saved');
  });
});

describe('engine: edits typed while a load was failing (R12)', () => {
  function failedLoad() {
    const opened = step(initialState(1), open('A'));
    const loadId = sec(opened.state).loadId;
    return run(
      opened.state,
      { type: 'load-failed', id: ID, loadId, failure: { kind: 'network', message: 'x' } },
      edit('A', { motivation: 'typed blind' }),
      retry,
    );
  }

  it('R12: are saved on top of the loaded data when the server has nothing there', () => {
    const { state, effects } = failedLoad();
    const loadId = of(effects, 'load').at(-1)!.loadId;
    const loaded = run(state, {
      type: 'loaded',
      id: ID,
      loadId,
      section: { version: 2, data: { concerns: 'server' } },
    });
    expect(sec(loaded.state).local).toEqual({ motivation: 'typed blind', concerns: 'server' });
    expect(status(loaded.state)).toBe('pending');
  });

  it('R8, R12: become a conflict when the server has another value for the same field', () => {
    const { state, effects } = failedLoad();
    const loadId = of(effects, 'load').at(-1)!.loadId;
    const loaded = run(state, {
      type: 'loaded',
      id: ID,
      loadId,
      section: { version: 2, data: { motivation: 'server value' } },
    });
    expect(status(loaded.state)).toBe('conflict');
    expect(sec(loaded.state).local).toEqual({ motivation: 'typed blind' });
    expect(sec(loaded.state).conflict).toEqual({
      serverVersion: 2,
      serverData: { motivation: 'server value' },
    });
    const kept = run(loaded.state, { type: 'resolve', id: ID, choice: 'overwrite' });
    expect(lastSave(kept.effects).request).toMatchObject({
      version: 2,
      data: { motivation: 'typed blind' },
    });
  });
});

describe('engine: edits (R1–R4)', () => {
  it('R1, R2: an edit applies once and is patched to every other tab, not the origin', () => {
    const { state, effects } = run(ready(['A', 'B', 'C']), edit('B', { motivation: 'x' }));
    expect(sec(state).local).toEqual({ motivation: 'x' });
    expect(sec(state).pending).toEqual(['motivation']);
    const patches = of(effects, 'patch');
    expect(patches).toHaveLength(1);
    expect(patches[0]).toMatchObject({ tabs: ['A', 'C'], origin: 'B', seq: 1 });
    expect(state.editSeq).toBe(1);
  });

  it('R3: the outbox write is the first effect of an edit', () => {
    const { effects } = run(ready(['A', 'B']), edit('A', { motivation: 'x' }));
    expect(effects[0]).toMatchObject({
      type: 'persist',
      outbox: { baseVersion: 0, fields: { motivation: 'x' } },
    });
  });

  it('R4: edits open one save window; the timer is armed once and not moved', () => {
    const { state, effects } = run(
      ready(['A', 'B']),
      edit('A', { motivation: 'a' }),
      edit('B', { concerns: 'b' }),
      edit('A', { motivation: 'ab' }),
    );
    expect(of(effects, 'arm-timer')).toEqual([
      { type: 'arm-timer', id: ID, name: 'debounce', ms: SAVE_DEBOUNCE_MS },
    ]);
    expect(of(effects, 'save')).toHaveLength(0);
    expect(status(state)).toBe('pending');
    const fired = step(state, debounce);
    expect(of(fired.effects, 'save')).toHaveLength(1);
    expect(lastSave(fired.effects).request).toEqual({
      planId: PLAN,
      sectionKey: KEY,
      data: { motivation: 'ab', concerns: 'b' },
      version: 0,
    });
    expect(status(fired.state)).toBe('saving');
  });

  it('R13: the first edit sends a view with the new status to every tab (pending)', () => {
    const { effects } = run(ready(['A', 'B']), edit('A', { motivation: 'a' }));
    const views = of(effects, 'view');
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ tabs: ['A', 'B'], seq: 1, view: { status: 'pending' } });
    const more = run(
      run(ready(['A', 'B']), edit('A', { motivation: 'a' })).state,
      edit('A', { motivation: 'b' }),
    );
    expect(of(more.effects, 'view')).toHaveLength(0);
  });
});

describe('engine: saving (R5–R7)', () => {
  it('R5, R7: edits during a flight wait for the next window; the version is taken from the answer', () => {
    let { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), debounce);
    const first = lastSave(effects);
    ({ state, effects } = run(
      state,
      edit('A', { concerns: 'during' }),
      edit('A', { motivation: 'b' }),
    ));
    expect(of(effects, 'save')).toHaveLength(0);
    expect(of(effects, 'arm-timer')).toHaveLength(0);
    expect(status(state)).toBe('saving');
    ({ state, effects } = run(state, {
      type: 'saved',
      id: ID,
      mutationId: first.mutationId,
      section: { version: 1, data: first.request.data },
    }));
    expect(sec(state).server).toEqual({ version: 1, data: { motivation: 'a' } });
    expect(sec(state).local).toEqual({ motivation: 'b', concerns: 'during' });
    expect([...sec(state).pending].sort()).toEqual(['concerns', 'motivation']);
    expect(status(state)).toBe('pending');
    expect(of(effects, 'arm-timer')).toEqual([
      { type: 'arm-timer', id: ID, name: 'debounce', ms: SAVE_DEBOUNCE_MS },
    ]);
    // R6: the next save carries the version last seen.
    ({ effects } = run(state, debounce));
    expect(lastSave(effects).request).toMatchObject({
      version: 1,
      data: { motivation: 'b', concerns: 'during' },
    });
  });

  it('R7: a save with nothing typed during the flight ends saved and persists the snapshot', () => {
    let { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), debounce);
    const save = lastSave(effects);
    ({ state, effects } = run(state, {
      type: 'saved',
      id: ID,
      mutationId: save.mutationId,
      section: { version: 1, data: { motivation: 'a' } },
    }));
    expect(status(state)).toBe('saved');
    expect(sec(state).pending).toEqual([]);
    expect(effects[0]).toMatchObject({
      type: 'persist',
      snapshot: { version: 1, data: { motivation: 'a' } },
      outbox: null,
    });
    expect(of(effects, 'view')[0]).toMatchObject({ view: { status: 'saved', serverVersion: 1 } });
  });

  it('R17: an answer to a save that is no longer in flight is ignored', () => {
    const { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), debounce);
    const stale = step(state, {
      type: 'saved',
      id: ID,
      mutationId: 'm-other',
      section: { version: 9, data: {} },
    });
    expect(stale.state).toEqual(state);
    expect(stale.effects).toEqual([]);
    expect(lastSave(effects)).toBeDefined();
  });
});

describe('engine: conflicts (R8, R9)', () => {
  function conflicted() {
    let { state, effects } = run(
      ready(['A', 'B'], 1, { motivation: 'base', concerns: 'base' }),
      edit('A', { motivation: 'mine' }),
      debounce,
    );
    const save = lastSave(effects);
    ({ state, effects } = run(state, {
      type: 'save-conflict',
      id: ID,
      mutationId: save.mutationId,
      serverVersion: 2,
      serverData: { motivation: 'theirs', concerns: 'theirs too' },
    }));
    return { state, effects };
  }

  it('R8: a 409 on a field both sides changed keeps the local edits and goes conflict', () => {
    const { state, effects } = conflicted();
    expect(status(state)).toBe('conflict');
    expect(sec(state).local).toEqual({ motivation: 'mine', concerns: 'base' });
    expect(sec(state).conflict).toEqual({
      serverVersion: 2,
      serverData: { motivation: 'theirs', concerns: 'theirs too' },
    });
    expect(of(effects, 'save')).toHaveLength(0);
    expect(of(effects, 'arm-timer')).toHaveLength(0);
    expect(of(effects, 'persist')[0]?.outbox).toMatchObject({ conflict: { serverVersion: 2 } });
    expect(of(effects, 'view')[0]).toMatchObject({
      tabs: ['A', 'B'],
      view: { status: 'conflict' },
    });
    // Edits during a conflict are kept and don't save.
    const more = run(state, edit('B', { concerns: 'later' }));
    expect(status(more.state)).toBe('conflict');
    expect(of(more.effects, 'arm-timer')).toHaveLength(0);
  });

  it('R9: refresh takes the server data and version, drops pending, saved', () => {
    const { state } = conflicted();
    const { state: after, effects } = run(state, { type: 'resolve', id: ID, choice: 'refresh' });
    expect(sec(after)).toMatchObject({
      server: { version: 2 },
      local: { motivation: 'theirs', concerns: 'theirs too' },
      pending: [],
      conflict: null,
    });
    expect(status(after)).toBe('saved');
    expect(of(effects, 'save')).toHaveLength(0);
    expect(of(effects, 'view')[0]?.view.data).toEqual({
      motivation: 'theirs',
      concerns: 'theirs too',
    });
  });

  it('R9, M7: overwrite keeps the author value of the clashing field, theirs elsewhere, saves at once', () => {
    const { state } = conflicted();
    const { state: after, effects } = run(state, { type: 'resolve', id: ID, choice: 'overwrite' });
    // The other device's change to a field this one never touched is not undone.
    expect(lastSave(effects).request).toEqual({
      planId: PLAN,
      sectionKey: KEY,
      version: 2,
      data: { motivation: 'mine', concerns: 'theirs too' },
    });
    expect(status(after)).toBe('saving');
    expect(sec(after).conflict).toBeNull();
  });

  it('R8: a 409 whose changes touch other fields merges and saves at once', () => {
    let { state, effects } = run(
      ready(['A'], 1, { motivation: 'base', concerns: 'base' }),
      edit('A', { motivation: 'mine' }),
      debounce,
    );
    ({ state, effects } = run(state, {
      type: 'save-conflict',
      id: ID,
      mutationId: lastSave(effects).mutationId,
      serverVersion: 4,
      serverData: { motivation: 'base', concerns: 'theirs' },
    }));
    expect(status(state)).toBe('saving');
    expect(lastSave(effects).request).toMatchObject({
      version: 4,
      data: { motivation: 'mine', concerns: 'theirs' },
    });
    expect(of(effects, 'view')[0]?.view.data).toEqual({ motivation: 'mine', concerns: 'theirs' });
  });

  it('R8: a 409 carrying our own earlier payload (its answer was lost) is not a conflict', () => {
    let { state, effects } = run(
      ready(['A'], 1, { motivation: 'base' }),
      edit('A', { motivation: 'v1' }),
      debounce,
    );
    const sent = lastSave(effects);
    expect(sec(state).unconfirmed).toEqual([jsonHash({ motivation: 'v1' })]);
    ({ state, effects } = run(
      state,
      {
        type: 'save-failed',
        id: ID,
        mutationId: sent.mutationId,
        failure: { kind: 'network', message: 'reset' },
      },
      edit('A', { motivation: 'v2' }),
      retry,
    ));
    ({ state, effects } = run(state, {
      type: 'save-conflict',
      id: ID,
      mutationId: lastSave(effects).mutationId,
      serverVersion: 2,
      serverData: { motivation: 'v1' },
    }));
    expect(status(state)).toBe('saving');
    expect(lastSave(effects).request).toMatchObject({ version: 2, data: { motivation: 'v2' } });
  });
});

describe('engine: failures (R10, R11)', () => {
  it('R10: network failure → saved-locally → retry with capped, jittered backoff', () => {
    let { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), debounce);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      ({ state, effects } = run(state, {
        type: 'save-failed',
        id: ID,
        mutationId: lastSave(effects).mutationId,
        failure:
          attempt % 2
            ? { kind: 'network', message: 'x' }
            : { kind: 'server', status: 503, message: 'x' },
      }));
      expect(statusOf(sec(state))).toEqual({ status: 'saved-locally', message: MESSAGES.offline });
      const armed = of(effects, 'arm-timer')[0];
      expect(armed?.name).toBe('retry');
      const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
      expect(armed!.ms).toBeGreaterThanOrEqual(ceiling / 2);
      expect(armed!.ms).toBeLessThanOrEqual(ceiling);
      delays.push(armed!.ms);
      // Edits during the wait join the retry; no debounce is armed.
      ({ state, effects } = run(state, edit('A', { motivation: `a${attempt}` })));
      expect(of(effects, 'arm-timer')).toHaveLength(0);
      ({ state, effects } = run(state, retry));
      expect(lastSave(effects).request.data).toEqual({ motivation: `a${attempt}` });
    }
    expect(Math.max(...delays)).toBeLessThanOrEqual(RETRY_MAX_MS);
    ({ state } = run(state, {
      type: 'saved',
      id: ID,
      mutationId: lastSave(effects).mutationId,
      section: { version: 1, data: { motivation: 'a8' } },
    }));
    expect(status(state)).toBe('saved');
    expect(sec(state).attempt).toBe(0);
  });

  it('R10: the same seed gives the same jitter, another seed another one', () => {
    const go = (seed: number) => {
      let state = initialState(seed);
      for (const input of [open('A')]) state = step(state, input).state;
      state = step(state, {
        type: 'loaded',
        id: ID,
        loadId: sec(state).loadId,
        section: null,
      }).state;
      const sent = run(state, edit('A', { a: 1 }), debounce);
      return run(sent.state, {
        type: 'save-failed',
        id: ID,
        mutationId: lastSave(sent.effects).mutationId,
        failure: { kind: 'network', message: 'x' },
      }).effects.filter((e) => e.type === 'arm-timer');
    };
    expect(go(1)).toHaveLength(1);
    expect(go(1)).toEqual(go(1));
    expect(new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(go(seed)))).size).toBeGreaterThan(
      1,
    );
    expect(retryDelayMs(1, 0)).toBe(RETRY_BASE_MS / 2);
    expect(retryDelayMs(30, 0.999_999)).toBe(RETRY_MAX_MS);
  });

  const unauthorized = (effects: Effect[]): Input => ({
    type: 'save-failed',
    id: ID,
    mutationId: lastSave(effects).mutationId,
    failure: { kind: 'unauthorized' },
  });

  it('R11: a 401 asks a tab to renew the session once; a new token saves', () => {
    let { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), debounce);
    ({ state, effects } = run(state, unauthorized(effects)));
    expect(of(effects, 'refresh-auth')).toHaveLength(1);
    expect(statusOf(sec(state))).toEqual({
      status: 'saved-locally',
      message: MESSAGES.refreshingSession,
    });
    ({ state, effects } = run(state, { type: 'auth-changed', signedIn: true }));
    expect(lastSave(effects).request.data).toEqual({ motivation: 'a' });
    // The renewed token is refused too: now the author must sign in again; no second refresh.
    ({ state, effects } = run(state, unauthorized(effects)));
    expect(of(effects, 'refresh-auth')).toHaveLength(0);
    expect(statusOf(sec(state))).toEqual({ status: 'error', message: MESSAGES.sessionExpired });
    ({ state, effects } = run(state, edit('A', { concerns: 'kept' })));
    expect(status(state)).toBe('error');
    expect(of(effects, 'arm-timer')).toHaveLength(0);
    expect(run(state, { type: 'auth-changed', signedIn: false }).effects).toEqual([]);
    ({ state, effects } = run(state, { type: 'auth-changed', signedIn: true }));
    expect(lastSave(effects).request.data).toEqual({ motivation: 'a', concerns: 'kept' });
    expect(status(state)).toBe('saving');
    // A success makes the next 401 worth one refresh again.
    ({ state } = run(state, {
      type: 'saved',
      id: ID,
      mutationId: lastSave(effects).mutationId,
      section: { version: 1, data: { motivation: 'a', concerns: 'kept' } },
    }));
    expect(state.sessionRefresh).toBe('unused');
  });

  it('R11: a refresh that fails (or times out) shows the error and keeps the edits', () => {
    let { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), debounce);
    ({ state, effects } = run(state, unauthorized(effects)));
    expect(of(effects, 'refresh-auth')[0]?.timeoutMs).toBeGreaterThan(0);
    ({ state, effects } = run(state, { type: 'auth-refresh-failed' }));
    expect(statusOf(sec(state))).toEqual({ status: 'error', message: MESSAGES.sessionExpired });
    expect(sec(state).local).toEqual({ motivation: 'a' });
    expect(sec(state).pending).toEqual(['motivation']);
  });

  it('R11: another 4xx → error with the server message until the next edit', () => {
    let { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), debounce);
    ({ state, effects } = run(state, {
      type: 'save-failed',
      id: ID,
      mutationId: lastSave(effects).mutationId,
      failure: { kind: 'rejected', status: 413, message: 'too large' },
    }));
    expect(statusOf(sec(state))).toEqual({ status: 'error', message: 'too large' });
    ({ state, effects } = run(state, edit('A', { motivation: 'short' })));
    expect(status(state)).toBe('pending');
    expect(of(effects, 'arm-timer')[0]?.name).toBe('debounce');
  });
});

describe('engine: flush, tabs, restore (R14–R16)', () => {
  it('R14: flush-now saves at once, and right after a flight that is under way', () => {
    let { state, effects } = run(ready(['A']), edit('A', { motivation: 'a' }), {
      type: 'flush-now',
    });
    expect(of(effects, 'clear-timer')).toHaveLength(1);
    const first = lastSave(effects);
    ({ state, effects } = run(state, edit('A', { motivation: 'b' }), { type: 'flush-now' }));
    expect(of(effects, 'save')).toHaveLength(0);
    ({ state, effects } = run(state, {
      type: 'saved',
      id: ID,
      mutationId: first.mutationId,
      section: { version: 1, data: { motivation: 'a' } },
    }));
    expect(lastSave(effects).request).toMatchObject({ version: 1, data: { motivation: 'b' } });
    expect(status(state)).toBe('saving');
  });

  it('R15: a closed or gone tab is unsubscribed; a section with nothing to save is dropped', () => {
    let { state, effects } = run(ready(['A', 'B']), { type: 'tab-gone', tab: 'B' });
    expect(sec(state).tabs).toEqual(['A']);
    ({ state, effects } = run(state, edit('A', { motivation: 'a' }), {
      type: 'close',
      tab: 'A',
      id: ID,
    }));
    // Still has something to save: kept, and saved without any tab.
    expect(sec(state).tabs).toEqual([]);
    ({ state, effects } = run(state, debounce));
    ({ state, effects } = run(state, {
      type: 'saved',
      id: ID,
      mutationId: lastSave(effects).mutationId,
      section: { version: 1, data: { motivation: 'a' } },
    }));
    expect(state.sections[ID]).toBeUndefined();
    expect(of(effects, 'persist').at(-1)).toMatchObject({ snapshot: null, outbox: null });
    expect(of(effects, 'view')).toHaveLength(0);
  });

  it('R16: restored sections with unsaved edits are sent again at once', () => {
    const { state, effects } = run(initialState(7), {
      type: 'restore',
      sections: [
        {
          planId: PLAN,
          sectionKey: KEY,
          server: { version: 3, data: { motivation: 'old', concerns: 'c' } },
          outbox: {
            baseVersion: 3,
            fields: { motivation: 'new' },
            conflict: null,
            unconfirmed: [],
          },
        },
      ],
    });
    expect(lastSave(effects).request).toEqual({
      planId: PLAN,
      sectionKey: KEY,
      version: 3,
      data: { motivation: 'new', concerns: 'c' },
    });
    expect(sec(state).tabs).toEqual([]);
  });
});
