// Other devices' saves meeting this device's edits: refetched copies (F4), 409s and resolutions
// merged three ways (M1–M8). Rules: docs/merge-rules.md; R-rules: docs/single-writer.md.
import { describe, expect, it } from 'vitest';
import { statusOf, type EngineState, type Input } from './index.ts';
import {
  ID,
  editInput as edit,
  effectsOf as of,
  readySection,
  run,
  sectionOf as sec,
} from './testing.ts';

const status = (state: EngineState) => statusOf(sec(state)).status;
const remote = (version: number, data: Record<string, unknown>): Input => ({
  type: 'remote',
  id: ID,
  section: { version, data },
});
const debounce: Input = { type: 'timer', id: ID, name: 'debounce' };

const ready = readySection;

describe('a newer server copy found by a refetch (F4)', () => {
  it('F4: with nothing pending it is applied and every tab gets a view, no dialog', () => {
    const { state, effects } = run(
      ready(['A', 'B'], 1, { motivation: 'old' }),
      remote(2, { motivation: 'new' }),
    );
    expect(sec(state).server).toEqual({ version: 2, data: { motivation: 'new' } });
    expect(status(state)).toBe('saved');
    const views = of(effects, 'view');
    expect(views).toHaveLength(1);
    expect(views[0]?.tabs).toEqual(['A', 'B']);
    expect(views[0]?.view).toMatchObject({
      data: { motivation: 'new' },
      serverVersion: 2,
      conflict: null,
    });
    expect(of(effects, 'save')).toHaveLength(0);
    expect(of(effects, 'persist')[0]).toMatchObject({ snapshot: { version: 2 }, outbox: null });
  });

  it('F4: an older or equal copy changes nothing', () => {
    const state = ready(['A'], 3, { motivation: 'x' });
    expect(run(state, remote(3, { motivation: 'other' })).effects).toEqual([]);
    expect(run(state, remote(2, { motivation: 'older' })).effects).toEqual([]);
  });

  it('F4: while a save is in flight it waits for that answer', () => {
    const { state } = run(ready(['A'], 1, {}), edit('A', { motivation: 'm' }), debounce);
    expect(run(state, remote(2, { vision: 'v' })).effects).toEqual([]);
  });

  it('M2, F4: pending edits on other fields merge and go out at once on the new version', () => {
    const { state, effects } = run(
      ready(['A', 'B'], 1, { motivation: 'base', vision: 'base' }),
      edit('A', { motivation: 'mine' }),
      remote(2, { motivation: 'base', vision: 'theirs' }),
    );
    expect(of(effects, 'save').at(-1)?.request).toMatchObject({
      version: 2,
      data: { motivation: 'mine', vision: 'theirs' },
    });
    expect(of(effects, 'clear-timer')).toContainEqual({
      type: 'clear-timer',
      id: ID,
      name: 'debounce',
    });
    expect(status(state)).toBe('saving');
    expect(of(effects, 'view').at(-1)?.view.data).toEqual({ motivation: 'mine', vision: 'theirs' });
  });

  it('M1: the same change on both sides leaves nothing to save', () => {
    const { state, effects } = run(
      ready(['A'], 1, { motivation: 'base' }),
      edit('A', { motivation: 'same' }),
      remote(2, { motivation: 'same' }),
    );
    expect(status(state)).toBe('saved');
    expect(sec(state).pending).toEqual([]);
    expect(of(effects, 'save')).toHaveLength(0);
  });

  it('M4, M6, M8: the same field changed differently is a conflict with both values; edits kept', () => {
    const { state, effects } = run(
      ready(['A', 'B'], 1, { motivation: 'base', vision: 'base' }),
      edit('B', { motivation: 'mine' }),
      remote(2, { motivation: 'theirs', vision: 'theirs' }),
    );
    expect(status(state)).toBe('conflict');
    expect(sec(state).local).toEqual({ motivation: 'mine', vision: 'base' });
    expect(of(effects, 'save')).toHaveLength(0);
    const view = of(effects, 'view').at(-1)?.view;
    expect(view?.conflict).toEqual({
      serverVersion: 2,
      serverData: { motivation: 'theirs', vision: 'theirs' },
      fields: [
        {
          field: 'motivation',
          mine: 'mine',
          theirs: 'theirs',
          saves: { refresh: 'theirs', overwrite: 'mine' },
        },
      ],
      authorTab: 'B',
    });
    expect(of(effects, 'view').at(-1)?.tabs).toEqual(['A', 'B']);
  });

  it('M8: the dialog goes to another open tab when the author tab is gone', () => {
    let { state } = run(
      ready(['A', 'B'], 1, { motivation: 'base' }),
      edit('B', { motivation: 'mine' }),
      remote(2, { motivation: 'theirs' }),
    );
    ({ state } = run(state, { type: 'tab-gone', tab: 'B' }));
    const view = run(state, remote(3, { motivation: 'theirs again' })).effects;
    expect(of(view, 'view').at(-1)?.view.conflict?.authorTab).toBe('A');
  });

  it('M8: the tab that gained focus last gets the dialog, even without typing there', () => {
    const { effects } = run(
      ready(['A', 'B'], 1, { motivation: 'base' }),
      edit('B', { motivation: 'mine' }),
      { type: 'tab-active', tab: 'A' },
      remote(2, { motivation: 'theirs' }),
    );
    expect(of(effects, 'view').at(-1)?.view.conflict?.authorTab).toBe('A');
    // Focus during a conflict doesn't move a dialog that is already open.
    const { state } = run(
      ready(['A', 'B'], 1, { motivation: 'base' }),
      edit('B', { motivation: 'mine' }),
      remote(2, { motivation: 'theirs' }),
    );
    const moved = run(state, { type: 'tab-active', tab: 'A' });
    expect(moved.effects).toEqual([]);
    expect(sec(moved.state).author).toBe('B');
  });

  it('M5: long text edited in different places merges line by line', () => {
    const base = 'Line one\nLine two\nLine three';
    const { effects } = run(
      ready(['A'], 1, { motivation: base }),
      edit('A', { motivation: 'Line one, mine\nLine two\nLine three' }),
      remote(2, { motivation: 'Line one\nLine two\nLine three, theirs' }),
    );
    expect(of(effects, 'save').at(-1)?.request.data).toEqual({
      motivation: 'Line one, mine\nLine two\nLine three, theirs',
    });
  });

  it('M5, M8: long text edited on the same line shows the overlap', () => {
    const { effects } = run(
      ready(['A'], 1, { motivation: 'a\nb\nc' }),
      edit('A', { motivation: 'a\nmine\nc' }),
      remote(2, { motivation: 'a\ntheirs\nc' }),
    );
    expect(of(effects, 'view').at(-1)?.view.conflict?.fields).toEqual([
      {
        field: 'motivation',
        mine: 'a\nmine\nc',
        theirs: 'a\ntheirs\nc',
        overlaps: [{ base: 'b', mine: 'mine', theirs: 'theirs' }],
        saves: { refresh: 'a\ntheirs\nc', overwrite: 'a\nmine\nc' },
      },
    ]);
  });

  it('M7: long text — both buttons keep the lines each side merged cleanly, and save exactly what the dialog shows', () => {
    // Both change line 1; this device also line 5, the other device line 3.
    const base = ['1', '2', '3', '4', '5'].join('\n');
    const mine = ['one (mine)', '2', '3', '4', 'five'].join('\n');
    const theirs = ['one (theirs)', '2', 'three', '4', '5'].join('\n');
    for (const [choice, first] of [
      ['refresh', 'one (theirs)'],
      ['overwrite', 'one (mine)'],
    ] as const) {
      const { state, effects } = run(
        ready(['A'], 1, { motivation: base }),
        edit('A', { motivation: mine }),
        remote(2, { motivation: theirs }),
      );
      const field = of(effects, 'view').at(-1)?.view.conflict?.fields[0];
      const expected = [first, '2', 'three', '4', 'five'].join('\n');
      expect(field?.saves?.[choice]).toBe(expected);
      const resolved = run(state, { type: 'resolve', id: ID, choice });
      expect(of(resolved.effects, 'save')[0]?.request).toMatchObject({
        version: 2,
        data: { motivation: expected },
      });
    }
  });

  it('M7: a newer copy during a conflict is merged again; no clash left → saved without the author', () => {
    let { state } = run(
      ready(['A'], 1, { motivation: 'base' }),
      edit('A', { motivation: 'mine' }),
      remote(2, { motivation: 'theirs' }),
    );
    expect(status(state)).toBe('conflict');
    // The other device changed it back: nothing to decide any more.
    ({ state } = run(state, remote(3, { motivation: 'base', vision: 'v' })));
    expect(sec(state).conflict).toBeNull();
    expect(sec(state).inFlight?.data).toEqual({ motivation: 'mine', vision: 'v' });
    expect(sec(state).inFlight?.version).toBe(3);
  });
});

describe('resolving keeps the merged non-clashing edits (R9, M7)', () => {
  function conflicted() {
    return run(
      ready(['A', 'B'], 1, { motivation: 'base', vision: 'base', concerns: 'base' }),
      edit('A', { motivation: 'mine', vision: 'mine only' }),
      remote(2, { motivation: 'theirs', vision: 'base', concerns: 'theirs only' }),
    ).state;
  }

  it('M7: refresh takes the server value of the clashing field, keeps mine elsewhere, saves', () => {
    const { state, effects } = run(conflicted(), { type: 'resolve', id: ID, choice: 'refresh' });
    expect(of(effects, 'save').at(-1)?.request).toMatchObject({
      version: 2,
      data: { motivation: 'theirs', vision: 'mine only', concerns: 'theirs only' },
    });
    expect(sec(state).conflict).toBeNull();
    expect(of(effects, 'view').at(-1)?.tabs).toEqual(['A', 'B']);
  });

  it('M7: overwrite keeps the author value of the clashing field and theirs elsewhere', () => {
    const { effects } = run(conflicted(), { type: 'resolve', id: ID, choice: 'overwrite' });
    expect(of(effects, 'save').at(-1)?.request).toMatchObject({
      version: 2,
      data: { motivation: 'mine', vision: 'mine only', concerns: 'theirs only' },
    });
  });

  it('M7: refresh with only the clashing field pending ends saved without a request', () => {
    const { state, effects } = run(
      ready(['A'], 1, { motivation: 'base' }),
      edit('A', { motivation: 'mine' }),
      remote(2, { motivation: 'theirs' }),
      { type: 'resolve', id: ID, choice: 'refresh' },
    );
    expect(status(state)).toBe('saved');
    expect(sec(state).local).toEqual({ motivation: 'theirs' });
    expect(of(effects, 'save')).toHaveLength(0);
  });
});
