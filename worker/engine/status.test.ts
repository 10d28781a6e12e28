// R13 (docs/single-writer.md): a section's status is derived from its state in one order —
// conflict; error (retired with unsaved edits and nothing in flight, R20; 401 or refused); saving (a request in flight); saved-locally (retry armed, or a
// session refresh under way); pending; saved. Every combination of those conditions is checked
// against that order, written here from the rule, not from the code.
import { describe, expect, it } from 'vitest';
import {
  MESSAGES,
  initialState,
  statusOf,
  viewOf,
  type Blocker,
  type SectionState,
} from './index.ts';
import { ID, KEY, PLAN, run, sectionOf } from './testing.ts';

/** A ready section as the engine makes it: opened by a tab, loaded at version 3, nothing else. */
function readySection(): SectionState {
  const opened = run(initialState(1), {
    type: 'open',
    tab: 'tab-a',
    planId: PLAN,
    sectionKey: KEY,
  });
  const loaded = run(opened.state, {
    type: 'loaded',
    id: ID,
    loadId: sectionOf(opened.state).loadId,
    section: { version: 3, data: { motivation: 'on the server' } },
  });
  return sectionOf(loaded.state);
}
const base = readySection();

const BLOCKERS: (Blocker | null)[] = [
  null,
  { kind: 'offline' },
  { kind: 'unauthorized' },
  { kind: 'unauthorized', refreshing: true },
  { kind: 'rejected', message: 'The plan is archived; restore it to edit.' },
];

/** The rule's order, as a list of (condition, status, message) tried top to bottom. */
function expected(s: SectionState): { status: string; message: string | null } {
  const b = s.blocker;
  if (s.conflict) return { status: 'conflict', message: MESSAGES.conflict };
  // R20: a retired worker sends nothing more: only a reload gets unsaved edits saved.
  if (s.retired && s.pending.length > 0 && !s.inFlight)
    return { status: 'error', message: MESSAGES.retired };
  if (b?.kind === 'unauthorized' && !b.refreshing)
    return { status: 'error', message: MESSAGES.sessionExpired };
  if (b?.kind === 'rejected') return { status: 'error', message: b.message };
  if (s.inFlight) return { status: 'saving', message: null };
  if (b?.kind === 'unauthorized')
    return { status: 'saved-locally', message: MESSAGES.refreshingSession };
  if (b?.kind === 'offline')
    return {
      status: 'saved-locally',
      message: s.phase === 'loading' ? MESSAGES.loadOffline : MESSAGES.offline,
    };
  if (s.pending.length > 0) return { status: 'pending', message: null };
  return { status: 'saved', message: null };
}

const cases: { name: string; state: SectionState }[] = [];
for (const conflict of [null, { serverVersion: 4, serverData: { motivation: 'theirs' } }])
  for (const blocker of BLOCKERS)
    for (const inFlight of [false, true])
      for (const pending of [[], ['motivation']])
        for (const phase of ['ready', 'loading'] as const)
          for (const retired of [false, true])
            cases.push({
              name: `${retired ? 'retired, ' : ''}${conflict ? 'conflict, ' : ''}${blocker ? `${blocker.kind}${'refreshing' in blocker ? ' (refreshing)' : ''}, ` : ''}${inFlight ? 'in flight, ' : ''}${pending.length ? 'pending, ' : ''}${phase}`,
              state: {
                ...base,
                ...(retired ? { retired: true } : {}),
                phase,
                conflict,
                blocker,
                pending,
                local: pending.length ? { motivation: 'typed here' } : base.local,
                inFlight: inFlight
                  ? {
                      mutationId: 'm-1',
                      version: 3,
                      data: { motivation: 'typed here' },
                      fields: ['motivation'],
                    }
                  : null,
              },
            });

describe('R13: status derivation order', () => {
  it('starts from a saved section', () => {
    expect(statusOf(base)).toEqual({ status: 'saved', message: null });
  });

  it.each(cases)('$name', ({ state }) => {
    const want = expected(state);
    expect(statusOf(state)).toEqual(want);
    // What the tabs get is the same derivation.
    expect(viewOf(state)).toMatchObject({ status: want.status, message: want.message });
  });

  it('covers every status at least once', () => {
    const seen = new Set(cases.map((c) => statusOf(c.state).status));
    expect([...seen].sort()).toEqual(
      ['conflict', 'error', 'pending', 'saved', 'saved-locally', 'saving'].sort(),
    );
  });

  it('each condition outranks every one after it', () => {
    // Pairs from the rule: the higher one wins whatever else holds.
    const inFlight = { mutationId: 'm-1', version: 3, data: {}, fields: ['motivation'] };
    const conflict = { serverVersion: 4, serverData: {} };
    const rank = (patch: Partial<SectionState>) => statusOf({ ...base, ...patch }).status;
    expect(rank({ conflict, blocker: { kind: 'unauthorized' }, inFlight })).toBe('conflict');
    expect(rank({ conflict, retired: true, pending: ['x'] })).toBe('conflict');
    const retiredWith = { retired: true, blocker: { kind: 'offline' as const }, pending: ['x'] };
    expect(statusOf({ ...base, ...retiredWith })).toEqual({
      status: 'error',
      message: MESSAGES.retired,
    });
    // R20: what is in flight may still be answered; the status says so until then.
    expect(rank({ ...retiredWith, inFlight })).toBe('saving');
    expect(rank({ blocker: { kind: 'rejected', message: 'no' }, inFlight })).toBe('error');
    expect(rank({ blocker: { kind: 'offline' }, inFlight, pending: ['x'] })).toBe('saving');
    expect(rank({ blocker: { kind: 'offline' }, pending: ['x'] })).toBe('saved-locally');
    expect(rank({ blocker: { kind: 'unauthorized', refreshing: true }, pending: ['x'] })).toBe(
      'saved-locally',
    );
    expect(rank({ pending: ['x'] })).toBe('pending');
    expect(rank({})).toBe('saved');
  });
});

describe('R20: what a tab shows once its worker retired', () => {
  const retire = (s: SectionState) => {
    const state = { ...initialState(1), sections: { [ID]: s } };
    return run(state, { type: 'retire' });
  };

  it('a section with unsaved edits: error with the reload message, sent to its tabs', () => {
    const typed = { ...base, pending: ['motivation'], local: { motivation: 'typed here' } };
    const { state, effects } = retire(typed);
    expect(statusOf(sectionOf(state))).toEqual({ status: 'error', message: MESSAGES.retired });
    expect(effects).toContainEqual(
      expect.objectContaining({
        type: 'view',
        tabs: ['tab-a'],
        view: expect.objectContaining({
          status: 'error',
          message: MESSAGES.retired,
          data: { motivation: 'typed here' },
        }),
      }),
    );
  });

  it('a saved section stays saved: nothing waits for the reload', () => {
    const { state, effects } = retire(base);
    expect(statusOf(sectionOf(state))).toEqual({ status: 'saved', message: null });
    expect(effects.filter((e) => e.type === 'view')).toEqual([]);
  });
});
