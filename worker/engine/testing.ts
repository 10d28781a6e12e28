// Helpers for the engine's tests: one section of one plan, inputs run in order, effects by type.
import { sectionId } from './types.ts';
import { initialState, step } from './step.ts';
import type { Effect, EngineState, Input, SectionState } from './types.ts';

export const PLAN = '00000000-0000-4000-8000-000000000001';
export const KEY = 'section-one' as const;
export const ID = sectionId(PLAN, KEY);

/** Runs the inputs one after another; returns the last state and every effect, in order. */
export function run(state: EngineState, ...inputs: Input[]) {
  const effects: Effect[] = [];
  for (const input of inputs) {
    const r = step(state, input);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

export function sectionOf(state: EngineState, id = ID): SectionState {
  const s = state.sections[id];
  if (!s) throw new Error(`section ${id} missing`);
  return s;
}

export const effectsOf = <T extends Effect['type']>(effects: Effect[], type: T) =>
  effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

export const editInput = (tab: string, fields: Record<string, unknown>): Input => ({
  type: 'edit',
  tab,
  planId: PLAN,
  sectionKey: KEY,
  fields,
});

/** `tabs` have the section open, loaded at `version` with `data`. */
export function readySection(tabs: string[], version: number, data: Record<string, unknown>) {
  let state = initialState(42);
  for (const tab of tabs)
    state = step(state, { type: 'open', tab, planId: PLAN, sectionKey: KEY }).state;
  return step(state, {
    type: 'loaded',
    id: ID,
    loadId: sectionOf(state).loadId,
    section: { version, data },
  }).state;
}

/** A fuzz's seeds: ENGINE_FUZZ_SEEDS replays a list; otherwise 1..fixed plus new ones, printed. */
export function fuzzSeeds(fixed: number, fresh: number, env = process.env.ENGINE_FUZZ_SEEDS) {
  if (env) return env.split(',').map((x) => Number(x.trim()));
  const seeds = Array.from({ length: fixed }, (_, i) => i + 1);
  const extra = Array.from({ length: fresh }, () => 1 + Math.floor(Math.random() * 2 ** 30));
  console.log(`fuzz: new seeds ${extra.join(',')} (replay: ENGINE_FUZZ_SEEDS=<seeds>)`);
  return [...seeds, ...extra];
}
