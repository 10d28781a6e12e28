import { describe, expect, it } from 'vitest';
import type { SectionView } from '../../worker/protocol.ts';
import { createSectionStore } from './section-store.ts';

const view = (
  data: Record<string, unknown>,
  status: SectionView['status'] = 'saved',
): SectionView => ({
  planId: '00000000-0000-4000-8000-000000000000',
  sectionKey: 'section-one',
  data,
  serverVersion: 1,
  status,
  message: null,
  conflict: null,
});

describe('section store', () => {
  it('shows typed values at once and takes patches for other fields', () => {
    const store = createSectionStore();
    store.view(view({ a: '', b: '' }), 0);
    store.typed({ a: 'x' });
    store.patch({ b: 'from another tab' }, 1);
    expect(store.getState().data).toEqual({ a: 'x', b: 'from another tab' });
  });

  it('keeps an unacknowledged field against an older patch', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'mine' });
    store.patch({ a: 'older' }, 4);
    store.acknowledged({ a: 'mine' }, 5);
    expect(store.getState().data.a).toBe('mine');
  });

  it('takes a held patch that the worker applied after our edit', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'mine' });
    store.patch({ a: 'newer' }, 6);
    store.acknowledged({ a: 'mine' }, 5);
    expect(store.getState().data.a).toBe('newer');
  });

  it('a view keeps fields still being typed but takes its status', () => {
    const store = createSectionStore();
    store.view(view({ a: '', b: '' }), 0);
    store.typed({ a: 'typing' });
    store.view(view({ a: 'stale', b: 'server' }, 'saving'), 3);
    expect(store.getState()).toMatchObject({
      data: { a: 'typing', b: 'server' },
      status: 'saving',
    });
  });

  it('waits for every edit of a field before releasing it', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'm' });
    store.typed({ a: 'me' });
    store.acknowledged({ a: 'm' }, 1);
    store.patch({ a: 'x' }, 0);
    expect(store.getState().data.a).toBe('me');
  });
});
