// When the worker refetches other devices' saves. Rules F1–F6: docs/merge-rules.md.
import { describe, expect, it } from 'vitest';
import {
  POLL_MS,
  POLL_REALTIME_MS,
  freshnessStep,
  initialFreshness,
  type FreshnessEffect,
  type FreshnessInput,
  type FreshnessState,
} from './freshness.ts';

const P1 = 'plan-1';
const P2 = 'plan-2';

function run(state: FreshnessState, ...inputs: FreshnessInput[]) {
  const effects: FreshnessEffect[] = [];
  for (const input of inputs) {
    const r = freshnessStep(state, input);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const visible = (tab: string, open = [P1], isVisible = true): FreshnessInput => ({
  type: 'signal',
  tab,
  signal: { kind: 'visibility', visible: isVisible },
  openPlans: open,
});
const fetches = (effects: FreshnessEffect[]) =>
  effects
    .filter((e) => e.type === 'fetch-plan')
    .map((e) => (e.type === 'fetch-plan' ? e.planId : ''));

describe('freshness', () => {
  it('F2, F3: a visible tab fetches every open plan at once and arms the slow poll', () => {
    const { state, effects } = run(initialFreshness(), visible('A', [P1, P2]));
    expect(fetches(effects)).toEqual([P1, P2]);
    expect(effects).toContainEqual({ type: 'arm-poll', ms: POLL_MS });
    expect(state.pollArmed).toBe(true);
  });

  it('F3: the poll stops when no tab is visible and comes back with a visible one', () => {
    let { state } = run(initialFreshness(), visible('A'), visible('B'));
    const hidden = run(state, visible('A', [P1], false));
    expect(hidden.effects).toEqual([]);
    const allHidden = run(hidden.state, visible('B', [P1], false));
    expect(allHidden.effects).toEqual([{ type: 'clear-poll' }]);
    state = allHidden.state;
    expect(run(state, visible('B')).effects).toContainEqual({ type: 'arm-poll', ms: POLL_MS });
  });

  it('F2: a tab that opens hidden, or is visible again, fetches nothing', () => {
    expect(fetches(run(initialFreshness(), visible('A', [P1], false)).effects)).toEqual([]);
    const { state } = run(initialFreshness(), visible('A'));
    expect(fetches(run(state, visible('A')).effects)).toEqual([]);
  });

  it('F3: no open plan, no poll', () => {
    const { effects } = run(initialFreshness(), visible('A', []));
    expect(effects).toEqual([]);
  });

  it('F4: the ETag of a changed answer is sent next time; a 304 or a failure keeps it', () => {
    let { state, effects } = run(initialFreshness(), visible('A'));
    let id = effects[0]?.type === 'fetch-plan' ? effects[0].fetchId : -1;
    ({ state } = run(state, {
      type: 'fetched',
      planId: P1,
      fetchId: id,
      result: { kind: 'changed', etag: 'W/"v1"' },
    }));
    ({ state, effects } = run(state, { type: 'poll', openPlans: [P1] }));
    expect(effects).toContainEqual({ type: 'fetch-plan', planId: P1, fetchId: 2, etag: 'W/"v1"' });
    expect(effects).toContainEqual({ type: 'arm-poll', ms: POLL_MS });
    id = 2;
    ({ state } = run(state, {
      type: 'fetched',
      planId: P1,
      fetchId: id,
      result: { kind: 'failed' },
    }));
    ({ effects } = run(state, {
      type: 'signal',
      tab: 'A',
      signal: { kind: 'focus' },
      openPlans: [P1],
    }));
    expect(effects).toEqual([{ type: 'fetch-plan', planId: P1, fetchId: 3, etag: 'W/"v1"' }]);
  });

  it('F6: one fetch per plan: focus during a fetch shares it, an announced change fetches again after', () => {
    let { state } = run(initialFreshness(), visible('A'));
    const focus = run(state, {
      type: 'signal',
      tab: 'B',
      signal: { kind: 'focus' },
      openPlans: [P1],
    });
    expect(fetches(focus.effects)).toEqual([]);
    const announced = run(focus.state, {
      type: 'signal',
      tab: 'A',
      signal: { kind: 'remote-change', planId: P1 },
      openPlans: [P1],
    });
    expect(fetches(announced.effects)).toEqual([]);
    state = announced.state;
    const answered = run(state, {
      type: 'fetched',
      planId: P1,
      fetchId: 1,
      result: { kind: 'not-modified' },
    });
    expect(answered.effects).toEqual([{ type: 'fetch-plan', planId: P1, fetchId: 2, etag: null }]);
  });

  it('F2: online refetches every open plan; a stale answer changes nothing', () => {
    let { state } = run(initialFreshness(), visible('A'));
    state = run(state, {
      type: 'fetched',
      planId: P1,
      fetchId: 1,
      result: { kind: 'not-modified' },
    }).state;
    const online = run(state, {
      type: 'signal',
      tab: 'A',
      signal: { kind: 'online' },
      openPlans: [P1],
    });
    expect(fetches(online.effects)).toEqual([P1]);
    const stale = run(online.state, {
      type: 'fetched',
      planId: P1,
      fetchId: 1,
      result: { kind: 'changed', etag: 'old' },
    });
    expect(stale.state).toEqual(online.state);
  });

  it('F5: with Realtime live the poll fetches the plan only every POLL_REALTIME_MS', () => {
    let { state } = run(initialFreshness(), visible('A'), {
      type: 'signal',
      tab: 'A',
      signal: { kind: 'realtime', planId: P1, live: true },
      openPlans: [P1],
    });
    state = run(state, {
      type: 'fetched',
      planId: P1,
      fetchId: 1,
      result: { kind: 'not-modified' },
    }).state;
    let count = 0;
    for (let t = POLL_MS; t <= POLL_REALTIME_MS * 2; t += POLL_MS) {
      const r = run(state, { type: 'poll', openPlans: [P1] });
      state = r.state;
      const f = r.effects.find((e) => e.type === 'fetch-plan');
      if (f?.type === 'fetch-plan') {
        count += 1;
        state = run(state, {
          type: 'fetched',
          planId: P1,
          fetchId: f.fetchId,
          result: { kind: 'not-modified' },
        }).state;
      }
    }
    expect(count).toBe(2);
    // The tab that held the subscription closes: back to the normal poll.
    state = run(state, { type: 'tab-gone', tab: 'A', openPlans: [P1] }).state;
    expect(state.plans[P1]?.realtimeTabs).toEqual([]);
  });

  it('F1: a plan no section is open in is forgotten with its ETag, and the poll stops', () => {
    const { state } = run(initialFreshness(), visible('A'));
    const closed = run(state, { type: 'plans', openPlans: [] });
    expect(closed.state.plans).toEqual({});
    expect(closed.effects).toEqual([{ type: 'clear-poll' }]);
    // Its late answer is ignored.
    const late = run(closed.state, {
      type: 'fetched',
      planId: P1,
      fetchId: 1,
      result: { kind: 'changed', etag: 'x' },
    });
    expect(late.state.plans).toEqual({});
  });
});
