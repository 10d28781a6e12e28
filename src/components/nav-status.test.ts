// R24 (docs/single-writer.md): the navigation's words for each section's status, and which status
// it shows; the store takes only a summary that passes the protocol's schema.
import { beforeEach, describe, expect, it } from 'vitest';
import { SAVE_STATUS } from '../../worker/protocol.ts';
import { navStatusKey, navStatusStore, receiveStatuses } from '../stores/nav-status-store.ts';
import { NAV_STATUS_WORDS, navLabel, navStatusOf } from './nav-status.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';

describe('R24: nav status words', () => {
  it('has words for every status, each different', () => {
    const words = Object.values(SAVE_STATUS).map((s) => NAV_STATUS_WORDS[s]);
    expect(words.every((w) => w.length > 0)).toBe(true);
    expect(new Set(words).size).toBe(words.length);
  });

  it('names a link by its title and its status', () => {
    expect(navLabel('Market', SAVE_STATUS.pending)).toBe('Market — unsaved edits');
    expect(navLabel('Market', SAVE_STATUS.conflict)).toBe('Market — needs your decision');
    expect(navLabel('Market', null)).toBe('Market');
  });

  it("the current section follows this tab's status; the others the worker's", () => {
    expect(navStatusOf(true, SAVE_STATUS.pending, SAVE_STATUS.saved)).toBe('pending');
    expect(navStatusOf(true, null, SAVE_STATUS.saving)).toBe('saving');
    expect(navStatusOf(false, SAVE_STATUS.pending, SAVE_STATUS.conflict)).toBe('conflict');
    expect(navStatusOf(false, SAVE_STATUS.pending, undefined)).toBeNull();
  });
});

describe('R24: the nav status store', () => {
  beforeEach(() => navStatusStore.setState({ byId: {} }));

  it('takes a valid summary whole', () => {
    expect(
      receiveStatuses({
        type: 'statuses',
        sections: [{ planId: PLAN, sectionKey: 'section-two', status: 'pending' }],
      }),
    ).toEqual({ ok: true });
    expect(navStatusStore.getState().byId).toEqual({
      [navStatusKey(PLAN, 'section-two')]: 'pending',
    });
    receiveStatuses({ type: 'statuses', sections: [] });
    expect(navStatusStore.getState().byId).toEqual({});
  });

  it('refuses a summary that fails the schema and keeps the last one', () => {
    receiveStatuses({
      type: 'statuses',
      sections: [{ planId: PLAN, sectionKey: 'section-one', status: 'saved' }],
    });
    for (const bad of [
      {
        type: 'statuses',
        sections: [{ planId: 'nope', sectionKey: 'section-one', status: 'saved' }],
      },
      { type: 'statuses', sections: [{ planId: PLAN, sectionKey: 'section-9', status: 'saved' }] },
      { type: 'statuses', sections: [{ planId: PLAN, sectionKey: 'section-one', status: 'fine' }] },
      { type: 'statuses' },
    ])
      expect(receiveStatuses(bad).ok).toBe(false);
    expect(navStatusStore.getState().byId).toEqual({
      [navStatusKey(PLAN, 'section-one')]: 'saved',
    });
  });
});
