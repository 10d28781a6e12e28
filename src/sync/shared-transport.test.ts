import { describe, expect, it } from 'vitest';
import { WORKER_NAME_KEY, nextWorkerName, storedWorkerName } from './shared-transport.ts';

const store = (value: string | null) => ({
  getItem: (key: string) => (key === WORKER_NAME_KEY ? value : null),
});

describe('the SharedWorker name (a fresh worker after a death)', () => {
  it('counts generations up from the first name', () => {
    expect(nextWorkerName('mpfs-sync')).toBe('mpfs-sync~1');
    expect(nextWorkerName('mpfs-sync~1')).toBe('mpfs-sync~2');
    expect(nextWorkerName('mpfs-sync~41')).toBe('mpfs-sync~42');
  });

  it('reads a stored name back, and falls back to the first name on anything else', () => {
    expect(storedWorkerName(store('mpfs-sync~7'))).toBe('mpfs-sync~7');
    for (const bad of [null, '', 'other', 'mpfs-sync~0', 'mpfs-sync~x', 'mpfs-sync~1~2'])
      expect(storedWorkerName(store(bad))).toBe('mpfs-sync');
    expect(storedWorkerName(null)).toBe('mpfs-sync');
    const throwing = {
      getItem: () => {
        throw new Error('blocked');
      },
    };
    expect(storedWorkerName(throwing)).toBe('mpfs-sync');
  });

  it('every stored name round-trips through the next one', () => {
    let name = 'mpfs-sync';
    for (let i = 0; i < 5; i++) {
      name = nextWorkerName(name);
      expect(storedWorkerName(store(name))).toBe(name);
    }
  });
});
