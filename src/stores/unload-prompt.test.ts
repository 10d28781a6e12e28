// B1 (docs/durability.md): the page asks before leaving only while an edit exists nowhere but in
// this tab's memory; never once the worker has every edit (it is in IndexedDB, R3).
import { describe, expect, it } from 'vitest';
import type { SectionView } from '../../worker/protocol.ts';
import { createSectionStore } from './section-store.ts';
import { needsUnloadPrompt } from './unload-prompt.ts';

const view = (data: Record<string, unknown>, status: SectionView['status']): SectionView => ({
  planId: '00000000-0000-4000-8000-000000000000',
  sectionKey: 'section-one',
  data,
  serverVersion: 1,
  status,
  message: null,
  conflict: null,
});

describe('B1: the decision', () => {
  it('asks only when some section has a field in memory alone', () => {
    expect(needsUnloadPrompt([])).toBe(false);
    expect(needsUnloadPrompt([0, 0])).toBe(false);
    expect(needsUnloadPrompt([0, 1])).toBe(true);
  });
});

describe("B1: a section store's fields in memory alone", () => {
  it('counts a typed field until the worker acknowledges it, whatever the status says', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }, 'saved'), 0);
    expect(store.onlyInMemory()).toBe(0);
    store.typed({ a: 'x' });
    store.typed({ a: 'xy' });
    store.typed({ b: 'z' });
    expect(store.onlyInMemory()).toBe(2);
    store.acknowledged({ a: 'x' }, 1);
    expect(store.onlyInMemory()).toBe(2); // 'xy' is still on its way
    store.acknowledged({ a: 'xy' }, 2);
    store.acknowledged({ b: 'z' }, 3);
    expect(store.onlyInMemory()).toBe(0);
  });

  it('does not ask for acknowledged edits that are pending, offline or in conflict', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }, 'saved'), 0);
    store.typed({ a: 'x' });
    store.acknowledged({ a: 'x' }, 1);
    for (const status of ['pending', 'saved-locally', 'conflict', 'error'] as const) {
      store.view(view({ a: 'x' }, status), 1);
      expect(store.onlyInMemory()).toBe(0);
    }
  });

  it('counts an edit the worker refused until a later edit is taken or the worker sends the field', () => {
    const store = createSectionStore();
    store.view(view({ a: '', b: '' }, 'saved'), 0);
    store.typed({ a: 'refused' });
    store.acknowledged({ a: 'refused' }, Number.MAX_SAFE_INTEGER);
    expect(store.onlyInMemory()).toBe(1);
    store.typed({ a: 'again' });
    expect(store.onlyInMemory()).toBe(1);
    store.acknowledged({ a: 'again' }, 4);
    expect(store.onlyInMemory()).toBe(0);

    store.typed({ b: 'refused' });
    store.acknowledged({ b: 'refused' }, Number.MAX_SAFE_INTEGER);
    expect(store.onlyInMemory()).toBe(1);
    store.patch({ b: 'from the worker' }, 5);
    expect(store.onlyInMemory()).toBe(0);
  });
});
