// R1, R21: two tabs typing one field at once, seeded and bounded: each types on what it shows,
// and sees the other's keystrokes only after a random delay. Invariant: every keystroke stays,
// each tab's text intact where its caret put it, no conflict, and both tabs end on one value.
import { describe, expect, it } from 'vitest';
import { nextRandom } from './random.ts';
import { step } from './step.ts';
import { KEY, PLAN, fuzzSeeds, readySection, sectionOf as sec } from './testing.ts';
import type { EngineState } from './types.ts';

interface Mirror {
  shown: string;
  /** The seq of the value shown (the tab's own acknowledged edit, or a patch or view). */
  seq: number;
  inbox: { value: string; seq: number }[];
  typed: string;
}

function typeAtOnce(seed: number) {
  let rng = seed;
  const random = () => {
    const r = nextRandom(rng);
    rng = r.state;
    return r.value;
  };
  let state: EngineState = readySection(['A', 'B'], 1, { motivation: 'START END' });
  const tabs: Record<'A' | 'B', Mirror> = {
    A: { shown: 'START END', seq: 0, inbox: [], typed: '' },
    B: { shown: 'START END', seq: 0, inbox: [], typed: '' },
  };
  const words = { A: 'alpha beta ', B: ' gamma delta' };
  const deliver = (tab: Mirror) => {
    const m = tab.inbox.shift();
    if (m && m.seq >= tab.seq) [tab.shown, tab.seq] = [m.value, m.seq];
  };
  while (
    tabs.A.typed !== words.A ||
    tabs.B.typed !== words.B ||
    tabs.A.inbox.length + tabs.B.inbox.length > 0
  ) {
    const name = random() < 0.5 ? 'A' : 'B';
    const tab = tabs[name];
    if (random() < 0.5 || tab.typed === words[name]) {
      deliver(tab);
      continue;
    }
    // A types at the start (after what it typed), B at the end.
    const ch = words[name][tab.typed.length]!;
    const at = name === 'A' ? tab.typed.length : tab.shown.length;
    const value = tab.shown.slice(0, at) + ch + tab.shown.slice(at);
    const r = step(state, {
      type: 'edit',
      tab: name,
      planId: PLAN,
      sectionKey: KEY,
      fields: { motivation: value },
      base: { motivation: tab.shown },
    });
    state = r.state;
    tab.typed += ch;
    [tab.shown, tab.seq] = [value, state.editSeq];
    for (const e of r.effects) {
      const v =
        e.type === 'patch'
          ? e.fields.motivation
          : e.type === 'view'
            ? e.view.data.motivation
            : undefined;
      if (typeof v !== 'string' || (e.type !== 'patch' && e.type !== 'view')) continue;
      for (const t of e.tabs) tabs[t as 'A' | 'B'].inbox.push({ value: v, seq: e.seq });
    }
  }
  return { state, tabs, words };
}

describe('R1, R21 fuzz: two tabs typing one field at once', () => {
  for (const seed of fuzzSeeds(30, 5))
    it(`R1, R21: seed ${seed}: every keystroke of both tabs stays, each tab's text intact`, () => {
      const { state, tabs, words } = typeAtOnce(seed);
      const expected = `${words.A}START END${words.B}`;
      expect(sec(state).conflict).toBeNull();
      expect(sec(state).local.motivation).toBe(expected);
      expect(tabs.A.shown).toBe(expected);
      expect(tabs.B.shown).toBe(expected);
    });
});
