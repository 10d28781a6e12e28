// The three-way merge, as a table: every combination of unchanged / changed / same change /
// deleted on each side, for plain, nested and text values. Rules M1–M7: docs/merge-rules.md.
import { describe, expect, it } from 'vitest';
import { mergeSection, mergeValue, resolveMerge } from './merge.ts';
import { mergeText } from './merge-text.ts';

const ABSENT = undefined;
type Expect = { value: unknown } | 'conflict';

// [case, base, mine, theirs, expected]
const TABLE: Array<[string, unknown, unknown, unknown, Expect]> = [
  // base present
  ['M1: unchanged on both sides', 'b', 'b', 'b', { value: 'b' }],
  ['M2: changed only by theirs', 'b', 'b', 't', { value: 't' }],
  ['M2: changed only by mine', 'b', 'm', 'b', { value: 'm' }],
  ['M1: the same change on both sides', 'b', 'x', 'x', { value: 'x' }],
  ['M4: changed on both sides differently', 'b', 'm', 't', 'conflict'],
  ['M2: deleted only by theirs', 'b', 'b', ABSENT, { value: ABSENT }],
  ['M2: deleted only by mine', 'b', ABSENT, 'b', { value: ABSENT }],
  ['M1: deleted on both sides', 'b', ABSENT, ABSENT, { value: ABSENT }],
  ['M4: changed by mine, deleted by theirs', 'b', 'm', ABSENT, 'conflict'],
  ['M4: deleted by mine, changed by theirs', 'b', ABSENT, 't', 'conflict'],
  // base absent (a field new on one or both sides)
  ['M1: absent everywhere', ABSENT, ABSENT, ABSENT, { value: ABSENT }],
  ['M2: added only by theirs', ABSENT, ABSENT, 't', { value: 't' }],
  ['M2: added only by mine', ABSENT, 'm', ABSENT, { value: 'm' }],
  ['M1: the same value added on both sides', ABSENT, 'x', 'x', { value: 'x' }],
  ['M4: different values added on both sides', ABSENT, 'm', 't', 'conflict'],
  // other JSON types
  ['M2: numbers, changed only by theirs', 1, 1, 2, { value: 2 }],
  ['M4: numbers changed on both sides', 1, 2, 3, 'conflict'],
  ['M4: booleans changed on both sides to different types', true, false, null, 'conflict'],
  ['M2: null set only by mine', 'b', null, 'b', { value: null }],
  ['M1: arrays: the same change', [1], [1, 2], [1, 2], { value: [1, 2] }],
  ['M4: arrays changed on both sides', [1], [1, 2], [1, 3], 'conflict'],
  ['M2: arrays changed only by theirs', [1], [1], [3], { value: [3] }],
  // nested objects (M3: key by key)
  ['M1: nested, unchanged', { a: 1 }, { a: 1 }, { a: 1 }, { value: { a: 1 } }],
  [
    'M1: nested, key order does not matter',
    { a: 1, b: 2 },
    { b: 2, a: 1 },
    { a: 1, b: 2 },
    { value: { b: 2, a: 1 } },
  ],
  [
    'M3: nested, different keys changed',
    { a: 1, b: 1 },
    { a: 2, b: 1 },
    { a: 1, b: 3 },
    { value: { a: 2, b: 3 } },
  ],
  [
    'M3: nested, the same key changed to the same value',
    { a: 1, b: 1 },
    { a: 2, b: 1 },
    { a: 2, b: 3 },
    { value: { a: 2, b: 3 } },
  ],
  ['M3: nested, the same key changed differently', { a: 1 }, { a: 2 }, { a: 3 }, 'conflict'],
  [
    'M3: nested, one side deletes a key the other left alone',
    { a: 1, b: 1 },
    { a: 1 },
    { a: 1, b: 1, c: 1 },
    { value: { a: 1, c: 1 } },
  ],
  [
    'M3: nested, one side deletes a key the other changed',
    { a: 1, b: 1 },
    { a: 1 },
    { a: 1, b: 2 },
    'conflict',
  ],
  [
    'M3: nested two levels deep, disjoint',
    { x: { a: 1, b: 1 } },
    { x: { a: 2, b: 1 } },
    { x: { a: 1, b: 2 } },
    { value: { x: { a: 2, b: 2 } } },
  ],
  [
    'M3: nested two levels deep, clashing',
    { x: { a: 1 } },
    { x: { a: 2 } },
    { x: { a: 3 } },
    'conflict',
  ],
  [
    'M3: nested objects added on both sides with disjoint keys',
    ABSENT,
    { a: 1 },
    { b: 2 },
    { value: { a: 1, b: 2 } },
  ],
  ['M4: an object on one side, text on the other', 'b', { a: 1 }, 't', 'conflict'],
  [
    'M2: nested, only theirs deleted the whole object',
    { a: 1 },
    { a: 1 },
    ABSENT,
    { value: ABSENT },
  ],
  [
    'M4: nested, mine changed inside, theirs deleted the object',
    { a: 1 },
    { a: 2 },
    ABSENT,
    'conflict',
  ],
  // text (M5: line by line)
  [
    'M5: text, different lines changed',
    'one\ntwo\nthree\nfour',
    'ONE\ntwo\nthree\nfour',
    'one\ntwo\nthree\nFOUR',
    { value: 'ONE\ntwo\nthree\nFOUR' },
  ],
  [
    'M5: text, lines added at both ends',
    'middle',
    'top\nmiddle',
    'middle\nbottom',
    { value: 'top\nmiddle\nbottom' },
  ],
  [
    'M5: text, the same line changed the same way and another line by theirs',
    'a\nb\nc\nd',
    'A\nb\nc\nd',
    'A\nb\nc\nD',
    { value: 'A\nb\nc\nD' },
  ],
  [
    'M5: text, the same line changed differently',
    'a\nb\nc',
    'a\nmine\nc',
    'a\ntheirs\nc',
    'conflict',
  ],
  ['M5: one-line text changed on both sides', 'b', 'm', 't', 'conflict'],
  ['M5: text added on both sides to an absent field', ABSENT, 'm', 't', 'conflict'],
];

describe('mergeValue: the table', () => {
  it.each(TABLE)('%s', (_name, base, mine, theirs, expected) => {
    const result = mergeValue(base, mine, theirs);
    if (expected === 'conflict') expect(result.ok).toBe(false);
    else expect(result).toEqual({ ok: true, value: expected.value });
    // Symmetric: swapping mine and theirs gives the same outcome.
    const swapped = mergeValue(base, theirs, mine);
    expect(swapped.ok).toBe(result.ok);
    if (swapped.ok && result.ok) expect(swapped.value).toEqual(result.value);
  });
});

describe('mergeSection', () => {
  it('M1–M4: merges every field and reports only the clashing ones', () => {
    const base = { keep: 'k', mineOnly: 'b', theirsOnly: 'b', both: 'b', gone: 'g', same: 'b' };
    const mine = { keep: 'k', mineOnly: 'M', theirsOnly: 'b', both: 'mine', gone: 'g', same: 'S' };
    const theirs = {
      keep: 'k',
      mineOnly: 'b',
      theirsOnly: 'T',
      both: 'theirs',
      same: 'S',
      added: 'A',
    };
    const result = mergeSection(base, mine, theirs);
    expect(result.merged).toEqual({
      keep: 'k',
      mineOnly: 'M',
      theirsOnly: 'T',
      both: 'mine',
      same: 'S',
      added: 'A',
    });
    expect(result.conflicts).toEqual([
      { field: 'both', base: 'b', mine: 'mine', theirs: 'theirs' },
    ]);
  });

  it('M6: a conflicting field keeps the local value, a deleted local value stays deleted', () => {
    const result = mergeSection({ a: 'b', d: 'b' }, { a: 'm' }, { a: 't', d: 'T' });
    expect(result.merged).toEqual({ a: 'm' });
    expect(result.conflicts.map((c) => c.field)).toEqual(['a', 'd']);
  });

  it('M5: a text overlap is reported with the lines of each side', () => {
    const result = mergeSection(
      { plan: 'intro\nold\noutro' },
      { plan: 'intro\nmine\noutro' },
      { plan: 'intro\ntheirs\noutro' },
    );
    expect(result.conflicts).toEqual([
      {
        field: 'plan',
        base: 'intro\nold\noutro',
        mine: 'intro\nmine\noutro',
        theirs: 'intro\ntheirs\noutro',
        overlaps: [{ base: 'old', mine: 'mine', theirs: 'theirs' }],
        resolved: { mine: 'intro\nmine\noutro', theirs: 'intro\ntheirs\noutro' },
      },
    ]);
  });

  it('M7: resolving takes theirs or mine for the clashing fields only', () => {
    const base = { a: 'b', b: 'b', c: 'b' };
    const mine = { a: 'mine', b: 'B', c: 'b' };
    const theirs = { a: 'theirs', b: 'b', c: 'C' };
    const result = mergeSection(base, mine, theirs);
    expect(resolveMerge(result, 'theirs')).toEqual({ a: 'theirs', b: 'B', c: 'C' });
    expect(resolveMerge(result, 'mine')).toEqual({ a: 'mine', b: 'B', c: 'C' });
    const deleted = mergeSection({ a: 'b' }, { a: 'm' }, {});
    expect(resolveMerge(deleted, 'theirs')).toEqual({});
  });

  it('M7: long text keeps the clean lines of both sides whichever button is chosen', () => {
    // Both change line 1; this device also line 5, the other device line 3.
    const base = { plan: ['1', '2', '3', '4', '5'].join('\n') };
    const mine = { plan: ['one (mine)', '2', '3', '4', 'five'].join('\n') };
    const theirs = { plan: ['one (theirs)', '2', 'three', '4', '5'].join('\n') };
    const result = mergeSection(base, mine, theirs);
    expect(result.conflicts[0]?.overlaps).toEqual([
      { base: '1', mine: 'one (mine)', theirs: 'one (theirs)' },
    ]);
    expect(resolveMerge(result, 'mine')).toEqual({
      plan: ['one (mine)', '2', 'three', '4', 'five'].join('\n'),
    });
    expect(resolveMerge(result, 'theirs')).toEqual({
      plan: ['one (theirs)', '2', 'three', '4', 'five'].join('\n'),
    });
  });
});

describe('mergeText', () => {
  it('M5: keeps a trailing newline and empty lines', () => {
    expect(mergeText('a\n\nb\n', 'A\n\nb\n', 'a\n\nB\n')).toEqual({
      clean: true,
      text: 'A\n\nB\n',
    });
  });

  it('M5: adjacent lines changed on both sides overlap (no stable line between them)', () => {
    const result = mergeText('a\nb\nc\nd', 'a\nB\nc\nd', 'a\nb\nC\nd');
    expect(result).toEqual({
      clean: false,
      overlaps: [{ base: 'b\nc', mine: 'B\nc', theirs: 'b\nC' }],
      resolved: { mine: 'a\nB\nc\nd', theirs: 'a\nb\nC\nd' },
    });
  });

  it('M5: several clean hunks and one overlap report only the overlap', () => {
    const base = ['1', '2', '3', '4', '5', '6', '7'].join('\n');
    const mine = ['one', '2', '3', 'four', '5', '6', '7'].join('\n');
    const theirs = ['1', '2', '3', 'FOUR', '5', '6', 'seven'].join('\n');
    expect(mergeText(base, mine, theirs)).toEqual({
      clean: false,
      overlaps: [{ base: '4', mine: 'four', theirs: 'FOUR' }],
      resolved: {
        mine: ['one', '2', '3', 'four', '5', '6', 'seven'].join('\n'),
        theirs: ['one', '2', '3', 'FOUR', '5', '6', 'seven'].join('\n'),
      },
    });
  });
});
