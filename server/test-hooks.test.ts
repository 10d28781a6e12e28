// The test hooks a browser suite drives (TEST_HOOKS=1): the fault switch, request counts with
// 304s, and revoking every access token issued so far. Network faults need a real socket, so
// those run through a loopback HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServerApp } from './app.ts';
import {
  HOOKS_HEADERS,
  TEST_HOOKS,
  TEST_SIGNING,
  createPgliteTestDatabase,
  createTestUser,
  silentLog,
  type TestDatabase,
  type TestUser,
} from './test-support.ts';

let env: TestDatabase;
let app: ReturnType<typeof createServerApp>;
let user: TestUser;
let planId: string;

beforeAll(async () => {
  env = await createPgliteTestDatabase();
});
afterAll(async () => {
  await env?.close();
});
beforeEach(async () => {
  await env.truncate();
  app = createServerApp({
    db: env.db,
    signing: TEST_SIGNING,
    testHooks: TEST_HOOKS,
    log: silentLog,
  });
  user = await createTestUser(env.db);
  const created = await app.request('/functions/v1/business-plans', {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Hooks' }),
  });
  planId = ((await created.json()) as { data: { id: string } }).data.id;
});

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...HOOKS_HEADERS },
  body: JSON.stringify(body),
});
/** A request to the hooks, with their secret. */
const hook = (path: string, init: RequestInit = {}) =>
  app.request(path, { ...init, headers: { ...HOOKS_HEADERS, ...init.headers } });
const auth = (token = user.token) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
});
const save = (version: number, key = 'section-one', extra: Record<string, unknown> = {}) =>
  app.request(`/functions/v1/plan-sections/${key}`, {
    method: 'PUT',
    headers: auth(),
    body: JSON.stringify({ planId, data: { version }, version, ...extra }),
  });
const read = (key = 'section-one', headers: Record<string, string> = {}) =>
  app.request(`/functions/v1/plan-sections/${key}?planId=${planId}`, {
    headers: { ...auth(), ...headers },
  });
const stats = async () => (await hook('/__test/stats')).json();

describe('fault switch', () => {
  it('answers the next `count` PUTs with the status and the error body, and counts them', async () => {
    const set = await hook('/__test/faults', json({ status: 503, count: 2, method: 'PUT' }));
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ fault: { status: 503, count: 2, method: 'PUT' } });

    const first = await save(0);
    expect(first.status).toBe(503);
    expect(await first.json()).toEqual({
      success: false,
      error: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/Injected fault/),
    });
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    expect((await read()).status).toBe(404); // GETs pass; nothing was written
    expect(await (await hook('/__test/faults')).json()).toEqual({
      fault: { status: 503, count: 1, method: 'PUT' },
    });
    expect((await save(0)).status).toBe(503);
    expect(await (await hook('/__test/faults')).json()).toEqual({ fault: null });
    expect((await save(0)).status).toBe(200);
    expect(await stats()).toMatchObject({ puts: { [`${planId}/section-one`]: 3 }, putsTotal: 3 });
  });

  it('faults every request until cleared when count is absent; 429 carries Retry-After', async () => {
    await hook('/__test/faults', json({ status: 429 }));
    for (let i = 0; i < 3; i++) {
      const res = await read();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ success: false, error: 'RATE_LIMITED' });
    }
    expect((await save(0)).status).toBe(429);
    const plans = await app.request('/functions/v1/business-plans', { headers: auth() });
    expect(plans.status).toBe(429);
    // Other routes are never faulted.
    expect((await app.request('/health')).status).toBe(200);
    const cleared = await hook('/__test/faults', { method: 'DELETE' });
    expect(await cleared.json()).toEqual({ fault: null });
    expect((await save(0)).status).toBe(200);
    expect(await stats()).toMatchObject({
      putsTotal: 2,
      gets: { [`${planId}/section-one`]: 3 },
    });
  });

  it('filters by method', async () => {
    await hook('/__test/faults', json({ status: 500, method: 'GET' }));
    expect((await save(0)).status).toBe(200);
    expect((await read()).status).toBe(500);
    await hook('/__test/faults', { method: 'DELETE' });
  });

  it.each([
    [{}, /status/],
    [{ status: 200 }, /400 to 599/],
    [{ status: 503.5 }, /400 to 599/],
    [{ status: 503, count: 0 }, /count/],
    [{ status: 503, method: 'POST' }, /method/],
    [{ status: 503, extra: 1 }, /unknown field "extra"/],
    [{ network: 'yes' }, /network/],
  ])('refuses the fault %j with 400', async (body, message) => {
    const res = await hook('/__test/faults', json(body));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      success: false,
      error: 'BAD_REQUEST',
      message: expect.stringMatching(message),
    });
    expect(await (await hook('/__test/faults')).json()).toEqual({ fault: null });
  });

  describe('network faults (through a loopback server)', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer(
        getRequestListener((request, bindings) => app.fetch(request, bindings)),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('drops the connection with no answer, then serves normally', async () => {
      await fetch(`${base}/__test/faults`, json({ network: true, count: 2 }));
      const body = JSON.stringify({ planId, data: { n: 1 }, version: 0 });
      await expect(
        fetch(`${base}/functions/v1/plan-sections/section-one`, {
          method: 'PUT',
          headers: auth(),
          body,
        }),
      ).rejects.toThrow(/fetch failed/);
      await expect(
        fetch(`${base}/functions/v1/plan-sections?planId=${planId}`, { headers: auth() }),
      ).rejects.toThrow(/fetch failed/);
      const ok = await fetch(`${base}/functions/v1/plan-sections/section-one`, {
        method: 'PUT',
        headers: auth(),
        body,
      });
      expect(ok.status).toBe(200);
      expect(
        await (await fetch(`${base}/__test/stats`, { headers: HOOKS_HEADERS })).json(),
      ).toMatchObject({
        puts: { [`${planId}/section-one`]: 2 },
        gets: { [`${planId}/*`]: 1 },
      });
    });
  });
});

describe('who may call the hooks', () => {
  const calls = [
    ['GET', '/__test/stats'],
    ['POST', '/__test/stats/reset'],
    ['GET', '/__test/faults'],
    ['POST', '/__test/faults'],
    ['DELETE', '/__test/faults'],
    ['POST', '/__test/revoke-access-tokens'],
    ['OPTIONS', '/__test/revoke-access-tokens'],
  ] as const;
  const callers: [string, Record<string, string>][] = [
    ['no secret', {}],
    ['a wrong secret', { 'x-test-hooks-secret': 'x'.repeat(43) }],
    ['a page on another site', { ...HOOKS_HEADERS, origin: 'https://evil.example' }],
    ['a page on this origin', { ...HOOKS_HEADERS, origin: 'http://localhost:54321' }],
    ['a browser navigation', { ...HOOKS_HEADERS, 'sec-fetch-site': 'cross-site' }],
  ];

  it('refuses, with 403 and no CORS headers, every call without the secret or from a web page', async () => {
    await save(0);
    const accepted: string[] = [];
    for (const [who, headers] of callers)
      for (const [method, path] of calls) {
        const res = await app.request(path, {
          method,
          headers: { 'content-type': 'application/json', ...headers },
          ...(method === 'POST' && path === '/__test/faults'
            ? { body: JSON.stringify({ status: 503 }) }
            : {}),
        });
        const text = await res.text();
        if (res.status !== 403 || text.includes(planId)) accepted.push(`${who}: ${method} ${path}`);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
    expect(accepted).toEqual([]);
    // Nothing changed: no fault, the counts kept, the user's token still works.
    expect(await (await hook('/__test/faults')).json()).toEqual({ fault: null });
    expect(await stats()).toMatchObject({ putsTotal: 1 });
    expect((await read()).status).toBe(200);
  });
});

describe('stats', () => {
  it('counts an oversized save (413) without reading more of it than the limit', async () => {
    const big = JSON.stringify({ planId, data: { s: 'x'.repeat(3 * 1024 * 1024) }, version: 0 });
    const res = await app.request('/functions/v1/plan-sections/section-two', {
      method: 'PUT',
      headers: auth(),
      body: big,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ success: false, error: 'PAYLOAD_TOO_LARGE' });
    // The copy read for the count stops at the limit too, so the plan is not known.
    expect(await stats()).toMatchObject({ puts: { 'unknown/section-two': 1 }, putsTotal: 1 });
  });

  it('counts GETs per section (`*` for the list) and 304 answers', async () => {
    await save(0);
    const first = await read();
    const etag = first.headers.get('etag') ?? '';
    expect((await read('section-one', { 'if-none-match': etag })).status).toBe(304);
    expect((await read('section-one', { 'if-none-match': etag })).status).toBe(304);
    await app.request(`/functions/v1/plan-sections?planId=${planId}`, { headers: auth() });
    await app.request('/functions/v1/plan-sections', { headers: auth() }); // no planId: 400
    expect(await stats()).toEqual({
      puts: { [`${planId}/section-one`]: 1 },
      putsTotal: 1,
      gets: { [`${planId}/section-one`]: 3, [`${planId}/*`]: 1, 'unknown/*': 1 },
      notModified: 2,
    });
  });
});

describe('revoking access tokens', () => {
  it('makes every token issued before it answer 401; refresh tokens keep working', async () => {
    const signup = await app.request(
      '/auth/v1/signup',
      json({ email: 'rev@example.com', password: 'rev-password' }),
    );
    const session = (await signup.json()) as { access_token: string; refresh_token: string };
    const headers = { authorization: `Bearer ${session.access_token}` };
    expect((await app.request('/functions/v1/business-plans', { headers })).status).toBe(200);

    const revoked = await hook('/__test/revoke-access-tokens', { method: 'POST' });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ revokedBefore: expect.any(String) });

    for (const path of ['/functions/v1/business-plans', '/auth/v1/user']) {
      const res = await app.request(path, { headers });
      expect(res.status, path).toBe(401);
      expect(await res.json(), path).toMatchObject({
        success: false,
        error: 'UNAUTHORIZED',
        message: expect.stringMatching(/expired/),
      });
    }
    expect((await read()).status).toBe(401); // test users' tokens too

    const refreshed = await app.request(
      '/auth/v1/token?grant_type=refresh_token',
      json({ refresh_token: session.refresh_token }),
    );
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as { access_token: string };
    const again = { authorization: `Bearer ${fresh.access_token}` };
    expect((await app.request('/functions/v1/business-plans', { headers: again })).status).toBe(
      200,
    );
    expect((await app.request('/auth/v1/user', { headers: again })).status).toBe(200);
  });

  it('lets supabase-js refresh and go on', async () => {
    const supabase = createClient('http://local.test', 'local-anon-key', {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      realtime: { transport: class {} as never },
      global: { fetch: (input, init) => Promise.resolve(app.request(new Request(input, init))) },
    });
    await supabase.auth.signUp({ email: 'js-rev@example.com', password: 'js-password' });
    await hook('/__test/revoke-access-tokens', { method: 'POST' });
    const failed = await supabase.functions.invoke('business-plans', { method: 'GET' });
    expect((failed.error as { context?: Response } | null)?.context?.status).toBe(401);
    const refreshed = await supabase.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    const ok = await supabase.functions.invoke('business-plans', { method: 'GET' });
    expect(ok.error).toBeNull();
    expect((await supabase.auth.getUser()).data.user?.email).toBe('js-rev@example.com');
  });
});

describe("revoking one user's access tokens", () => {
  it("refuses only that user's tokens; the others and a refreshed one work", async () => {
    const signUp = async (email: string) => {
      const res = await app.request('/auth/v1/signup', json({ email, password: 'rev-password' }));
      return (await res.json()) as {
        access_token: string;
        refresh_token: string;
        user: { id: string };
      };
    };
    const target = await signUp('rev-one@example.com');
    const bystander = await signUp('rev-other@example.com');
    const plans = (token: string) =>
      app.request('/functions/v1/business-plans', {
        headers: { authorization: `Bearer ${token}` },
      });

    const revoked = await app.request(
      '/__test/revoke-access-tokens',
      json({ userId: target.user.id }),
    );
    expect(revoked.status).toBe(200);
    expect((await plans(target.access_token)).status).toBe(401);
    expect((await plans(bystander.access_token)).status).toBe(200);

    const refreshed = await app.request(
      '/auth/v1/token?grant_type=refresh_token',
      json({ refresh_token: target.refresh_token }),
    );
    const fresh = (await refreshed.json()) as { access_token: string };
    expect((await plans(fresh.access_token)).status).toBe(200);
  });

  it('answers 400 to a body that is not { userId }', async () => {
    for (const body of ['{"userId":"nope"}', '{"user":1}', 'not json', '[]']) {
      const res = await app.request('/__test/revoke-access-tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...HOOKS_HEADERS },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(await res.json(), body).toMatchObject({ success: false, error: 'BAD_REQUEST' });
    }
  });
});

describe('ACCESS_TOKEN_TTL_SECONDS', () => {
  it('sets the lifetime of the tokens local auth issues', async () => {
    const short = createServerApp({
      db: env.db,
      signing: TEST_SIGNING,
      accessTokenTtl: 120,
      log: silentLog,
    });
    const res = await short.request(
      '/auth/v1/signup',
      json({ email: 'ttl@example.com', password: 'ttl-password' }),
    );
    const session = (await res.json()) as { expires_in: number; expires_at: number };
    expect(session.expires_in).toBe(120);
    expect(Math.abs(session.expires_at - Date.now() / 1000 - 120)).toBeLessThan(5);
  });
});
