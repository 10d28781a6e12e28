// The engine's part of U3 (docs/durability.md): a load that says the plan isn't this user's.
// Users themselves live in the host (one engine state each); the engine only drops the section.
import { describe, expect, it } from 'vitest';
import { MESSAGES, initialState, step, type Input } from './index.ts';
import { ID, KEY, PLAN, editInput, effectsOf, run, sectionOf } from './testing.ts';

const open = (tab: string): Input => ({ type: 'open', tab, planId: PLAN, sectionKey: KEY });

describe('U3: load-denied', () => {
  it('drops the section, keeps nothing typed, tells every tab with the words', () => {
    let state = run(initialState(1), open('A'), open('B')).state;
    const loadId = sectionOf(state).loadId;
    // The load failed once (offline): the tab may type meanwhile (R12).
    state = step(state, {
      type: 'load-failed',
      id: ID,
      loadId,
      failure: { kind: 'network', message: 'down' },
    }).state;
    state = step(state, editInput('A', { motivation: 'typed offline' })).state;
    const { state: after, effects } = step(state, { type: 'load-denied', id: ID, loadId });
    expect(after.sections[ID]).toBeUndefined();
    expect(effectsOf(effects, 'persist')).toEqual([
      { type: 'persist', id: ID, planId: PLAN, sectionKey: KEY, snapshot: null, outbox: null },
    ]);
    expect(effectsOf(effects, 'clear-timer')).toEqual([
      { type: 'clear-timer', id: ID, name: 'retry' },
    ]);
    const [view] = effectsOf(effects, 'view');
    expect(view?.tabs).toEqual(['A', 'B']);
    expect(view?.view).toMatchObject({ status: 'error', message: MESSAGES.notAvailable, data: {} });
    expect(effectsOf(effects, 'save')).toEqual([]);
  });

  it('R17: an older load answer changes nothing', () => {
    const state = run(initialState(1), open('A')).state;
    const loadId = sectionOf(state).loadId;
    const { state: after, effects } = step(state, {
      type: 'load-denied',
      id: ID,
      loadId: loadId + 1,
    });
    expect(after).toEqual(state);
    expect(effects).toEqual([]);
  });
});

describe('U7: plan-gone', () => {
  it('drops an open section with its unsaved edits and conflict, telling every tab in words', () => {
    let state = run(initialState(1), open('A'), open('B')).state;
    const loadId = sectionOf(state).loadId;
    state = step(state, {
      type: 'loaded',
      id: ID,
      loadId,
      section: { version: 3, data: { motivation: 'saved' } },
    }).state;
    state = step(state, editInput('A', { motivation: 'not yet saved' })).state;
    const { state: after, effects } = step(state, { type: 'plan-gone', id: ID });
    expect(after.sections[ID]).toBeUndefined();
    expect(effectsOf(effects, 'persist')).toEqual([
      { type: 'persist', id: ID, planId: PLAN, sectionKey: KEY, snapshot: null, outbox: null },
    ]);
    expect(effectsOf(effects, 'clear-timer')).toEqual([
      { type: 'clear-timer', id: ID, name: 'debounce' },
    ]);
    const [view] = effectsOf(effects, 'view');
    expect(view?.tabs).toEqual(['A', 'B']);
    expect(view?.view).toMatchObject({ status: 'error', message: MESSAGES.planGone, data: {} });
    expect(effectsOf(effects, 'save')).toEqual([]);
  });

  it('changes nothing for a section not open here', () => {
    const state = initialState(1);
    const { state: after, effects } = step(state, { type: 'plan-gone', id: ID });
    expect(after).toEqual(state);
    expect(effects).toEqual([]);
  });
});
