// The local server app: /health, the /functions/v1 prefix, auth through supabase-js, static files
// with the SPA fallback, request logs, and the test hooks (absent unless enabled).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServerApp } from './app.ts';
import { escapeLogField } from './log.ts';
import {
  HOOKS_HEADERS,
  TEST_HOOKS,
  TEST_SIGNING,
  createPgliteTestDatabase,
  createTestUser,
  type TestDatabase,
} from './test-support.ts';

let env: TestDatabase;
let staticDir: string;
const lines: string[] = [];
const log = (line: string) => void lines.push(line);

beforeAll(async () => {
  env = await createPgliteTestDatabase();
  staticDir = mkdtempSync(path.join(tmpdir(), 'mpfs-static-'));
  writeFileSync(
    path.join(staticDir, 'index.html'),
    '<!doctype html><title>myplanforsuccess</title>',
  );
  mkdirSync(path.join(staticDir, 'assets'));
  writeFileSync(path.join(staticDir, 'assets', 'app-123.js'), 'console.log(1)');
  writeFileSync(path.join(staticDir, 'favicon.svg'), '<svg/>');
});
afterAll(async () => {
  await env?.close();
  rmSync(staticDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await env.truncate();
  lines.length = 0;
});

const makeApp = (testHooks = false) =>
  createServerApp({
    db: env.db,
    signing: TEST_SIGNING,
    staticDir,
    testHooks: testHooks && TEST_HOOKS,
    log,
  });

describe('createServerApp', () => {
  it('answers /health with 200 {"ok":true}', async () => {
    const res = await makeApp().request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('serves the functions under /functions/v1 with the prefix stripped', async () => {
    const app = makeApp();
    const user = await createTestUser(env.db);
    const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
    const created = await app.request('/functions/v1/business-plans', {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Through the prefix' }),
    });
    expect(created.status).toBe(201);
    const planId = ((await created.json()) as { data: { id: string } }).data.id;
    const saved = await app.request('/functions/v1/plan-sections/section-two', {
      method: 'PUT',
      headers,
      body: JSON.stringify({ planId, data: { a: 1 }, version: 0 }),
    });
    expect(saved.status).toBe(200);
    const list = await app.request(`/functions/v1/plan-sections?planId=${planId}`, { headers });
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
    const unknown = await app.request('/functions/v1/nothing', { headers });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ success: false, error: 'NOT_FOUND' });
    expect(
      (await app.request('/functions/v1/plan-sections', { method: 'DELETE', headers })).status,
    ).toBe(405);
    expect((await app.request('/functions/v1/business-plans')).status).toBe(401);
  });

  it('logs one line per request with method, path, status, time and user, never the token', async () => {
    const app = makeApp();
    const user = await createTestUser(env.db);
    await app.request('/functions/v1/business-plans?secret=query', {
      headers: { authorization: `Bearer ${user.token}` },
    });
    await app.request('/health');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^GET /functions/v1/business-plans 200 \\d+ms user=${user.id}$`),
    );
    expect(lines[1]).toMatch(/^GET \/health 200 \d+ms user=-$/);
    expect(lines.join('\n')).not.toContain(user.token);
  });

  it('escapes control characters in every logged field, so a path cannot forge a line', async () => {
    const app = makeApp();
    const user = await createTestUser(env.db);
    const forged = `PUT /functions/v1/plan-sections/section-one 200 3ms user=${user.id}`;
    const paths = [
      `/x%0a${encodeURIComponent(forged)}`,
      `/x%0d${encodeURIComponent(forged)}`,
      `/x%0d%0a${encodeURIComponent(forged)}%0a`,
      '/functions/v1/%0aGET%20/health%20200%201ms%20user=-',
      '/tab%09bell%07esc%1bdel%7fnel%c2%85ls%e2%80%a8',
    ];
    for (const p of paths) await app.request(p, { method: 'PUT' });
    expect(lines).toHaveLength(paths.length);
    for (const line of lines) {
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(line).toMatch(/^PUT \/\S+ \d{3} \d+ms user=-$/);
    }
    // The path is logged as sent (percent-encoded), so the forged text stays inside its field.
    expect(lines[0]).toContain('/x%0aPUT%20%2Ffunctions');
    expect(lines[1]).toContain('/x%0dPUT%20%2Ffunctions');
    expect(escapeLogField('a\nb\rc\td e\\f\u0007\u0085\u2028')).toBe(
      'a\\nb\\rc\\td\\x20e\\\\f\\x07\\x85\\u2028',
    );
  });

  it('honors LOG_LEVEL: warn prints only 5xx request lines, error too; debug and info print all', async () => {
    const user = await createTestUser(env.db);
    const requests = async (logLevel: 'debug' | 'info' | 'warn' | 'error') => {
      const printed: string[] = [];
      const app = createServerApp({
        db: env.db,
        signing: TEST_SIGNING,
        testHooks: TEST_HOOKS,
        logLevel,
        log: (line) => void printed.push(line),
      });
      await app.request('/health'); // 200
      await app.request('/functions/v1/business-plans'); // 401
      await app.request('/functions/v1/nothing', {
        headers: { authorization: `Bearer ${user.token}` },
      }); // 404
      await app.request('/__test/faults', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...HOOKS_HEADERS },
        body: JSON.stringify({ status: 503, count: 1 }),
      }); // 200
      await app.request('/functions/v1/business-plans', {
        headers: { authorization: `Bearer ${user.token}` },
      }); // 503, injected
      return printed;
    };
    const all = await requests('info');
    expect(all).toHaveLength(5);
    expect(all[4]).toMatch(
      new RegExp(`^GET /functions/v1/business-plans 503 \\d+ms user=${user.id} fault=status$`),
    );
    expect(await requests('debug')).toHaveLength(5);
    for (const level of ['warn', 'error'] as const) {
      const printed = await requests(level);
      expect(printed, level).toHaveLength(1);
      expect(printed[0]).toMatch(/^GET \/functions\/v1\/business-plans 503 /);
    }
  });

  it('serves static files, with index.html for app routes and 404 for missing assets', async () => {
    const app = makeApp();
    const index = await app.request('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(await index.text()).toContain('myplanforsuccess');
    for (const route of ['/login', '/plans', '/plans/0b6a/section-one']) {
      const res = await app.request(route);
      expect(res.status, route).toBe(200);
      expect(await res.text()).toContain('<title>myplanforsuccess</title>');
    }
    const asset = await app.request('/assets/app-123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await app.request('/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
    expect((await app.request('/assets/missing.js')).status).toBe(404);
    expect((await app.request('/%2e%2e/%2e%2e/etc/passwd')).status).not.toBe(500);
    expect(await (await app.request('/..%2f..%2fetc%2fpasswd')).text()).not.toContain('root:');
    // API paths never fall back to the app.
    expect((await app.request('/auth/v1/nothing')).status).toBe(404);
    expect((await app.request('/functions/v1/nothing')).status).toBe(404);
  });

  it('serves the API alone without a static folder', async () => {
    const app = createServerApp({ db: env.db, signing: TEST_SIGNING, log });
    expect((await app.request('/')).status).toBe(404);
    expect((await app.request('/health')).status).toBe(200);
  });

  it('has no test hooks unless enabled', async () => {
    const app = makeApp(false);
    // With the secret or without, every /__test path is 404.
    expect((await app.request('/__test/stats')).status).toBe(404);
    expect((await app.request('/__test/stats', { headers: HOOKS_HEADERS })).status).toBe(404);
    expect((await app.request('/__test/stats/reset', { method: 'POST' })).status).toBe(404);
    expect((await app.request('/__test/other', { method: 'OPTIONS' })).status).toBe(404);
    for (const [method, path] of [
      ['GET', '/__test/faults'],
      ['POST', '/__test/faults'],
      ['DELETE', '/__test/faults'],
      ['POST', '/__test/revoke-access-tokens'],
    ] as const)
      expect((await app.request(path, { method })).status, `${method} ${path}`).toBe(404);
  });

  it('counts PUTs to plan-sections per plan and section when enabled', async () => {
    const app = makeApp(true);
    const user = await createTestUser(env.db);
    const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
    const created = await app.request('/functions/v1/business-plans', {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Counted' }),
    });
    const planId = ((await created.json()) as { data: { id: string } }).data.id;
    const put = (key: string, version: number) =>
      app.request(`/functions/v1/plan-sections/${key}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ planId, data: { version }, version }),
      });
    expect((await put('section-one', 0)).status).toBe(200);
    expect((await put('section-one', 1)).status).toBe(200);
    expect((await put('section-one', 1)).status).toBe(409);
    expect((await put('section-four', 0)).status).toBe(200);
    await app.request(`/functions/v1/plan-sections/section-one?planId=${planId}`, { headers });

    const stats = await (await app.request('/__test/stats', { headers: HOOKS_HEADERS })).json();
    expect(stats).toEqual({
      puts: { [`${planId}/section-one`]: 3, [`${planId}/section-four`]: 1 },
      putsTotal: 4,
      gets: { [`${planId}/section-one`]: 1 },
      notModified: 0,
    });
    const reset = await app.request('/__test/stats/reset', {
      method: 'POST',
      headers: HOOKS_HEADERS,
    });
    expect(reset.status).toBe(200);
    expect(await (await app.request('/__test/stats', { headers: HOOKS_HEADERS })).json()).toEqual({
      puts: {},
      putsTotal: 0,
      gets: {},
      notModified: 0,
    });
  });

  it('works with supabase-js 2 (sign up, errors, sign in, user, refresh, functions, sign out)', async () => {
    const app = makeApp();
    const supabase = createClient('http://local.test', 'local-anon-key', {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // Realtime isn't used; Node 20 has no WebSocket for it to default to.
      realtime: { transport: class {} as never },
      global: {
        fetch: (input, init) => Promise.resolve(app.request(new Request(input, init))),
      },
    });
    const signUp = await supabase.auth.signUp({ email: 'js@example.com', password: 'js-password' });
    expect(signUp.error).toBeNull();
    expect(signUp.data.session?.access_token).toEqual(expect.any(String));
    expect(signUp.data.user?.email).toBe('js@example.com');

    const taken = await supabase.auth.signUp({ email: 'js@example.com', password: 'js-password' });
    expect(taken.error?.status).toBe(422);
    expect(taken.error?.code).toBe('user_already_exists');
    expect(taken.error?.message).toMatch(/already been registered/);

    const wrong = await supabase.auth.signInWithPassword({
      email: 'js@example.com',
      password: 'nope-nope',
    });
    expect(wrong.error?.status).toBe(400);
    expect(wrong.error?.code).toBe('invalid_credentials');
    expect(wrong.error?.message).toMatch(/Invalid login credentials/);

    const signIn = await supabase.auth.signInWithPassword({
      email: 'js@example.com',
      password: 'js-password',
    });
    expect(signIn.error).toBeNull();
    const user = await supabase.auth.getUser();
    expect(user.data.user?.email).toBe('js@example.com');

    const refreshed = await supabase.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(refreshed.data.session?.refresh_token).not.toBe(signIn.data.session?.refresh_token);

    const created = await supabase.functions.invoke('business-plans', {
      body: { title: 'From supabase-js' },
    });
    expect(created.error).toBeNull();
    expect(created.data).toMatchObject({ success: true, data: { title: 'From supabase-js' } });
    const listed = await supabase.functions.invoke('business-plans', { method: 'GET' });
    expect((listed.data as { data: unknown[] }).data).toHaveLength(1);

    const out = await supabase.auth.signOut();
    expect(out.error).toBeNull();
    expect((await supabase.auth.getSession()).data.session).toBeNull();
  });
});
