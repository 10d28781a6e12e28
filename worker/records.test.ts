// Records read back from the store are validated: a damaged or foreign record is skipped and
// reported, never handed to the engine.
import { describe, expect, it } from 'vitest';
import { functionTabLink } from './adapters/tab-link.ts';
import { OutboxRecordSchema, SnapshotRecordSchema, validRecords } from './records.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';

describe('store records', () => {
  it('keeps valid records and reports the others', () => {
    const good = {
      id: `w|${PLAN}/section-one`,
      owner: 'w',
      planId: PLAN,
      sectionKey: 'section-one',
      baseVersion: 2,
      fields: { motivation: 'x' },
      conflict: null,
      unconfirmed: [],
      updatedAt: 1,
    };
    const problems: string[] = [];
    const kept = validRecords(
      OutboxRecordSchema,
      [good, { ...good, sectionKey: 'section-nine' }, { ...good, fields: [1] }, 'junk'],
      (_record, problem) => problems.push(problem),
    );
    expect(kept).toEqual([good]);
    expect(problems).toHaveLength(3);
    expect(
      validRecords(SnapshotRecordSchema, [{ ...good, version: -1, data: {} }], () => {}),
    ).toEqual([]);
  });
});

describe('store records and users (U1, U6)', () => {
  it("keep their user; the previous build's records (no user) still pass, without one", () => {
    const legacy = {
      id: `w|${PLAN}/section-one`,
      owner: 'w',
      planId: PLAN,
      sectionKey: 'section-one',
      baseVersion: 0,
      fields: { motivation: 'x' },
      conflict: null,
      unconfirmed: [],
      updatedAt: 1,
    };
    const keyed = { ...legacy, id: `w|user-a|${PLAN}/section-one`, user: 'user-a' };
    const kept = validRecords(
      OutboxRecordSchema,
      [legacy, keyed, { ...keyed, user: '' }],
      () => {},
    );
    expect(kept).toEqual([legacy, keyed]);
    expect(kept[0]?.user).toBeUndefined();
  });
});

describe('tab links', () => {
  it('never throw or wait, whatever the listener does, and stop after close', async () => {
    const seen: string[] = [];
    const throwing = functionTabLink(() => {
      throw new Error('tab bug');
    });
    const rejecting = functionTabLink(() => Promise.reject(new Error('port closed')));
    const recording = functionTabLink((e) => void seen.push(e.type));
    const event = { type: 'reload', reason: 'x' } as const;
    expect(() => throwing.send(event)).not.toThrow();
    expect(() => rejecting.send(event)).not.toThrow();
    recording.send(event);
    recording.close();
    recording.send(event);
    expect(seen).toEqual(['reload']);
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
});
