// F5 with a fake channel: a change on the plan refetches at once, a live subscription stretches
// the poll, and when the subscription drops (error, timeout, close) the worker is told to fall
// back to the poll; stopping the watch says so too and closes the channel.
import { describe, expect, it } from 'vitest';
import type { FreshnessSignal } from '../../worker/protocol.ts';
import { watchPlanWith, type PlanSubscribe } from './realtime-watch.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';

function fakeChannel() {
  const channel = {
    planIds: [] as string[],
    closed: 0,
    change: () => {},
    status: (_status: string) => {},
  };
  const subscribe: PlanSubscribe = (planId, onChange, onStatus) => {
    channel.planIds.push(planId);
    channel.change = onChange;
    channel.status = onStatus;
    return () => void (channel.closed += 1);
  };
  const signals: FreshnessSignal[] = [];
  return {
    channel,
    subscribe,
    signals,
    client: { freshen: (s: FreshnessSignal) => signals.push(s) },
  };
}

describe('F5: Realtime and the poll', () => {
  it('a live subscription stretches the poll; a dropped one falls back to it', () => {
    const { channel, subscribe, signals, client } = fakeChannel();
    const stop = watchPlanWith(subscribe, client, PLAN, true);
    expect(channel.planIds).toEqual([PLAN]);
    expect(signals).toEqual([]);

    channel.status('SUBSCRIBED');
    channel.change();
    for (const dropped of ['CHANNEL_ERROR', 'TIMED_OUT', 'CLOSED']) channel.status(dropped);
    channel.status('SUBSCRIBED');
    expect(signals).toEqual([
      { kind: 'realtime', planId: PLAN, live: true },
      { kind: 'remote-change', planId: PLAN },
      { kind: 'realtime', planId: PLAN, live: false },
      { kind: 'realtime', planId: PLAN, live: false },
      { kind: 'realtime', planId: PLAN, live: false },
      { kind: 'realtime', planId: PLAN, live: true },
    ]);

    signals.length = 0;
    stop();
    expect(signals).toEqual([{ kind: 'realtime', planId: PLAN, live: false }]);
    expect(channel.closed).toBe(1);
  });

  it('an untrusted subscription never stretches the poll, but its changes still refetch', () => {
    const { channel, subscribe, signals, client } = fakeChannel();
    const stop = watchPlanWith(subscribe, client, PLAN, false);
    channel.status('SUBSCRIBED');
    channel.change();
    stop();
    expect(signals).toEqual([
      { kind: 'remote-change', planId: PLAN },
      { kind: 'realtime', planId: PLAN, live: false },
    ]);
    expect(channel.closed).toBe(1);
  });
});
