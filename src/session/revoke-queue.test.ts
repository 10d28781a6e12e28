// The queued sign-outs: sent when the server answers, kept while it can't be reached, and an
// access token that expired meanwhile is renewed once only to end its session.
import { describe, expect, it } from 'vitest';
import { REVOKE_QUEUE_KEY, createRevokeQueue } from './revoke-queue.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
    items,
  };
}

type Answer = number | { status: number; body: unknown };
/** A fake server: answers in order; 0 is a network failure. Records each call. */
function fakeFetch(answers: Answer[]) {
  const calls: { path: string; auth: string | null; body: unknown }[] = [];
  const fn: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    calls.push({
      path: url.pathname + url.search,
      auth: headers.get('authorization'),
      body: init?.body ? (JSON.parse(String(init.body)) as unknown) : null,
    });
    const next = answers.shift() ?? 0;
    const { status, body } = typeof next === 'number' ? { status: next, body: null } : next;
    if (status === 0) return Promise.reject(new TypeError('Failed to fetch'));
    return Promise.resolve(
      new Response(status === 204 ? null : JSON.stringify(body ?? {}), { status }),
    );
  };
  return { fn, calls };
}

const setup = (answers: Answer[]) => {
  const storage = memoryStorage();
  const server = fakeFetch(answers);
  const queue = createRevokeQueue({
    storage,
    fetch: server.fn,
    url: 'http://api.test',
    apikey: 'key',
  });
  return { storage, server, queue };
};

describe('revoke queue', () => {
  it('sends a queued sign-out and forgets it once the server took it', async () => {
    const { queue, server, storage } = setup([204]);
    queue.add({ accessToken: 'a1', refreshToken: 'r1' });
    expect(await queue.flush()).toEqual([]);
    expect(server.calls).toEqual([
      { path: '/auth/v1/logout?scope=local', auth: 'Bearer a1', body: null },
    ]);
    expect(storage.items.has(REVOKE_QUEUE_KEY)).toBe(false);
  });

  it('keeps it while offline or failing, and sends it on a later flush', async () => {
    const { queue, server } = setup([0, 503, 204]);
    queue.add({ accessToken: 'a1', refreshToken: 'r1' });
    expect(await queue.flush()).toHaveLength(1);
    expect(await queue.flush()).toHaveLength(1);
    expect(await queue.flush()).toEqual([]);
    expect(server.calls).toHaveLength(3);
  });

  it('renews an access token that expired while waiting, only to revoke its session', async () => {
    const { queue, server } = setup([401, { status: 200, body: { access_token: 'a2' } }, 204]);
    queue.add({ accessToken: 'a1', refreshToken: 'r1' });
    expect(await queue.flush()).toEqual([]);
    expect(server.calls.map((c) => [c.path, c.auth, c.body])).toEqual([
      ['/auth/v1/logout?scope=local', 'Bearer a1', null],
      ['/auth/v1/token?grant_type=refresh_token', 'Bearer key', { refresh_token: 'r1' }],
      ['/auth/v1/logout?scope=local', 'Bearer a2', null],
    ]);
  });

  it('is done when the session is already gone on the server (refresh token refused)', async () => {
    const { queue } = setup([401, 400]);
    queue.add({ accessToken: 'a1', refreshToken: 'r1' });
    expect(await queue.flush()).toEqual([]);
  });

  it('keeps one entry per access token, and survives garbage in storage', async () => {
    const { queue, storage } = setup([]);
    storage.setItem(REVOKE_QUEUE_KEY, '{not json');
    expect(queue.pending()).toEqual([]);
    queue.add({ accessToken: 'a1' });
    queue.add({ accessToken: 'a1', refreshToken: 'r1' });
    expect(queue.pending()).toEqual([{ accessToken: 'a1', refreshToken: 'r1' }]);
  });

  it('keeps the refresh token it knew when the same session is queued again without one', () => {
    const { queue } = setup([]);
    // sign-out.ts queues both tokens, then supabase-js's own POST /logout queues the access token.
    queue.add({ accessToken: 'a1', refreshToken: 'r1' });
    queue.add({ accessToken: 'a1' });
    expect(queue.pending()).toEqual([{ accessToken: 'a1', refreshToken: 'r1' }]);
  });

  it('sends a global sign-out with scope=global, renewing an expired token for it, and keeps the wider scope', async () => {
    const { queue, server } = setup([401, { status: 200, body: { access_token: 'a2' } }, 204]);
    queue.add({ accessToken: 'a1', refreshToken: 'r1', scope: 'global' });
    // supabase-js's own POST /logout?scope=global comes through the intercept without a scope.
    queue.add({ accessToken: 'a1' });
    expect(queue.pending()).toEqual([{ accessToken: 'a1', refreshToken: 'r1', scope: 'global' }]);
    expect(await queue.flush()).toEqual([]);
    expect(server.calls.map((c) => c.path)).toEqual([
      '/auth/v1/logout?scope=global',
      '/auth/v1/token?grant_type=refresh_token',
      '/auth/v1/logout?scope=global',
    ]);
  });
});
