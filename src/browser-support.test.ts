import { describe, expect, it } from 'vitest';
import { missingFeatures, type BrowserFeatures } from './browser-support.ts';

const all: BrowserFeatures = {
  sharedWorker: true,
  worker: true,
  broadcastChannel: true,
  webLocks: true,
  indexedDB: true,
};

describe('which browsers can run the editor', () => {
  it('runs with a SharedWorker, or with the fallback (Worker + BroadcastChannel)', () => {
    expect(missingFeatures(all)).toEqual([]);
    expect(missingFeatures({ ...all, sharedWorker: false })).toEqual([]);
    expect(missingFeatures({ ...all, worker: false, broadcastChannel: false })).toEqual([]);
  });

  it('names every missing feature', () => {
    expect(missingFeatures({ ...all, sharedWorker: false, broadcastChannel: false })).toEqual([
      'SharedWorker or BroadcastChannel',
    ]);
    expect(missingFeatures({ ...all, sharedWorker: false, worker: false })).toEqual([
      'SharedWorker or Worker',
    ]);
    expect(
      missingFeatures({
        sharedWorker: false,
        worker: false,
        broadcastChannel: false,
        webLocks: false,
        indexedDB: false,
      }),
    ).toEqual(['SharedWorker or Worker', 'Web Locks (navigator.locks)', 'IndexedDB']);
  });
});
