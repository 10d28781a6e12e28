// The IndexedDB store on fake-indexeddb (an in-memory IndexedDB that follows the spec's
// transaction rules): every op, a reopen, atomic apply(), records that fail validation, and the
// hand-over to a newer schema version (a deploy).
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { recordId, type OutboxRecord, type SnapshotRecord } from '../ports.ts';
import { IDB_VERSION, IdbStore } from './idb-store.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
let databases = 0;
/** A database of its own per test: fake-indexeddb is one store for the whole process. */
const freshName = () => `mpfs-sync-test-${++databases}`;

const snapshot = (sectionKey: SnapshotRecord['sectionKey'], version = 1): SnapshotRecord => ({
  id: recordId('w1', PLAN, sectionKey),
  owner: 'w1',
  planId: PLAN,
  sectionKey,
  version,
  data: { motivation: `v${version}` },
  updatedAt: 1,
});

const outbox = (sectionKey: OutboxRecord['sectionKey'], text = 'typed'): OutboxRecord => ({
  id: recordId('w1', PLAN, sectionKey),
  owner: 'w1',
  planId: PLAN,
  sectionKey,
  baseVersion: 1,
  fields: { motivation: text },
  conflict: null,
  unconfirmed: [],
  attempt: { mutationId: 'm-1', version: 1, hash: 'h' },
  updatedAt: 2,
});

/** Writes a record as it is, past the store's types (what an older build or damage leaves). */
async function putRaw(name: string, storeName: 'snapshots' | 'outbox', record: unknown) {
  const db = await openDB(name, IDB_VERSION);
  await db.put(storeName, record);
  db.close();
}

describe('IdbStore', () => {
  it('puts, reads back and deletes snapshots and outbox records', async () => {
    const store = await IdbStore.open({ name: freshName() });
    const one = snapshot('section-one');
    const edits = outbox('section-one');
    await store.apply([
      { op: 'put-snapshot', record: one },
      { op: 'put-outbox', record: edits },
    ]);
    expect(await store.getSnapshot(one.id)).toEqual(one);
    expect(await store.getOutbox(edits.id)).toEqual(edits);
    expect(await store.restoreAll()).toEqual({ snapshots: [one], outbox: [edits] });

    // A put replaces the record with the same id.
    const two = snapshot('section-one', 2);
    await store.apply([{ op: 'put-snapshot', record: two }]);
    expect(await store.getSnapshot(one.id)).toEqual(two);

    await store.apply([{ op: 'delete-outbox', id: edits.id }]);
    expect(await store.getOutbox(edits.id)).toBeUndefined();
    expect(await store.getSnapshot(one.id)).toEqual(two);
    await store.apply([{ op: 'delete-snapshot', id: one.id }]);
    expect(await store.getSnapshot(one.id)).toBeUndefined();
    expect(await store.restoreAll()).toEqual({ snapshots: [], outbox: [] });
    // Deleting what isn't there, and an empty apply, are no-ops.
    await store.apply([{ op: 'delete-outbox', id: 'absent' }]);
    await store.apply([]);
    expect(await store.restoreAll()).toEqual({ snapshots: [], outbox: [] });
  });

  it('applies the ops in order', async () => {
    const store = await IdbStore.open({ name: freshName() });
    const edits = outbox('section-two');
    await store.apply([
      { op: 'put-outbox', record: outbox('section-two', 'first') },
      { op: 'delete-outbox', id: edits.id },
      { op: 'put-outbox', record: edits },
    ]);
    expect(await store.getOutbox(edits.id)).toEqual(edits);
  });

  it('keeps what it committed across a reopen', async () => {
    const name = freshName();
    const first = await IdbStore.open({ name });
    const records = {
      snapshots: [snapshot('section-one'), snapshot('section-three', 4)],
      outbox: [outbox('section-three', 'not yet saved')],
    };
    await first.apply([
      ...records.snapshots.map((record) => ({ op: 'put-snapshot' as const, record })),
      ...records.outbox.map((record) => ({ op: 'put-outbox' as const, record })),
    ]);
    const second = await IdbStore.open({ name });
    expect(await second.restoreAll()).toEqual(records);
  });

  it('writes all of an apply or none of it', async () => {
    const store = await IdbStore.open({ name: freshName() });
    const kept = snapshot('section-one');
    await store.apply([{ op: 'put-snapshot', record: kept }]);
    // The second op has no key (the store's keyPath is `id`): IndexedDB refuses it, and the
    // transaction takes the first op back with it.
    const keyless = { ...outbox('section-two') } as Partial<OutboxRecord>;
    delete keyless.id;
    await expect(
      store.apply([
        { op: 'put-snapshot', record: snapshot('section-one', 9) },
        { op: 'put-outbox', record: keyless as OutboxRecord },
      ]),
    ).rejects.toThrow();
    expect(await store.restoreAll()).toEqual({ snapshots: [kept], outbox: [] });
  });

  it('leaves out and reports records that fail validation', async () => {
    const name = freshName();
    const problems: { record: unknown; problem: string }[] = [];
    const store = await IdbStore.open({
      name,
      onInvalid: (record, problem) => problems.push({ record, problem }),
    });
    const good = outbox('section-one');
    await store.apply([
      { op: 'put-outbox', record: good },
      { op: 'put-snapshot', record: snapshot('section-one') },
    ]);
    const badOutbox = { ...outbox('section-two'), sectionKey: 'section-nine' };
    const badSnapshot = { ...snapshot('section-two'), version: -1 };
    await putRaw(name, 'outbox', badOutbox);
    await putRaw(name, 'snapshots', badSnapshot);

    expect(await store.getOutbox(badOutbox.id)).toBeUndefined();
    expect(await store.getSnapshot(badSnapshot.id)).toBeUndefined();
    expect(problems.map((p) => p.record)).toEqual([badOutbox, badSnapshot]);
    expect(problems[0]?.problem).toMatch(/sectionKey/);
    expect(problems[1]?.problem).toMatch(/version/);

    problems.length = 0;
    const restored = await store.restoreAll();
    expect(restored).toEqual({ snapshots: [snapshot('section-one')], outbox: [good] });
    expect(problems.map((p) => p.record)).toEqual([badSnapshot, badOutbox]);
    // The bad records are reported, not deleted: nothing is thrown away without a decision.
    const raw = await openDB(name, IDB_VERSION);
    expect(await raw.count('outbox')).toBe(2);
    raw.close();
  });

  it('closes its connection when a newer version of the app upgrades the database', async () => {
    const name = freshName();
    const store = await IdbStore.open({ name });
    await store.apply([{ op: 'put-snapshot', record: snapshot('section-one') }]);
    // Without blocking() closing the old connection, this open would wait for ever.
    const newer = await openDB(name, IDB_VERSION + 1, {
      upgrade(database) {
        database.createObjectStore('extra');
      },
    });
    expect([...newer.objectStoreNames].sort()).toEqual(['extra', 'outbox', 'snapshots']);
    expect(await newer.count('snapshots')).toBe(1);
    newer.close();
    await expect(store.getSnapshot(snapshot('section-one').id)).rejects.toThrow();
  });
});
