// An in-memory Store for tests: same contract as the IndexedDB one (atomic apply, validated
// restore), values cloned on the way in and out so nobody shares objects with it.
import { OutboxRecordSchema, SnapshotRecordSchema, validRecords } from '../records.ts';
import type { OutboxRecord, SnapshotRecord, Store, StoreOp } from '../ports.ts';

export class MemoryStore implements Store {
  readonly snapshots = new Map<string, SnapshotRecord>();
  readonly outbox = new Map<string, OutboxRecord>();
  /** Number of committed apply() calls. */
  commits = 0;
  /** When set, the next apply() fails with this error and writes nothing. */
  failNextWrite: Error | null = null;
  /** When set, every apply() waits for this promise before committing. */
  gate: Promise<void> | null = null;

  async apply(ops: readonly StoreOp[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failNextWrite) {
      const error = this.failNextWrite;
      this.failNextWrite = null;
      throw error;
    }
    for (const op of ops) {
      switch (op.op) {
        case 'put-snapshot':
          this.snapshots.set(op.record.id, structuredClone(op.record));
          break;
        case 'delete-snapshot':
          this.snapshots.delete(op.id);
          break;
        case 'put-outbox':
          this.outbox.set(op.record.id, structuredClone(op.record));
          break;
        case 'delete-outbox':
          this.outbox.delete(op.id);
          break;
      }
    }
    this.commits += 1;
  }

  async getSnapshot(id: string) {
    const record = this.snapshots.get(id);
    return record && structuredClone(record);
  }

  async getOutbox(id: string) {
    const record = this.outbox.get(id);
    return record && structuredClone(record);
  }

  async restoreAll() {
    const skip = () => {};
    return {
      snapshots: validRecords(
        SnapshotRecordSchema,
        structuredClone([...this.snapshots.values()]),
        skip,
      ),
      outbox: validRecords(OutboxRecordSchema, structuredClone([...this.outbox.values()]), skip),
    };
  }
}
