// The fallback's BroadcastChannel bus with a real host behind it (Node has BroadcastChannel):
// a follower's calls and events make the round trip; anything malformed on the channel is ignored.
import { afterEach, describe, expect, it } from 'vitest';
import { SyncHost } from '../host.ts';
import { PROTOCOL_VERSION, type TabEvent } from '../protocol.ts';
import { busSession, leaderListening, serveBus } from './broadcast-bus.ts';
import { MemoryApi } from './memory-api.ts';
import { MemoryStore } from './memory-store.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const channels: BroadcastChannel[] = [];
const channel = (name: string) => {
  const c = new BroadcastChannel(name);
  channels.push(c);
  return c;
};

afterEach(() => {
  for (const c of channels.splice(0)) c.close();
});

/** Collects events and lets a test wait for one, instead of sleeping and hoping it came. */
function eventLog<T>() {
  const seen: T[] = [];
  const waiters: { match: (e: T) => boolean; resolve: (e: T) => void }[] = [];
  return {
    seen,
    push(event: T) {
      seen.push(event);
      for (const w of waiters.splice(0)) {
        if (w.match(event)) w.resolve(event);
        else waiters.push(w);
      }
    },
    next: (match: (e: T) => boolean) =>
      new Promise<T>((resolve) => {
        const found = seen.find(match);
        if (found) resolve(found);
        else waiters.push({ match, resolve });
      }),
  };
}

const hello = (tabId: string) => ({
  protocolVersion: PROTOCOL_VERSION,
  tabId,
  functionsUrl: 'http://localhost:54321/functions/v1',
  accessToken: 'token-1',
});

describe('broadcast bus', () => {
  it("carries a follower's calls to the leader's host and its events back", async () => {
    const host = new SyncHost({ api: new MemoryApi(), store: new MemoryStore(), log: () => {} });
    serveBus(channel('bus-1'), () => host.createSession());
    const aEvents = eventLog<TabEvent>();
    const a = busSession(channel('bus-1'), 'A', (e) => aEvents.push(e));
    const b = busSession(channel('bus-1'), 'B', () => {});
    expect(await a.session.hello(hello('A'), () => {})).toMatchObject({ ok: true });
    expect(await b.session.hello(hello('B'), () => {})).toMatchObject({ ok: true });
    expect(await a.session.open(PLAN, 'section-one')).toMatchObject({ ok: true });
    expect(await b.session.open(PLAN, 'section-one')).toMatchObject({ ok: true });
    expect(await b.session.edit(PLAN, 'section-one', { motivation: 'over the bus' })).toMatchObject(
      { ok: true },
    );
    const patch = await aEvents.next((e) => e.type === 'patch');
    expect(patch).toMatchObject({ type: 'patch', fields: { motivation: 'over the bus' } });
    // R24: the sections' statuses travel too.
    const statuses = await aEvents.next(
      (e) => e.type === 'statuses' && e.sections.some((x) => x.status === 'pending'),
    );
    expect(statuses).toEqual({
      type: 'statuses',
      sections: [{ planId: PLAN, sectionKey: 'section-one', status: 'pending' }],
    });
    // Bad arguments are answered as data by the session, as over Comlink.
    expect(await a.session.open('not-a-uuid', 'section-one')).toMatchObject({
      ok: false,
      code: 'BAD_MESSAGE',
    });
    // U4: a follower signing out is told so over the bus, as are the other tabs of that user.
    expect(await b.session.setAuth(null)).toEqual({ ok: true, value: null });
    expect(await aEvents.next((e) => e.type === 'signed-out')).toEqual({
      type: 'signed-out',
      userId: 'unknown',
    });
    // U3: and what it opens then is answered NOT_AVAILABLE across the bus too.
    expect(await b.session.open(PLAN, 'section-one')).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE',
    });
    await host.idle();
    host.stop();
  });

  it('ignores what does not fit the schemas, on both sides', async () => {
    const calls: string[] = [];
    serveBus(
      channel('bus-2'),
      () =>
        new Proxy(
          {},
          { get: (_t, method: string) => async () => (calls.push(method), { ok: true, value: 1 }) },
        ) as never,
    );
    const events = eventLog<TabEvent>();
    busSession(channel('bus-2'), 'A', (e) => events.push(e));
    const rogue = channel('bus-2');
    const replies = eventLog<unknown>();
    rogue.onmessage = (message: MessageEvent) => replies.push(message.data);
    rogue.postMessage({ type: 'call', tab: 'A', id: 1, method: 'constructor', args: [] });
    rogue.postMessage({ type: 'call', tab: 'A', id: 'x', method: 'flush', args: [] });
    rogue.postMessage({ type: 'event', tab: 'A', event: { type: 'patch', fields: 'nope' } });
    rogue.postMessage('hello');
    // Then one valid call and one valid event: a channel delivers one sender's messages in order,
    // so once these two arrived, everything malformed before them was seen and dropped.
    rogue.postMessage({ type: 'call', tab: 'Z', id: 9, method: 'flush', args: [] });
    rogue.postMessage({ type: 'event', tab: 'A', event: { type: 'reload', reason: 'last' } });
    await replies.next((m) => (m as { type?: string; id?: number }).id === 9);
    await events.next((e) => e.type === 'reload');
    expect(calls).toEqual(['flush']);
    expect(events.seen).toEqual([{ type: 'reload', reason: 'last' }]);
  });

  it("a follower waits for a leader's bus: told when it starts, or answered when already up", async () => {
    const host = new SyncHost({ api: new MemoryApi(), store: new MemoryStore(), log: () => {} });
    // Asked before any leader listens (a new leader's worker still starting): the worker's
    // announcement when its bus is up ends the wait.
    const waiting = leaderListening(channel('bus-4'), 60_000, 60_000);
    serveBus(channel('bus-4'), () => host.createSession());
    expect(await waiting).toBe(true);
    // A leader already listening answers the first ask.
    expect(await leaderListening(channel('bus-4'), 60_000, 60_000)).toBe(true);
    // And a hello sent then is answered.
    const a = busSession(channel('bus-4'), 'A', () => {});
    expect(await a.session.hello(hello('A'), () => {})).toMatchObject({ ok: true });
  });

  it('no leader: the wait ends false; a closed channel ends it too', async () => {
    expect(await leaderListening(channel('bus-5'), 50, 10)).toBe(false);
    const closing = channel('bus-6');
    const waiting = leaderListening(closing, 60_000, 10);
    closing.close();
    expect(await waiting).toBe(false);
  });
});
