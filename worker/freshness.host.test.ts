// Freshness through the host, with the in-memory API and feed under fake timers: what other
// devices' saves do to open tabs (F1–F6, M1–M8 in docs/merge-rules.md).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi } from './adapters/memory-api.ts';
import { MemoryFeed } from './adapters/memory-feed.ts';
import { MemoryLiveness } from './adapters/memory-liveness.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { MESSAGES, SAVE_DEBOUNCE_MS } from './engine/index.ts';
import { POLL_MS } from './engine/freshness.ts';
import { SyncHost } from './host.ts';
import {
  PROTOCOL_VERSION,
  type SectionView,
  type TabEvent,
  type WorkerSessionApi,
} from './protocol.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;

function world() {
  const api = new MemoryApi();
  const feed = new MemoryFeed(api);
  const liveness = new MemoryLiveness();
  const store = new MemoryStore();
  const host = new SyncHost({
    api,
    feed,
    store,
    liveness,
    seed: 7,
    workerId: 'worker-1',
    log: () => {},
  });
  return { api, feed, host, liveness, store };
}

interface Tab {
  session: WorkerSessionApi;
  events: TabEvent[];
  lastView(): SectionView | undefined;
}

async function openTab(host: SyncHost, id: string, visible = true): Promise<Tab> {
  const session = host.createSession();
  const events: TabEvent[] = [];
  await session.hello(
    {
      protocolVersion: PROTOCOL_VERSION,
      tabId: id,
      functionsUrl: 'http://x/functions/v1',
      accessToken: 'token-1',
    },
    (event) => void events.push(structuredClone(event)),
  );
  expect((await session.open(PLAN, KEY)).ok).toBe(true);
  expect((await session.freshen({ kind: 'visibility', visible })).ok).toBe(true);
  const lastView = () => {
    const views = events.flatMap((e) => (e.type === 'view' ? [e.view] : []));
    return views.at(-1);
  };
  return { session, events, lastView };
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('host: freshness', () => {
  it('F2, F4: focus refetches; a newer copy with nothing pending reaches every tab, no conflict', async () => {
    const { api, feed, host } = world();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'v1' });
    const a = await openTab(host, 'A');
    const b = await openTab(host, 'B');
    await host.idle();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'v2 from the laptop' });
    await b.session.freshen({ kind: 'focus' });
    await host.idle();
    for (const tab of [a, b])
      expect(tab.lastView()).toMatchObject({
        data: { motivation: 'v2 from the laptop' },
        serverVersion: 2,
        status: 'saved',
        conflict: null,
      });
    expect(feed.requests.at(-1)?.answer).toBe('changed');
  });

  it('F3, F4: the slow poll asks with the ETag and gets 304 while nothing changed', async () => {
    const { api, feed, host } = world();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'v1' });
    await openTab(host, 'A');
    await host.idle();
    const before = feed.requests.length;
    await advance(POLL_MS);
    await advance(POLL_MS);
    const polls = feed.requests.slice(before);
    expect(polls).toHaveLength(2);
    expect(polls.every((r) => r.answer === 'not-modified' && r.etag !== null)).toBe(true);
    // Every GET is the feed's: one per plan and tick, whatever the number of tabs.
    expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(1); // the open
  });

  it('F3: no visible tab, no poll', async () => {
    const { feed, host } = world();
    await openTab(host, 'A', false);
    await host.idle();
    const before = feed.requests.length;
    await advance(POLL_MS * 3);
    expect(feed.requests.length).toBe(before);
  });

  it('M2, F4: a pending edit and another device’s save of another field merge without a 409', async () => {
    const { api, host } = world();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'base', vision: 'base' });
    const a = await openTab(host, 'A');
    await a.session.edit(PLAN, KEY, { motivation: 'mine' });
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'base', vision: 'theirs' });
    await a.session.freshen({ kind: 'focus' });
    await host.idle();
    await advance(SAVE_DEBOUNCE_MS);
    await host.idle();
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'mine', vision: 'theirs' });
    expect(api.puts).toHaveLength(1);
    expect(api.puts[0]?.version).toBe(2);
    expect(a.lastView()).toMatchObject({ status: 'saved', serverVersion: 3 });
  });

  it('M4, M8: the same field changed on both sides: conflict in every tab, the dialog for the author', async () => {
    const { api, host } = world();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'base' });
    const a = await openTab(host, 'A');
    const b = await openTab(host, 'B');
    await b.session.edit(PLAN, KEY, { motivation: 'mine' });
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'theirs' });
    await a.session.freshen({ kind: 'online' });
    await host.idle();
    for (const tab of [a, b])
      expect(tab.lastView()?.conflict).toMatchObject({
        authorTab: 'B',
        fields: [{ field: 'motivation', mine: 'mine', theirs: 'theirs' }],
      });
    // Resolved in one tab: gone everywhere, the server has the author's value.
    await a.session.resolveConflict(PLAN, KEY, 'overwrite');
    await host.idle();
    for (const tab of [a, b])
      expect(tab.lastView()).toMatchObject({ conflict: null, status: 'saved' });
    expect(api.get(PLAN, KEY)?.data).toEqual({ motivation: 'mine' });
  });

  it('F4: an answer meeting a section still loading keeps no ETag, so the next fetch is full', async () => {
    const { api, feed, host } = world();
    const a = await openTab(host, 'A');
    await host.idle();
    api.writeAsOtherDevice(PLAN, 'section-two', { businessName: 'Bakery' });
    api.pause(); // section-two's load waits; its answer may be older than the feed's
    const opening = a.session.open(PLAN, 'section-two');
    await a.session.freshen({ kind: 'focus' });
    await vi.waitFor(() => expect(feed.requests.at(-1)?.answer).toBe('changed'));
    api.resume();
    await opening;
    await host.idle();
    await a.session.freshen({ kind: 'focus' });
    await host.idle();
    expect(feed.requests.at(-1)).toMatchObject({ etag: null, answer: 'changed' });
    await a.session.freshen({ kind: 'focus' });
    await host.idle();
    expect(feed.requests.at(-1)?.answer).toBe('not-modified');
  });

  it('F1: closing the last tab of a plan stops the poll', async () => {
    const { feed, host } = world();
    const a = await openTab(host, 'A');
    await host.idle();
    await a.session.close(PLAN, KEY);
    await host.idle();
    const before = feed.requests.length;
    await advance(POLL_MS * 2);
    expect(feed.requests.length).toBe(before);
  });

  it('freshen validates its argument', async () => {
    const { host } = world();
    const a = await openTab(host, 'A');
    const bad = await a.session.freshen({ kind: 'nope' } as never);
    expect(bad).toMatchObject({ ok: false, code: 'BAD_MESSAGE' });
  });

  it('U7: a plan deleted elsewhere ends its open sections in every tab, in words, and drops what waited', async () => {
    const { api, host, store } = world();
    api.writeAsOtherDevice(PLAN, KEY, { motivation: 'saved' });
    const a = await openTab(host, 'A');
    const b = await openTab(host, 'B');
    await host.idle();
    // Typed here, not yet saved (the debounce is still running) when the plan is deleted.
    expect((await a.session.edit(PLAN, KEY, { motivation: 'unsaved' })).ok).toBe(true);
    api.deletePlan(PLAN);
    await b.session.freshen({ kind: 'focus' });
    await host.idle();
    for (const tab of [a, b])
      expect(tab.lastView()).toMatchObject({
        status: 'error',
        message: MESSAGES.planGone,
        data: {},
      });
    // Typing there again is refused as not available (the app shows its page); so is opening.
    expect(await b.session.edit(PLAN, KEY, { motivation: 'more' })).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE',
      message: MESSAGES.planGone,
    });
    expect(await a.session.open(PLAN, KEY)).toMatchObject({ ok: false, code: 'NOT_AVAILABLE' });
    await advance(SAVE_DEBOUNCE_MS * 2);
    await host.idle();
    expect(api.puts).toEqual([]);
    const { snapshots, outbox } = await store.restoreAll();
    expect([...snapshots, ...outbox]).toEqual([]);
  });
});
