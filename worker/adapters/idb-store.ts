// The durable Store in the browser: one IndexedDB database with two object stores, `snapshots`
// (the last server copy of a section) and `outbox` (its unsaved fields). apply() is one
// transaction over both, so a save's new snapshot and its emptied outbox land together.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { OutboxRecordSchema, SnapshotRecordSchema, validRecords } from '../records.ts';
import type { OutboxRecord, SnapshotRecord, Store, StoreOp } from '../ports.ts';

export const IDB_NAME = 'mpfs-sync';
export const IDB_VERSION = 1;

interface SyncDb extends DBSchema {
  snapshots: { key: string; value: SnapshotRecord };
  outbox: { key: string; value: OutboxRecord };
}

export class IdbStore implements Store {
  private constructor(
    private readonly db: IDBPDatabase<SyncDb>,
    private readonly onInvalid: (record: unknown, problem: string) => void,
  ) {}

  static async open(
    options: {
      name?: string;
      onInvalid?: (record: unknown, problem: string) => void;
    } = {},
  ): Promise<IdbStore> {
    const db = await openDB<SyncDb>(options.name ?? IDB_NAME, IDB_VERSION, {
      upgrade(database) {
        if (!database.objectStoreNames.contains('snapshots'))
          database.createObjectStore('snapshots', { keyPath: 'id' });
        if (!database.objectStoreNames.contains('outbox'))
          database.createObjectStore('outbox', { keyPath: 'id' });
      },
      // A newer worker (deploy) wants to upgrade the schema: let it, this one is outdated.
      blocking() {
        db.close();
      },
    });
    return new IdbStore(db, options.onInvalid ?? (() => {}));
  }

  async apply(ops: readonly StoreOp[]): Promise<void> {
    if (ops.length === 0) return;
    // Default durability: the write reaches the OS before `done` (survives a browser or tab
    // crash); 'strict' would add an fsync per keystroke.
    const tx = this.db.transaction(['snapshots', 'outbox'], 'readwrite');
    const snapshots = tx.objectStore('snapshots');
    const outbox = tx.objectStore('outbox');
    const requests: Promise<unknown>[] = [];
    try {
      for (const op of ops) {
        switch (op.op) {
          case 'put-snapshot':
            requests.push(snapshots.put(op.record));
            break;
          case 'delete-snapshot':
            requests.push(snapshots.delete(op.id));
            break;
          case 'put-outbox':
            requests.push(outbox.put(op.record));
            break;
          case 'delete-outbox':
            requests.push(outbox.delete(op.id));
            break;
        }
      }
    } catch (error) {
      // A put that throws at once (a record without its key, a value that can't be cloned) does
      // not abort the transaction by itself: the ops before it would still commit. All or nothing.
      tx.abort();
      await Promise.allSettled([...requests, tx.done]);
      throw error;
    }
    await Promise.all([...requests, tx.done]);
  }

  async getSnapshot(id: string) {
    const record = await this.db.get('snapshots', id);
    return record === undefined
      ? undefined
      : validRecords(SnapshotRecordSchema, [record], this.onInvalid)[0];
  }

  async getOutbox(id: string) {
    const record = await this.db.get('outbox', id);
    return record === undefined
      ? undefined
      : validRecords(OutboxRecordSchema, [record], this.onInvalid)[0];
  }

  async restoreAll() {
    const tx = this.db.transaction(['snapshots', 'outbox'], 'readonly');
    const [snapshots, outbox] = await Promise.all([
      tx.objectStore('snapshots').getAll(),
      tx.objectStore('outbox').getAll(),
      tx.done,
    ]);
    return {
      snapshots: validRecords(SnapshotRecordSchema, snapshots, this.onInvalid),
      outbox: validRecords(OutboxRecordSchema, outbox, this.onInvalid),
    };
  }
}
