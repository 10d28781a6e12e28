import { describe, expect, it } from 'vitest';
import type { BusinessPlan } from '../../supabase/functions/_shared/schema.ts';
import {
  PlanNewsSchema,
  applyNews,
  byLastEdit,
  checkTitle,
  lastSavedWords,
  mergeFetched,
} from './plan-list.ts';

const plan = (id: string, updated: string, title = id): BusinessPlan => ({
  id,
  title,
  created_at: '2026-11-01T08:00:00.000Z',
  updated_at: updated,
});

describe('plan list', () => {
  it('sorts by last edit, newest first', () => {
    const list = byLastEdit([
      plan('a', '2026-11-02T08:00:00.000Z'),
      plan('b', '2026-11-03T08:00:00.000Z'),
      plan('c', '2026-11-01T09:00:00.000Z'),
    ]);
    expect(list.map((p) => p.id)).toEqual(['b', 'a', 'c']);
  });

  it('applies a rename in place and moves the plan up; never rolls a title back', () => {
    const list = [plan('b', '2026-11-03T08:00:00.000Z'), plan('a', '2026-11-02T08:00:00.000Z')];
    const renamed = applyNews(list, {
      type: 'saved',
      userId: 'u',
      plan: plan('a', '2026-11-04T08:00:00.000Z', 'New name'),
    });
    expect(renamed.map((p) => [p.id, p.title])).toEqual([
      ['a', 'New name'],
      ['b', 'b'],
    ]);
    const stale = applyNews(renamed, {
      type: 'saved',
      userId: 'u',
      plan: plan('a', '2026-11-03T09:00:00.000Z', 'Older name'),
    });
    expect(stale.find((p) => p.id === 'a')?.title).toBe('New name');
  });

  it('adds a new plan and removes a deleted one', () => {
    const list = [plan('a', '2026-11-02T08:00:00.000Z')];
    const added = applyNews(list, {
      type: 'saved',
      userId: 'u',
      plan: plan('n', '2026-11-05T08:00:00.000Z'),
    });
    expect(added.map((p) => p.id)).toEqual(['n', 'a']);
    expect(
      applyNews(added, { type: 'deleted', userId: 'u', planId: 'a' }).map((p) => p.id),
    ).toEqual(['n']);
  });

  it('keeps newer news over an older fetched list, and deleted plans out of it', () => {
    const fetched = [
      plan('a', '2026-11-02T08:00:00.000Z', 'Old'),
      plan('d', '2026-11-01T08:00:00.000Z'),
    ];
    const shown = [plan('a', '2026-11-04T08:00:00.000Z', 'Renamed')];
    expect(mergeFetched(fetched, shown, new Set(['d']))).toEqual([shown[0]]);
    const fresher = [plan('a', '2026-11-05T08:00:00.000Z', 'Renamed on the laptop')];
    expect(mergeFetched(fresher, shown, new Set())).toEqual(fresher);
  });

  it('validates news from other tabs', () => {
    expect(PlanNewsSchema.safeParse({ type: 'deleted', userId: 'u', planId: 'p' }).success).toBe(
      true,
    );
    for (const bad of [
      null,
      'deleted',
      { type: 'deleted', planId: 'p' },
      { type: 'renamed', userId: 'u', plan: {} },
      { type: 'saved', userId: 'u', plan: { id: 'p', title: 3 } },
    ])
      expect(PlanNewsSchema.safeParse(bad).success).toBe(false);
  });

  it('says when a plan was last saved, or created when never edited', () => {
    const now = new Date(2026, 10, 5, 12, 0);
    const today = new Date(2026, 10, 5, 10, 42).toISOString();
    const before = new Date(2026, 10, 3, 9, 5).toISOString();
    expect(lastSavedWords({ ...plan('a', today), created_at: before }, now)).toBe('Saved 10:42');
    expect(lastSavedWords({ ...plan('a', before), created_at: before }, now)).toBe(
      'Created 2026-11-03 09:05',
    );
  });

  it('checks a new title as the API will', () => {
    expect(checkTitle('  Bakery  ', 200)).toEqual({ ok: true, title: 'Bakery' });
    expect(checkTitle('   ', 200)).toMatchObject({ ok: false });
    expect(checkTitle('x'.repeat(201), 200)).toMatchObject({ ok: false });
  });
});
