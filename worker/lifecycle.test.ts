// R22: when a worker without tabs ends (docs/single-writer.md). The decision alone, as data.
import { describe, expect, it } from 'vitest';
import {
  CONNECT_GRACE_MS,
  decideLife,
  HANDOVER_GRACE_MS,
  initialLife,
  LINGER_MS,
  type LifeFacts,
} from './lifecycle.ts';

const alone: LifeFacts = {
  now: 10_000,
  tabs: 0,
  lastConnectAt: null,
  retired: false,
  busy: false,
  sending: 0,
};

describe('R22: a worker without tabs ends', () => {
  it('serves while any tab is connected, whatever else holds', () => {
    for (const facts of [
      { ...alone, tabs: 1 },
      { ...alone, tabs: 2, retired: true },
      { ...alone, tabs: 1, busy: true, sending: 3 },
    ])
      expect(decideLife({ aloneSince: 1 }, facts)).toEqual({
        life: { aloneSince: null },
        action: 'serve',
      });
  });

  it('lingers LINGER_MS after the last tab left, then ends', () => {
    const first = decideLife(initialLife, alone);
    expect(first).toEqual({ life: { aloneSince: alone.now }, action: 'check-later' });
    const now = alone.now + LINGER_MS - 1;
    expect(decideLife(first.life, { ...alone, now }).action).toBe('check-later');
    expect(decideLife(first.life, { ...alone, now: alone.now + LINGER_MS }).action).toBe('close');
  });

  it('a connection whose hello may still come keeps it for CONNECT_GRACE_MS', () => {
    const life = { aloneSince: alone.now };
    const connected = alone.now + LINGER_MS - 5;
    const facts = { ...alone, lastConnectAt: connected, now: alone.now + LINGER_MS };
    expect(decideLife(life, facts).action).toBe('check-later');
    const now = connected + CONNECT_GRACE_MS;
    expect(decideLife(life, { ...facts, now: now - 1 }).action).toBe('check-later');
    expect(decideLife(life, { ...facts, now }).action).toBe('close');
  });

  it('finishes store writes and requests first, retired or not', () => {
    const life = { aloneSince: 0 };
    expect(decideLife(life, { ...alone, busy: true }).action).toBe('when-idle');
    expect(decideLife(life, { ...alone, busy: true, retired: true }).action).toBe('when-idle');
  });

  it('R15: keeps sending edits it can still send, however long', () => {
    const life = { aloneSince: 0 };
    expect(decideLife(life, { ...alone, sending: 1, now: 3_600_000 }).action).toBe('check-later');
  });

  it('R20: a retired worker ends at once (no linger): the newer one adopts its outbox', () => {
    expect(decideLife(initialLife, { ...alone, retired: true, sending: 2 })).toEqual({
      life: { aloneSince: alone.now },
      action: 'close',
    });
  });

  it('keeps the first moment it was alone across checks', () => {
    const first = decideLife(initialLife, alone);
    const second = decideLife(first.life, { ...alone, now: alone.now + 100, sending: 1 });
    expect(second.life.aloneSince).toBe(alone.now);
  });

  it('R23: a handed-over engine ends once idle, tabs or not (they reconnect to the SharedWorker), after a grace for the answers', () => {
    for (const tabs of [0, 2]) {
      const facts = { ...alone, tabs, retired: true, handedOver: true };
      const first = decideLife(initialLife, facts);
      // A hello waiting for the decision still gets HANDED_OVER.
      expect(first.action).toBe('check-later');
      const later = { ...facts, now: facts.now + HANDOVER_GRACE_MS };
      expect(decideLife(first.life, later).action).toBe('close');
      expect(decideLife(first.life, { ...later, busy: true }).action).toBe('when-idle');
      // A connection that just arrived gets its answer too.
      expect(decideLife(first.life, { ...later, lastConnectAt: later.now - 1 }).action).toBe(
        'check-later',
      );
    }
  });
});
