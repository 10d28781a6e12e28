// R24 (docs/single-writer.md): the navigation's per-section statuses are a pure derivation of the
// engine state: one entry per section it holds, each with the status its own view has.
import { describe, expect, it } from 'vitest';
import {
  initialState,
  sectionId,
  sectionStatuses,
  statusOf,
  step,
  type EngineState,
  type Input,
} from './index.ts';
import { PLAN, effectsOf, run } from './testing.ts';

const TWO = 'section-two' as const;
const ONE = 'section-one' as const;
const OTHER_PLAN = '00000000-0000-4000-8000-000000000002';

function openLoaded(state: EngineState, tab: string, planId: string, key: typeof ONE | typeof TWO) {
  const opened = step(state, { type: 'open', tab, planId, sectionKey: key }).state;
  const s = opened.sections[sectionId(planId, key)];
  if (!s) throw new Error('not opened');
  return step(opened, {
    type: 'loaded',
    id: s.id,
    loadId: s.loadId,
    section: { version: 1, data: {} },
  }).state;
}

const edit = (tab: string, planId: string, key: typeof ONE | typeof TWO): Input => ({
  type: 'edit',
  tab,
  planId,
  sectionKey: key,
  fields: { a: 'typed' },
});

describe('R24: section statuses', () => {
  it('is empty with nothing open, and says nothing of a section still loading', () => {
    expect(sectionStatuses(initialState(1))).toEqual([]);
    const loading = step(initialState(1), {
      type: 'open',
      tab: 't1',
      planId: PLAN,
      sectionKey: ONE,
    }).state;
    expect(sectionStatuses(loading)).toEqual([]);
  });

  it('lists every section open in any tab, in id order, each with its own status', () => {
    let state = openLoaded(initialState(1), 't1', PLAN, TWO);
    state = openLoaded(state, 't2', PLAN, ONE);
    state = openLoaded(state, 't2', OTHER_PLAN, ONE);
    state = run(state, edit('t1', PLAN, TWO)).state;
    expect(sectionStatuses(state)).toEqual([
      { planId: PLAN, sectionKey: ONE, status: 'saved' },
      { planId: PLAN, sectionKey: TWO, status: 'pending' },
      { planId: OTHER_PLAN, sectionKey: ONE, status: 'saved' },
    ]);
  });

  it('agrees with each section view, through save, conflict and a closed tab', () => {
    let state = openLoaded(initialState(1), 't1', PLAN, TWO);
    const id = sectionId(PLAN, TWO);
    const statusHere = () => sectionStatuses(state).find((e) => e.sectionKey === TWO)?.status;
    const viewStatus = () => {
      const s = state.sections[id];
      return s ? statusOf(s).status : undefined;
    };
    const edited = run(state, edit('t1', PLAN, TWO), { type: 'timer', id, name: 'debounce' });
    state = edited.state;
    expect(statusHere()).toBe('saving');
    expect(statusHere()).toBe(viewStatus());
    const save = effectsOf(edited.effects, 'save')[0];
    if (!save) throw new Error('no save');
    state = run(state, {
      type: 'save-conflict',
      id,
      mutationId: save.mutationId,
      serverVersion: 2,
      serverData: { a: 'theirs' },
    }).state;
    expect(statusHere()).toBe('conflict');
    expect(statusHere()).toBe(viewStatus());
    // The tab closes: the unsaved section stays in the engine, and so in the summary.
    state = run(state, { type: 'tab-gone', tab: 't1' }).state;
    expect(statusHere()).toBe('conflict');
  });

  it('drops a saved section once no tab has it open', () => {
    let state = openLoaded(initialState(1), 't1', PLAN, ONE);
    state = run(state, { type: 'close', tab: 't1', id: sectionId(PLAN, ONE) }).state;
    expect(sectionStatuses(state)).toEqual([]);
  });
});
