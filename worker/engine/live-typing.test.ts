// Two tabs of one worker typing one field at the same moment (R1, R21 in docs/single-writer.md):
// each keystroke carries the value its tab showed, so one typed on a value the other tab changed
// meanwhile is merged character by character, never applied over the other tab's characters.
import { describe, expect, it } from 'vitest';
import { statusOf, type Input } from './index.ts';
import {
  KEY,
  PLAN,
  editInput,
  effectsOf as of,
  readySection,
  run,
  sectionOf as sec,
} from './testing.ts';

const typed = (tab: string, value: string, base: string): Input => ({
  type: 'edit',
  tab,
  planId: PLAN,
  sectionKey: KEY,
  fields: { motivation: value },
  base: { motivation: base },
});

describe('R1, R21: two tabs typing one field at once', () => {
  it('R1, R21: interleaved keystrokes typed on values that lag the other tab both stay', () => {
    // A types "ab" at the start, B " xy" at the end; neither sees the other's keystrokes yet.
    const { state, effects } = run(
      readySection(['A', 'B'], 1, { motivation: 'mid' }),
      typed('A', 'amid', 'mid'),
      typed('B', 'mid ', 'mid'),
      typed('A', 'abmid', 'amid'),
      typed('B', 'mid x', 'mid '),
      typed('B', 'mid xy', 'mid x'),
    );
    expect(sec(state).local).toEqual({ motivation: 'abmid xy' });
    expect(sec(state).conflict).toBeNull();
    // Every tab, the typing one too, gets the merged value (a view numbered like the edit).
    expect(of(effects, 'view').at(-1)).toMatchObject({
      tabs: ['A', 'B'],
      view: { data: { motivation: 'abmid xy' } },
    });
    // The other tab's patch carries the merged value, not the keystroke as typed.
    expect(of(effects, 'patch').at(-1)).toMatchObject({
      tabs: ['A'],
      fields: { motivation: 'abmid xy' },
    });
  });

  it('R1: an edit typed on the value here is applied exactly as one without a base', () => {
    const start = run(
      readySection(['A', 'B'], 1, { motivation: 'ab' }),
      editInput('A', { vision: 'v' }),
    );
    const withBase = run(start.state, typed('A', 'abc', 'ab'));
    const without = run(start.state, editInput('A', { motivation: 'abc' }));
    expect(withBase.state).toEqual(without.state);
    expect(withBase.effects).toEqual(without.effects);
  });

  it('R1, R21: both tabs changing the same characters differently is a device conflict, not a silent overwrite', () => {
    const { state } = run(
      readySection(['A', 'B'], 1, { motivation: 'a-c' }),
      typed('A', 'aXc', 'a-c'),
      typed('B', 'aYc', 'a-c'),
    );
    expect(statusOf(sec(state)).status).toBe('conflict');
    // What A typed stays here; what B typed is the conflict's other side, for the author.
    expect(sec(state).local).toEqual({ motivation: 'aXc' });
    expect(sec(state).conflict).toMatchObject({
      source: 'device',
      base: { motivation: 'a-c' },
      serverData: { motivation: 'aYc' },
    });
  });
});
