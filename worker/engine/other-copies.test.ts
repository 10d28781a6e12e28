// Edits made on this device by another copy of the app — an adopted outbox of a worker that is
// gone, a tab's edit typed on a value that changed since (another tab, a resend after a lost
// answer) — merge three ways against what they were typed on (R21 in docs/single-writer.md).
import { describe, expect, it } from 'vitest';
import { statusOf, type EngineState, type Input, type RestoredSection } from './index.ts';
import { ID, KEY, PLAN, effectsOf as of, readySection, run, sectionOf as sec } from './testing.ts';

const status = (state: EngineState) => statusOf(sec(state)).status;
const debounce: Input = { type: 'timer', id: ID, name: 'debounce' };

/** What a gone worker left: edits `fields` typed on the server copy `version`/`data`. */
function left(
  version: number,
  data: Record<string, unknown>,
  fields: Record<string, unknown>,
  conflict: RestoredSection['outbox']['conflict'] = null,
): Input {
  return {
    type: 'restore',
    sections: [
      {
        planId: PLAN,
        sectionKey: KEY,
        server: { version, data },
        outbox: { baseVersion: version, fields, conflict, unconfirmed: [] },
      },
    ],
  };
}

const typed = (tab: string, fields: Record<string, unknown>, base: Record<string, unknown>) =>
  ({ type: 'edit', tab, planId: PLAN, sectionKey: KEY, fields, base }) satisfies Input;

/** The section was saved at v2 with `motivation: 'new'` here, typed after the old copy's edit. */
const savedHere = () => readySection(['B'], 2, { motivation: 'new', vision: 'v' });

describe('R21: adopting a gone worker’s outbox', () => {
  it('R21: an adopted edit never overwrites a newer value here: a clash is a conflict, nothing saved', () => {
    const { state, effects } = run(savedHere(), left(1, { vision: 'v' }, { motivation: 'old' }));
    expect(status(state)).toBe('conflict');
    expect(sec(state).local).toEqual({ motivation: 'new', vision: 'v' });
    expect(of(effects, 'save')).toEqual([]);
    const view = of(effects, 'view').at(-1)?.view;
    expect(view?.conflict).toMatchObject({
      source: 'device',
      fields: [
        {
          field: 'motivation',
          mine: 'new',
          theirs: 'old',
          saves: { refresh: 'old', overwrite: 'new' },
        },
      ],
    });
    // Overwrite keeps what is here (already on the server: nothing to send) …
    const kept = run(state, { type: 'resolve', id: ID, choice: 'overwrite' });
    expect(status(kept.state)).toBe('saved');
    expect(of(kept.effects, 'save')).toEqual([]);
    // … Refresh takes the other copy's value and saves it on the version known here.
    const taken = run(state, { type: 'resolve', id: ID, choice: 'refresh' });
    expect(of(taken.effects, 'save')[0]?.request).toMatchObject({
      version: 2,
      data: { motivation: 'old', vision: 'v' },
    });
  });

  it('R21: an adopted edit of a field unchanged here since its base is taken and saved', () => {
    const { state, effects } = run(
      readySection(['B'], 1, { motivation: 'same', vision: 'v' }),
      left(1, { motivation: 'same', vision: 'v' }, { motivation: 'theirs' }),
      debounce,
    );
    expect(sec(state).local).toEqual({ motivation: 'theirs', vision: 'v' });
    expect(of(effects, 'save')[0]?.request.data).toEqual({ motivation: 'theirs', vision: 'v' });
  });

  it('R21: a field changed here and not there keeps the value here (M2)', () => {
    const { state, effects } = run(
      savedHere(),
      left(1, { motivation: 'base', vision: 'v' }, { vision: 'from the old copy' }),
    );
    // motivation is not in the old copy's outbox: its older server copy never competes.
    expect(sec(state).local).toEqual({ motivation: 'new', vision: 'from the old copy' });
    expect(status(state)).toBe('pending');
    expect(of(effects, 'view').at(-1)?.view.data).toEqual(sec(state).local);
  });

  it('R21: long text changed on different lines here and there merges', () => {
    const { state } = run(
      readySection(['B'], 2, { motivation: 'one\ntwo, here\nthree\nfour' }),
      left(
        1,
        { motivation: 'one\ntwo\nthree\nfour' },
        { motivation: 'one\ntwo\nthree\nfour, there' },
      ),
    );
    expect(sec(state).local.motivation).toBe('one\ntwo, here\nthree\nfour, there');
    expect(sec(state).conflict).toBeNull();
  });

  it('R21: an adopted conflict stays a conflict', () => {
    // The gone worker met the other device's v2 and had not decided; here v2 is loaded.
    const { state } = run(
      readySection(['B'], 2, { motivation: 'other device' }),
      left(
        1,
        { motivation: 'base' },
        { motivation: 'author' },
        { serverVersion: 2, serverData: { motivation: 'other device' } },
      ),
    );
    expect(status(state)).toBe('conflict');
    expect(sec(state).local).toEqual({ motivation: 'other device' });
    expect(sec(state).conflict?.serverData).toEqual({ motivation: 'author' });
  });

  it('R21: an adopted device conflict keeps its other side', () => {
    const { state } = run(
      readySection(['B'], 1, { motivation: 'base' }),
      left(
        1,
        { motivation: 'base' },
        { motivation: 'mine there' },
        {
          serverVersion: 1,
          serverData: { motivation: 'theirs there' },
          base: { motivation: 'base' },
          source: 'device',
        },
      ),
    );
    // The outbox's value is taken (unchanged here); its open clash then meets it again.
    expect(sec(state).local).toEqual({ motivation: 'mine there' });
    expect(sec(state).conflict).toMatchObject({
      source: 'device',
      serverData: { motivation: 'theirs there' },
    });
  });

  it('R21: a clash while a conflict is open waits its turn, kept in the outbox', () => {
    let { state } = run(
      savedHere(),
      left(1, { vision: 'v' }, { motivation: 'old 1' }),
      left(1, { vision: 'v' }, { motivation: 'old 2' }),
    );
    expect(sec(state).queued).toHaveLength(1);
    ({ state } = run(state, { type: 'resolve', id: ID, choice: 'overwrite' }));
    expect(sec(state).conflict?.serverData.motivation).toBe('old 2');
    expect(sec(state).queued ?? []).toEqual([]);
  });

  it('R21: a device conflict ignores newer server copies until decided; its save meets them (409)', () => {
    let { state } = run(savedHere(), left(1, { vision: 'v' }, { motivation: 'old' }));
    ({ state } = run(state, {
      type: 'remote',
      id: ID,
      section: { version: 3, data: { motivation: 'device 2' } },
    }));
    expect(sec(state).conflict?.source).toBe('device');
    expect(sec(state).server.version).toBe(2);
  });
});

describe('R21: an edit typed on a value that changed since', () => {
  it('R21: a resend whose first copy landed changes nothing', () => {
    const { state, effects } = run(
      readySection(['A'], 1, { motivation: 'abc' }),
      typed('A', { motivation: 'abc' }, { motivation: 'ab' }),
    );
    expect(sec(state).local).toEqual({ motivation: 'abc' });
    expect(status(state)).toBe('pending');
    expect(of(effects, 'patch')).toEqual([]);
  });

  it('R21: a resend after a lost answer never replaces what another tab typed since: merged or a conflict', () => {
    // Tab B typed line 3 on the new worker; tab A's resent edit changed line 1 of the older text.
    const merged = run(
      readySection(['A', 'B'], 1, { motivation: 'one\ntwo\nthree' }),
      typed('B', { motivation: 'one\ntwo\nthree, B' }, { motivation: 'one\ntwo\nthree' }),
      typed('A', { motivation: 'one, A\ntwo\nthree' }, { motivation: 'one\ntwo\nthree' }),
    );
    expect(sec(merged.state).local.motivation).toBe('one, A\ntwo\nthree, B');
    // Every tab, the typing one too, gets what the worker made of it.
    expect(of(merged.effects, 'view').at(-1)).toMatchObject({
      tabs: ['A', 'B'],
      view: { data: { motivation: 'one, A\ntwo\nthree, B' } },
    });
    // Both typed at the end of one line: both keystrokes stay (the resent one after).
    const both = run(
      readySection(['A', 'B'], 1, { motivation: 'ab' }),
      typed('B', { motivation: 'abX' }, { motivation: 'ab' }),
      typed('A', { motivation: 'abc' }, { motivation: 'ab' }),
    );
    expect(sec(both.state).local).toEqual({ motivation: 'abXc' });
    // The resent keystroke is already there, typed on by the other tab: kept once.
    const once = run(
      readySection(['A', 'B'], 1, { motivation: 'abcX' }),
      typed('A', { motivation: 'abc' }, { motivation: 'ab' }),
    );
    expect(sec(once.state).local).toEqual({ motivation: 'abcX' });
    // Both replaced the same characters differently: the author decides.
    const clash = run(
      readySection(['A', 'B'], 1, { motivation: 'a-c' }),
      typed('B', { motivation: 'aXc' }, { motivation: 'a-c' }),
      typed('A', { motivation: 'aYc' }, { motivation: 'a-c' }),
    );
    expect(status(clash.state)).toBe('conflict');
    expect(sec(clash.state).local).toEqual({ motivation: 'aXc' });
    expect(sec(clash.state).conflict).toMatchObject({
      source: 'device',
      serverData: { motivation: 'aYc' },
    });
  });

  it('R21: an empty field counts as the same base whether absent, null or empty', () => {
    const { state } = run(
      readySection(['A'], 0, {}),
      typed('A', { motivation: 'a' }, { motivation: null }),
      typed('A', { vision: 'b' }, { vision: '' }),
    );
    expect(sec(state).local).toEqual({ motivation: 'a', vision: 'b' });
    expect(sec(state).conflict).toBeNull();
  });

  it('R20: a retired engine takes no edit at all', () => {
    const { state, effects } = run(
      readySection(['A'], 1, { motivation: 'a' }),
      { type: 'retire' },
      typed('A', { motivation: 'ab' }, { motivation: 'a' }),
    );
    expect(sec(state).local).toEqual({ motivation: 'a' });
    expect(of(effects, 'persist')).toEqual([]);
  });
});
