// The API suite (contract §2–§3), one suite on three hosts: the Hono apps in-process on PGlite
// (api.pglite.test.ts) and on Postgres (api.postgres.test.ts), and the functions under Deno over
// HTTP on a Supabase-shaped Postgres (api.deno.test.ts). It calls them with signed tokens.
import { SignJWT, importJWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthApp } from '../../../server/auth.ts';
import { migrate } from '../../../server/migrate.ts';
import { generateSigningKey, signAccessToken } from '../../../server/signing.ts';
import {
  TEST_JWKS,
  TEST_SECRET,
  TEST_SIGNING,
  signTestToken,
  createFunctionApps,
  createTestUser,
  type TestDatabase,
  type TestUser,
} from '../../../server/test-support.ts';
import { LIMITS, SECTION_KEYS } from './schema.ts';

export type App = {
  request: (input: string, init?: RequestInit) => Response | Promise<Response>;
};

/** The two functions served some other way (another runtime, over HTTP) on a test database. */
export interface FunctionHost {
  plans: App;
  sections: App;
  close(): Promise<void>;
}

export interface ApiSuiteOptions {
  /** Serves the functions on the database; default: the Hono apps in this process. */
  serve?: (env: TestDatabase) => Promise<FunctionHost>;
  /**
   * `supabase`: Supabase's own auth schema, migrated by the Supabase CLI. Local mode's auth
   * subset and migrate() are not there (Supabase Auth and `db push` are), so their tests aren't.
   */
  database?: 'local' | 'supabase';
}
type Call = {
  token?: string;
  body?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
};

/** An answer without the `date` header, which a real HTTP server sets from the clock (Deno does). */
function comparable(result: { status: number; json: unknown; headers: Headers }) {
  const headers = [...result.headers].filter(([name]) => name !== 'date');
  return { status: result.status, json: result.json, headers };
}

async function call(app: App, method: string, path: string, options: Call = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, options.headers);
  const body =
    options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const response = await app.request(path, init);
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { unparsable: text };
  }
  return { status: response.status, json, headers: response.headers };
}

const NIL_PLAN = '6f1c2a4e-8b7d-4c3e-9a1f-2d3b4c5e6f70';

/** Words of an instruction: every error message tells the caller what to do. */
const FIX_HINT =
  /\b(use|send|add|fix|check|remove|rename|split|flatten|save|sign|try|must|list)\b/i;

function expectError(result: { status: number; json: Record<string, unknown> }, status: number) {
  expect(result.status).toBe(status);
  expect(result.json.success).toBe(false);
  expect(typeof result.json.error).toBe('string');
  expect(typeof result.json.message).toBe('string');
  expect((result.json.message as string).length).toBeGreaterThan(10);
}

export function defineApiSuite(open: () => Promise<TestDatabase>, options: ApiSuiteOptions = {}) {
  const local = options.database !== 'supabase';
  let env: TestDatabase;
  let host: FunctionHost | undefined;
  let plans: App;
  let sections: App;
  let auth: App;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    env = await open();
    host = await options.serve?.(env);
    ({ plans, sections } = host ?? createFunctionApps(env.db));
    if (local) auth = createAuthApp({ db: env.db, signing: TEST_SIGNING, refreshReuseSeconds: 0 });
  });
  afterAll(async () => {
    await host?.close();
    await env?.close();
  });
  beforeEach(async () => {
    await env.truncate();
    alice = await createTestUser(env.db);
    bob = await createTestUser(env.db);
  });

  async function newPlan(user: TestUser, title = 'My plan'): Promise<string> {
    const result = await call(plans, 'POST', '/business-plans', {
      token: user.token,
      body: { title },
    });
    expect(result.status).toBe(201);
    return (result.json.data as { id: string }).id;
  }

  const put = (
    user: TestUser,
    planId: string,
    data: unknown,
    version?: number,
    key = 'section-one',
  ) =>
    call(sections, 'PUT', `/plan-sections/${key}`, {
      token: user.token,
      body: version === undefined ? { planId, data } : { planId, data, version },
    });
  const getOne = (user: TestUser, planId: string, key = 'section-one') =>
    call(sections, 'GET', `/plan-sections/${key}?planId=${planId}`, { token: user.token });

  describe('database', () => {
    // On Supabase, the second `supabase db push` is api.deno.test.ts's.
    it.runIf(local)('applies nothing when migrated again', async () => {
      expect(await migrate(env.db)).toEqual([]);
    });

    // Every table of every schema there is (ours: public, and locally auth and local_meta), so
    // a migration that adds a table without row-level security fails here.
    const allTables = () =>
      env.db.asService((tx) =>
        tx.query<{ schema: string; name: string; rls: boolean }>(
          `select n.nspname as schema, c.relname as name, c.relrowsecurity as rls from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
             and n.nspname not like 'pg\\_%'
           order by 1, 2`,
        ),
      );

    it('has row-level security on every table', async () => {
      // On Supabase only public is ours: auth, storage and the rest are Supabase's to secure.
      const tables = (await allTables()).filter((t) => local || t.schema === 'public');
      expect(tables.map((t) => `${t.schema}.${t.name}`)).toEqual(
        expect.arrayContaining([
          ...(local ? ['auth.refresh_tokens', 'auth.users', 'local_meta.schema_migrations'] : []),
          'public.business_plans',
          'public.plan_sections',
        ]),
      );
      const off = tables.filter((t) => !t.rls).map((t) => `${t.schema}.${t.name}`);
      expect(off, 'tables with row-level security off').toEqual([]);
    });

    it("shows user B none of user A's rows in any table, in direct SQL as authenticated", async () => {
      const planId = await newPlan(alice);
      expect((await put(alice, planId, { secret: 'alice-only' }, 0)).status).toBe(200);
      // Supabase Auth's refresh_tokens keeps the token itself; local auth a hash of it.
      await env.db.asService((tx) =>
        tx.query(
          local
            ? `insert into auth.refresh_tokens (token_hash, user_id, session_id)
               values ('alice-token-hash', $1, gen_random_uuid())`
            : `insert into auth.refresh_tokens (token, user_id, session_id)
               values ('alice-token-hash', $1, null)`,
          [alice.id],
        ),
      );
      const tables = await allTables();
      for (const { schema, name } of tables) {
        const rows = await env.db
          .asUser({ sub: bob.id, email: bob.email }, (tx) =>
            tx.query(`select * from "${schema}"."${name}"`),
          )
          .catch((error: unknown) => {
            // No grant at all is as good as no rows.
            expect(String(error), `${schema}.${name}`).toMatch(/permission denied/);
            return [];
          });
        const text = JSON.stringify(rows);
        for (const secret of [alice.id, alice.email, planId, 'alice-only', 'alice-token-hash'])
          expect(text, `${schema}.${name} shows ${secret}`).not.toContain(secret);
        if (schema === 'public') expect(rows, `${schema}.${name}`).toEqual([]);
      }
    });

    it("shows a user none of another user's rows, even in direct SQL", async () => {
      const planId = await newPlan(alice);
      expect((await put(alice, planId, { secret: 1 }, 0)).status).toBe(200);
      const asBob = await env.db.asUser({ sub: bob.id }, async (tx) => ({
        plans: await tx.query('select * from public.business_plans'),
        sections: await tx.query('select * from public.plan_sections'),
        updated: await tx.query(
          `update public.plan_sections set data = '{"stolen":true}' returning id`,
        ),
        role: (await tx.query<{ r: string }>('select current_user as r'))[0]?.r,
      }));
      expect(asBob).toEqual({ plans: [], sections: [], updated: [], role: 'authenticated' });
      const asAlice = await env.db.asUser({ sub: alice.id }, (tx) =>
        tx.query<{ data: unknown }>('select data from public.plan_sections'),
      );
      expect(asAlice).toEqual([{ data: { secret: 1 } }]);
      // Bob can't insert a section into Alice's plan, nor a plan in Alice's name.
      await expect(
        env.db.asUser({ sub: bob.id }, (tx) =>
          tx.query(
            `insert into public.plan_sections (business_plan_id, section_key) values ($1, 'section-two')`,
            [planId],
          ),
        ),
      ).rejects.toThrow(/row-level security/);
      await expect(
        env.db.asUser({ sub: bob.id }, (tx) =>
          tx.query(`insert into public.business_plans (user_id, title) values ($1, 'x')`, [
            alice.id,
          ]),
        ),
      ).rejects.toThrow(/row-level security/);
    });
  });

  describe('business-plans', () => {
    it('creates a plan (201) and lists only the caller’s plans', async () => {
      const created = await call(plans, 'POST', '/business-plans', {
        token: alice.token,
        body: { title: '  Café ☕ plan  ' },
      });
      expect(created.status).toBe(201);
      expect(created.json).toEqual({
        success: true,
        data: {
          id: expect.any(String),
          title: 'Café ☕ plan',
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
      });
      await newPlan(bob, 'Bob’s');
      const listed = await call(plans, 'GET', '/business-plans', { token: alice.token });
      expect(listed.status).toBe(200);
      expect(listed.json).toEqual({ success: true, data: [created.json.data] });
    });

    it.each([
      ['no body', {}],
      ['no title', { body: {} }],
      ['an unknown field', { body: { title: 'x', owner: 'me' } }],
      ['a non-string title', { body: { title: 42 } }],
      ['an empty title', { body: { title: '   ' } }],
      ['a NUL in the title', { body: { title: 'a\u0000b' } }],
      ['a title too long', { body: { title: 'x'.repeat(LIMITS.maxTitleLength + 1) } }],
      ['an array body', { body: [{ title: 'x' }] }],
      ['invalid JSON', { raw: '{"title": ', headers: { 'content-type': 'application/json' } }],
    ] as const)('answers 400 to %s', async (_name, options) => {
      const result = await call(plans, 'POST', '/business-plans', {
        token: alice.token,
        ...options,
      });
      expectError(result, 400);
      expect(result.json.error).toBe('BAD_REQUEST');
    });
  });

  describe('business-plans/ID: rename (PATCH) and delete (DELETE)', () => {
    const rename = (user: TestUser, planId: string, options: Call) =>
      call(plans, 'PATCH', `/business-plans/${planId}`, { token: user.token, ...options });
    const remove = (user: TestUser, planId: string, options: Call = {}) =>
      call(plans, 'DELETE', `/business-plans/${planId}`, { token: user.token, ...options });
    const listOf = async (user: TestUser) =>
      (await call(plans, 'GET', '/business-plans', { token: user.token })).json.data as Array<{
        id: string;
        title: string;
        updated_at: string;
      }>;

    it('renames a plan (trimmed) and the list shows the new title', async () => {
      const planId = await newPlan(alice, 'Old');
      const before = (await listOf(alice))[0]!;
      const renamed = await rename(alice, planId, { body: { title: '  New ✨ name  ' } });
      expect(renamed.status).toBe(200);
      expect(renamed.json).toEqual({
        success: true,
        data: {
          id: planId,
          title: 'New ✨ name',
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
      });
      const after = (await listOf(alice))[0]!;
      expect(after).toMatchObject({ id: planId, title: 'New ✨ name' });
      expect(Date.parse(after.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at));
      // Last writer wins: a second rename simply replaces the first.
      expect((await rename(alice, planId, { body: { title: 'Final' } })).status).toBe(200);
      expect((await listOf(alice))[0]!.title).toBe('Final');
    });

    it('lets concurrent renames all succeed, the last one written staying (last writer wins)', async () => {
      const planId = await newPlan(alice, 'Start');
      const titles = Array.from({ length: 10 }, (_, i) => `Tab ${i}`);
      const answers = await Promise.all(
        titles.map((title) => rename(alice, planId, { body: { title } })),
      );
      for (const answer of answers) expect(answer.status).toBe(200);
      const final = (await listOf(alice))[0]!;
      expect(titles).toContain(final.title);
      // The stored title is the one whose answer carries the latest updated_at.
      const latest = answers
        .map((a) => a.json.data as { title: string; updated_at: string })
        .sort((a, b) => a.updated_at.localeCompare(b.updated_at))
        .at(-1)!;
      expect(final.updated_at).toBe(latest.updated_at);
    });

    it('deletes a plan and every section of it', async () => {
      const planId = await newPlan(alice);
      const kept = await newPlan(alice, 'Kept');
      for (const key of SECTION_KEYS)
        expect((await put(alice, planId, { key }, 0, key)).status).toBe(200);
      expect((await put(alice, kept, { kept: true }, 0)).status).toBe(200);
      const deleted = await remove(alice, planId);
      expect(deleted.status).toBe(200);
      expect(deleted.json).toEqual({ success: true, data: { id: planId } });
      expect((await listOf(alice)).map((p) => p.id)).toEqual([kept]);
      const list = await call(sections, 'GET', `/plan-sections?planId=${planId}`, {
        token: alice.token,
      });
      expectError(list, 404);
      expect(list.json.error).toBe('NOT_FOUND');
      expectError(await getOne(alice, planId), 404);
      const rows = await env.db.asService((tx) =>
        tx.query<{ n: number }>(
          'select count(*)::int as n from public.plan_sections where business_plan_id = $1',
          [planId],
        ),
      );
      expect(rows[0]?.n).toBe(0);
      expect((await getOne(alice, kept)).json.data).toMatchObject({ data: { kept: true } });
      // Gone is gone: a second delete, a rename and a save are all 404.
      expectError(await remove(alice, planId), 404);
      expectError(await rename(alice, planId, { body: { title: 'x' } }), 404);
      expectError(await put(alice, planId, { late: true }, 1), 404);
    });

    it('lists plans by last edit, newest first: a save or a rename moves a plan up', async () => {
      const first = await newPlan(alice, 'First');
      const second = await newPlan(alice, 'Second');
      const third = await newPlan(alice, 'Third');
      expect((await listOf(alice)).map((p) => p.title)).toEqual(['Third', 'Second', 'First']);
      const saved = await put(alice, first, { a: 1 }, 0);
      const order = await listOf(alice);
      expect(order.map((p) => p.title)).toEqual(['First', 'Third', 'Second']);
      // The plan's last edit is its latest section save.
      expect(order[0]!.updated_at).toBe((saved.json.data as { updated_at: string }).updated_at);
      expect((await rename(alice, second, { body: { title: 'Second, renamed' } })).status).toBe(
        200,
      );
      expect((await listOf(alice)).map((p) => p.id)).toEqual([second, first, third]);
    });

    it("answers another user's plan exactly like a missing one, and changes nothing", async () => {
      const planId = await newPlan(alice, 'Alice’s');
      await put(alice, planId, { mine: true }, 0);
      for (const attempt of [
        (id: string) => rename(bob, id, { body: { title: 'Stolen' } }),
        (id: string) => remove(bob, id),
      ]) {
        const theirs = await attempt(planId);
        const missing = await attempt(NIL_PLAN);
        expectError(theirs, 404);
        expect(theirs.json.error).toBe('NOT_FOUND');
        expect(comparable(theirs)).toEqual(comparable(missing));
      }
      expect(await listOf(alice)).toEqual([
        expect.objectContaining({ id: planId, title: 'Alice’s' }),
      ]);
      expect((await getOne(alice, planId)).json.data).toMatchObject({ data: { mine: true } });
    });

    it.each([
      ['no body', {}],
      ['no title', { body: {} }],
      ['an unknown field', { body: { title: 'x', version: 3 } }],
      ['a non-string title', { body: { title: null } }],
      ['an empty title', { body: { title: ' \t ' } }],
      ['a lone surrogate in the title', { body: { title: 'a\ud800b' } }],
      ['a title too long', { body: { title: 'x'.repeat(LIMITS.maxTitleLength + 1) } }],
      ['an array body', { body: [{ title: 'x' }] }],
      ['invalid JSON', { raw: '{"title": ', headers: { 'content-type': 'application/json' } }],
    ] as const)(
      'answers a rename with %s with 400, and keeps the title',
      async (_name, options) => {
        const planId = await newPlan(alice, 'Kept title');
        const result = await rename(alice, planId, options);
        expectError(result, 400);
        expect(result.json.error).toBe('BAD_REQUEST');
        expect(result.json.message).toMatch(FIX_HINT);
        expect((await listOf(alice))[0]!.title).toBe('Kept title');
      },
    );

    it('accepts a title of exactly the limit', async () => {
      const planId = await newPlan(alice);
      const title = 'x'.repeat(LIMITS.maxTitleLength);
      expect((await rename(alice, planId, { body: { title } })).json.data).toMatchObject({ title });
    });

    it.each(['not-a-uuid', "1' or '1'='1", '6f1c2a4e-8b7d-4c3e-9a1f-2d3b4c5e6f7'])(
      'answers a plan id %j that is not a UUID with 400 on PATCH and DELETE',
      async (id) => {
        const path = `/business-plans/${encodeURIComponent(id)}`;
        for (const result of [
          await call(plans, 'PATCH', path, { token: alice.token, body: { title: 'x' } }),
          await call(plans, 'DELETE', path, { token: alice.token }),
        ]) {
          expectError(result, 400);
          expect(result.json.error).toBe('BAD_REQUEST');
        }
      },
    );

    it('answers a DELETE with a body with 400, and keeps the plan', async () => {
      const planId = await newPlan(alice);
      expectError(await remove(alice, planId, { body: {} }), 400);
      expect(await listOf(alice)).toHaveLength(1);
    });

    it('answers 415 and 413 on PATCH and DELETE', async () => {
      const planId = await newPlan(alice, 'Kept title');
      for (const method of ['PATCH', 'DELETE']) {
        const wrongType = await call(plans, method, `/business-plans/${planId}`, {
          token: alice.token,
          raw: JSON.stringify({ title: 'x' }),
          headers: { 'content-type': 'text/plain' },
        });
        expectError(wrongType, 415);
        const tooLarge = await call(plans, method, `/business-plans/${planId}`, {
          token: alice.token,
          raw: JSON.stringify({ title: 'x'.repeat(LIMITS.maxBodyBytes) }),
          headers: { 'content-type': 'application/json' },
        });
        expectError(tooLarge, 413);
      }
      expect(await listOf(alice)).toEqual([expect.objectContaining({ title: 'Kept title' })]);
    });

    it.each(['GET', 'PUT', 'POST', 'HEAD'])(
      'answers %s /business-plans/ID with 405',
      async (method) => {
        const planId = await newPlan(alice);
        const result = await call(plans, method, `/business-plans/${planId}`, {
          token: alice.token,
        });
        expect(result.status).toBe(405);
        if (method !== 'HEAD') expectError(result, 405);
        expect(result.headers.get('allow')).toBe('PATCH, DELETE');
      },
    );

    it('refuses PATCH and DELETE without a valid token (401)', async () => {
      const planId = await newPlan(alice);
      for (const method of ['PATCH', 'DELETE']) {
        const result = await call(plans, method, `/business-plans/${planId}`, {
          headers: { authorization: 'Bearer nope' },
          ...(method === 'PATCH' ? { body: { title: 'x' } } : {}),
        });
        expectError(result, 401);
      }
      expect(await listOf(alice)).toHaveLength(1);
    });

    it('lets browsers send PATCH and DELETE (CORS)', async () => {
      const planId = await newPlan(alice);
      const result = await plans.request(`/business-plans/${planId}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://example.org', 'access-control-request-method': 'DELETE' },
      });
      expect(result.status).toBeLessThan(300);
      const methods = result.headers.get('access-control-allow-methods') ?? '';
      expect(methods).toContain('PATCH');
      expect(methods).toContain('DELETE');
    });

    it('never answers 5xx when saves race a delete, and leaves no section behind', async () => {
      const planId = await newPlan(alice);
      const answers = await Promise.all([
        ...SECTION_KEYS.map((key) => put(alice, planId, { key }, 0, key)),
        remove(alice, planId),
        ...SECTION_KEYS.map((key) => put(alice, planId, { again: key }, 0, key)),
      ]);
      for (const answer of answers) expect([200, 404, 409]).toContain(answer.status);
      const rows = await env.db.asService((tx) =>
        tx.query<{ n: number }>(
          'select count(*)::int as n from public.plan_sections where business_plan_id = $1',
          [planId],
        ),
      );
      expect(rows[0]?.n).toBe(0);
    });
  });

  describe('save (PUT) compare-and-set', () => {
    it('creates with version 0 → 1, then each matching version → +1', async () => {
      const planId = await newPlan(alice);
      const first = await put(alice, planId, { a: 1 }, 0);
      expect(first.status).toBe(200);
      expect(first.json).toEqual({
        success: true,
        data: {
          id: expect.any(String),
          business_plan_id: planId,
          section_key: 'section-one',
          data: { a: 1 },
          version: 1,
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
      });
      const second = await put(alice, planId, { a: 2 }, 1);
      expect(second.status).toBe(200);
      expect(second.json.data).toMatchObject({ data: { a: 2 }, version: 2 });
      const read = await getOne(alice, planId);
      expect(read.json).toEqual(second.json);
    });

    it('treats an absent version as 0', async () => {
      const planId = await newPlan(alice);
      expect((await put(alice, planId, { a: 1 })).json.data).toMatchObject({ version: 1 });
      const again = await put(alice, planId, { a: 2 });
      expectError(again, 409);
      expect(again.json).toMatchObject({ serverVersion: 1, clientVersion: 0 });
    });

    it('answers a stale version with 409 and writes nothing', async () => {
      const planId = await newPlan(alice);
      await put(alice, planId, { v: 'one' }, 0);
      await put(alice, planId, { v: 'two' }, 1);
      const stale = await put(alice, planId, { v: 'mine' }, 1);
      expect(stale.status).toBe(409);
      expect(stale.json).toEqual({
        success: false,
        error: 'VERSION_CONFLICT',
        message: expect.stringMatching(/version 2/),
        serverVersion: 2,
        clientVersion: 1,
        serverData: { v: 'two' },
      });
      expect((await getOne(alice, planId)).json.data).toMatchObject({
        version: 2,
        data: { v: 'two' },
      });
    });

    it('never takes the version from inside data', async () => {
      const planId = await newPlan(alice);
      const data = { version: 41, nested: { version: 7 }, serverVersion: 99 };
      const saved = await put(alice, planId, data, 0);
      expect(saved.json.data).toMatchObject({ version: 1, data });
      const next = await put(alice, planId, { version: 1000 }, 1);
      expect(next.json.data).toMatchObject({ version: 2, data: { version: 1000 } });
      // Without a top-level version the save is a create (0), whatever data says.
      const stale = await put(alice, planId, { version: 2 });
      expectError(stale, 409);
      expect(stale.json).toMatchObject({ serverVersion: 2, clientVersion: 0 });
    });

    it('answers version 0 on an existing section with 409', async () => {
      const planId = await newPlan(alice);
      await put(alice, planId, { first: true }, 0);
      const again = await put(alice, planId, { second: true }, 0);
      expect(again.status).toBe(409);
      expect(again.json).toMatchObject({
        serverVersion: 1,
        clientVersion: 0,
        serverData: { first: true },
      });
    });

    it('answers a version above 0 on a never-saved section with 409 (server version 0, data {})', async () => {
      const planId = await newPlan(alice);
      const result = await put(alice, planId, { a: 1 }, 3);
      expect(result.status).toBe(409);
      expect(result.json).toMatchObject({ serverVersion: 0, clientVersion: 3, serverData: {} });
      expectError(await getOne(alice, planId), 404);
    });

    it('keeps the five sections apart', async () => {
      const planId = await newPlan(alice);
      for (const [i, key] of SECTION_KEYS.entries())
        expect((await put(alice, planId, { i }, 0, key)).status).toBe(200);
      const list = await call(sections, 'GET', `/plan-sections?planId=${planId}`, {
        token: alice.token,
      });
      expect(list.status).toBe(200);
      const data = list.json.data as Array<{ section_key: string; data: unknown; version: number }>;
      expect(data.map((s) => s.section_key)).toEqual([...SECTION_KEYS]);
      for (const [i, key] of SECTION_KEYS.entries())
        expect(data.find((s) => s.section_key === key)).toMatchObject({ data: { i }, version: 1 });
    });

    it('round-trips unicode and nested data exactly', async () => {
      const planId = await newPlan(alice);
      const data = {
        emoji: '😀👩‍👩‍👧‍👦🏳️‍🌈 🇳🇿',
        rtl: 'مرحبا بالعالم — שלום עולם',
        combining: 'e\u0301 n\u0303 Z\u0351\u0364\u036b',
        nfd: 'Cafe\u0301',
        nfc: 'Caf\u00e9',
        cjk: '事業計画',
        escapes: 'quote " backslash \\ newline \n tab \t',
        'key with 😀 and عربى': 'unicode key',
        nested: {
          list: [1, -2.5, 1e21, 0.1, true, false, null, '', [], {}],
          deep: { deeper: { deepest: ['x'] } },
        },
        empty: {},
        big: Number.MAX_SAFE_INTEGER,
        small: 5e-324,
      };
      const saved = await put(alice, planId, data, 0);
      expect(saved.status).toBe(200);
      expect((saved.json.data as { data: unknown }).data).toStrictEqual(data);
      const read = await getOne(alice, planId);
      expect((read.json.data as { data: unknown }).data).toStrictEqual(data);
      const readData = (read.json.data as { data: Record<string, string> }).data;
      expect(readData.nfd).toBe('Cafe\u0301');
      expect(readData.nfc).toBe('Caf\u00e9');
    });

    it('round-trips long strings, many keys and every JSON scalar exactly', async () => {
      const planId = await newPlan(alice);
      const data = {
        long: 'é😀'.repeat(100_000) + 'x'.repeat(300_000),
        keys: Object.fromEntries(
          Array.from({ length: LIMITS.maxKeys }, (_, i) => [`k${i}`, i % 2 ? -i / 7 : `v${i}`]),
        ),
        numbers: [
          0, -0.5, 1e-7, 123456789.123, -2147483648, 9007199254740991, 1.7976931348623157e308,
        ],
        flags: [true, false, null],
        emptyString: '',
        whitespace: ' \t\r\n\u2028\u2029\u00a0',
        zeroWidth: 'a\u200bb\u200dc\ufeffd',
        rtlMarks: '\u202eevil\u202c',
      };
      const saved = await put(alice, planId, data, 0);
      expect(saved.status).toBe(200);
      const read = await getOne(alice, planId);
      expect((read.json.data as { data: unknown }).data).toStrictEqual(data);
    });

    it('accepts data at the depth limit and a body of exactly 1,048,576 bytes', async () => {
      const planId = await newPlan(alice);
      let deep: Record<string, unknown> = {};
      for (let i = 1; i < LIMITS.maxDepth; i++) deep = { d: deep };
      expect((await put(alice, planId, deep, 0)).status).toBe(200);

      const template = JSON.stringify({ planId, data: { s: '' }, version: 1 });
      const raw = JSON.stringify({
        planId,
        data: { s: 'x'.repeat(LIMITS.maxBodyBytes - template.length) },
        version: 1,
      });
      expect(new TextEncoder().encode(raw).length).toBe(LIMITS.maxBodyBytes);
      const result = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        raw,
        headers: { 'content-type': 'application/json' },
      });
      expect(result.status).toBe(200);
    });

    it('lets exactly one of 30 concurrent saves with the same version win', async () => {
      const planId = await newPlan(alice);
      const create = await Promise.all(
        Array.from({ length: 30 }, (_, i) => put(alice, planId, { writer: i }, 0)),
      );
      const created = create.filter((r) => r.status === 200);
      expect(created).toHaveLength(1);
      expect(create.filter((r) => r.status === 409)).toHaveLength(29);
      const winner = (created[0]?.json.data as { data: unknown }).data;

      const update = await Promise.all(
        Array.from({ length: 30 }, (_, i) => put(alice, planId, { updater: i }, 1)),
      );
      const updated = update.filter((r) => r.status === 200);
      expect(updated).toHaveLength(1);
      expect(update.filter((r) => r.status === 409)).toHaveLength(29);
      for (const r of update.filter((x) => x.status === 409))
        expect(r.json.serverVersion === 2 || r.json.serverVersion === 1).toBe(true);
      const final = await getOne(alice, planId);
      expect(final.json.data).toMatchObject({
        version: 2,
        data: (updated[0]?.json.data as { data: unknown }).data,
      });
      expect(winner).toBeDefined();
    });
  });

  describe('idempotent saves (mutationId)', () => {
    const putWithId = (planId: string, data: unknown, version: number, mutationId: string) =>
      call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        body: { planId, data, version, mutationId },
      });

    it('answers a repeated mutation with 200 and the stored section, writing nothing', async () => {
      const planId = await newPlan(alice);
      const first = await putWithId(planId, { a: 1 }, 0, 'm-1');
      expect(first.status).toBe(200);
      expect(first.json.data).toMatchObject({ version: 1, data: { a: 1 } });
      // The answer was lost; the client sends the same save again: same answer, no bump.
      const again = await putWithId(planId, { a: 1 }, 0, 'm-1');
      expect(again.status).toBe(200);
      expect(again.json).toEqual(first.json);
      const next = await putWithId(planId, { a: 2 }, 1, 'm-2');
      expect(next.json.data).toMatchObject({ version: 2, data: { a: 2 } });
      // Whatever version and data the repeat carries, the stored section comes back unchanged.
      for (const version of [0, 1, 2, 7]) {
        const replay = await putWithId(planId, { other: true }, version, 'm-2');
        expect(replay.status, `version ${version}`).toBe(200);
        expect(replay.json).toEqual(next.json);
      }
      expect((await getOne(alice, planId)).json).toEqual(next.json);
      // An id that is not the last write's is an ordinary save: stale version → 409.
      const old = await putWithId(planId, { a: 1 }, 0, 'm-1');
      expectError(old, 409);
      expect(old.json).toMatchObject({ serverVersion: 2, clientVersion: 0 });
      // A save without an id clears the remembered one.
      expect((await put(alice, planId, { a: 3 }, 2)).json.data).toMatchObject({ version: 3 });
      expectError(await putWithId(planId, { a: 2 }, 1, 'm-2'), 409);
    });

    it('writes once for concurrent copies of one mutation', async () => {
      const planId = await newPlan(alice);
      await putWithId(planId, { n: 0 }, 0, 'create');
      const copies = await Promise.all(
        Array.from({ length: 10 }, () => putWithId(planId, { n: 1 }, 1, 'same')),
      );
      for (const copy of copies) {
        expect(copy.status).toBe(200);
        expect(copy.json.data).toMatchObject({ version: 2, data: { n: 1 } });
      }
      expect((await getOne(alice, planId)).json.data).toMatchObject({ version: 2 });
    });

    it('validates mutationId and keeps it out of the section', async () => {
      const planId = await newPlan(alice);
      for (const mutationId of ['', 'x'.repeat(101), 42, null, 'a\u0000b']) {
        const bad = await call(sections, 'PUT', '/plan-sections/section-one', {
          token: alice.token,
          body: { planId, data: {}, version: 0, mutationId },
        });
        expectError(bad, 400);
        expect(bad.json.message).toMatch(/mutationId/);
      }
      const ok = await putWithId(planId, {}, 0, 'x'.repeat(100));
      expect(ok.status).toBe(200);
      expect(Object.keys(ok.json.data as object).sort()).toEqual([
        'business_plan_id',
        'created_at',
        'data',
        'id',
        'section_key',
        'updated_at',
        'version',
      ]);
    });

    it("doesn't replay another user's mutation id", async () => {
      const planId = await newPlan(alice);
      await putWithId(planId, { mine: true }, 0, 'shared-id');
      const theirs = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: bob.token,
        body: { planId, data: {}, version: 0, mutationId: 'shared-id' },
      });
      expectError(theirs, 404);
    });

    it('keeps the four-argument save_plan_section of the first migration working', async () => {
      const planId = await newPlan(alice);
      const result = await env.db.asUser({ sub: alice.id }, (tx) =>
        tx.query<{ r: { status: string; section: { version: number } } }>(
          `select public.save_plan_section($1::uuid, 'section-two', '{"old":1}'::jsonb, 0) as r`,
          [planId],
        ),
      );
      expect(result[0]?.r).toMatchObject({ status: 'saved', section: { version: 1 } });
    });
  });

  describe('conditional GET (ETag / If-None-Match)', () => {
    const get = (path: string, ifNoneMatch?: string) =>
      call(sections, 'GET', path, {
        token: alice.token,
        headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {},
      });

    it('sends a weak ETag that changes with every save, and 304 for a match', async () => {
      const planId = await newPlan(alice);
      const one = `/plan-sections/section-one?planId=${planId}`;
      const list = `/plan-sections?planId=${planId}`;
      const never = await get(one);
      expectError(never, 404);
      expect(never.headers.get('etag')).toBeNull();
      const emptyList = await get(list);
      const emptyTag = emptyList.headers.get('etag') ?? '';
      expect(emptyTag).toMatch(/^W\/"[\w-]+"$/);

      await put(alice, planId, { a: 1 }, 0);
      const first = await get(one);
      const tag1 = first.headers.get('etag') ?? '';
      expect(tag1).toMatch(/^W\/"[\w-]+"$/);
      const listed = await get(list);
      const listTag1 = listed.headers.get('etag') ?? '';
      expect(listTag1).not.toBe(emptyTag);

      const same = await get(one, tag1);
      expect(same.status).toBe(304);
      expect(same.json).toEqual({});
      expect(same.headers.get('etag')).toBe(tag1);
      expect((await get(list, listTag1)).status).toBe(304);
      // Weak comparison, lists and '*' as in RFC 9110; strong form of the tag matches too.
      expect((await get(one, `"nope", ${tag1.slice(2)}`)).status).toBe(304);
      expect((await get(one, '*')).status).toBe(304);
      expect((await get(one, '"nope"')).status).toBe(200);

      await put(alice, planId, { a: 2 }, 1);
      const changed = await get(one, tag1);
      expect(changed.status).toBe(200);
      expect(changed.json.data).toMatchObject({ version: 2 });
      expect(changed.headers.get('etag')).not.toBe(tag1);
      expect((await get(list, listTag1)).status).toBe(200);
      // Another section's save changes the list's tag, not this section's.
      const tag2 = changed.headers.get('etag') ?? '';
      await put(alice, planId, { b: 1 }, 0, 'section-two');
      expect((await get(one, tag2)).status).toBe(304);
      expect((await get(list, (await get(list)).headers.get('etag') ?? '')).status).toBe(304);
    });

    it("answers 404, never 304, for another user's plan", async () => {
      const planId = await newPlan(alice);
      await put(alice, planId, { a: 1 }, 0);
      const tag = (await get(`/plan-sections?planId=${planId}`)).headers.get('etag') ?? '';
      const theirs = await call(sections, 'GET', `/plan-sections?planId=${planId}`, {
        token: bob.token,
        headers: { 'if-none-match': tag },
      });
      expectError(theirs, 404);
    });

    it('lets browsers send If-None-Match and read ETag (CORS)', async () => {
      const preflight = await sections.request('/plan-sections', {
        method: 'OPTIONS',
        headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' },
      });
      expect(preflight.headers.get('access-control-allow-headers')).toContain('if-none-match');
      const planId = await newPlan(alice);
      const res = await get(`/plan-sections?planId=${planId}`);
      expect(res.headers.get('access-control-expose-headers')).toContain('etag');
    });
  });

  describe('reads', () => {
    it('answers GET of a never-saved section with 404 NOT_FOUND', async () => {
      const planId = await newPlan(alice);
      const result = await getOne(alice, planId, 'section-three');
      expectError(result, 404);
      expect(result.json.error).toBe('NOT_FOUND');
    });

    it('lists no sections for a plan without saves', async () => {
      const planId = await newPlan(alice);
      const list = await call(sections, 'GET', `/plan-sections?planId=${planId}`, {
        token: alice.token,
      });
      expect(list.json).toEqual({ success: true, data: [] });
    });
  });

  describe("another user's plan looks exactly like a missing plan", () => {
    it('on list, read and save, and nothing is written', async () => {
      const planId = await newPlan(alice);
      await put(alice, planId, { mine: true }, 0);
      const attempts = [
        (id: string) => call(sections, 'GET', `/plan-sections?planId=${id}`, { token: bob.token }),
        (id: string) => getOne(bob, id),
        (id: string) => put(bob, id, { stolen: true }, 0),
        (id: string) => put(bob, id, { stolen: true }, 1),
      ];
      for (const attempt of attempts) {
        const theirs = await attempt(planId);
        const missing = await attempt(NIL_PLAN);
        expectError(theirs, 404);
        expect(theirs.json.error).toBe('NOT_FOUND');
        expect(comparable(theirs)).toEqual(comparable(missing));
      }
      expect((await getOne(alice, planId)).json.data).toMatchObject({
        version: 1,
        data: { mine: true },
      });
      expect((await call(plans, 'GET', '/business-plans', { token: bob.token })).json.data).toEqual(
        [],
      );
    });
  });

  describe('bad requests (400)', () => {
    const cases: Array<[string, (planId: string) => Call & { path?: string; method?: string }]> = [
      [
        'an unknown KEY (PUT)',
        (planId) => ({
          path: '/plan-sections/section-six',
          body: { planId, data: {}, version: 0 },
        }),
      ],
      [
        'an unknown KEY (GET)',
        (planId) => ({ method: 'GET', path: `/plan-sections/section-6?planId=${planId}` }),
      ],
      [
        'a non-UUID planId in the body',
        () => ({ body: { planId: 'plan-1', data: {}, version: 0 } }),
      ],
      [
        'a non-UUID planId in the query',
        () => ({ method: 'GET', path: '/plan-sections?planId=42' }),
      ],
      [
        'a non-UUID planId in a read',
        () => ({ method: 'GET', path: '/plan-sections/section-one?planId=x' }),
      ],
      ['a missing planId query', () => ({ method: 'GET', path: '/plan-sections' })],
      ['a missing planId in the body', () => ({ body: { data: {}, version: 0 } })],
      [
        'an unknown top-level field',
        (planId) => ({ body: { planId, data: {}, version: 0, extra: 1 } }),
      ],
      ['data that is an array', (planId) => ({ body: { planId, data: [1], version: 0 } })],
      ['data that is null', (planId) => ({ body: { planId, data: null, version: 0 } })],
      ['data that is a string', (planId) => ({ body: { planId, data: '{}', version: 0 } })],
      ['missing data', (planId) => ({ body: { planId, version: 0 } })],
      ['a negative version', (planId) => ({ body: { planId, data: {}, version: -1 } })],
      ['a fractional version', (planId) => ({ body: { planId, data: {}, version: 1.5 } })],
      ['a string version', (planId) => ({ body: { planId, data: {}, version: '1' } })],
      ['a null version', (planId) => ({ body: { planId, data: {}, version: null } })],
      [
        'a version over 2147483647',
        (planId) => ({ body: { planId, data: {}, version: 2147483648 } }),
      ],
      ['no body', () => ({})],
      [
        'a body that is not JSON',
        () => ({ raw: 'planId=1', headers: { 'content-type': 'application/json' } }),
      ],
      ['a JSON array body', (planId) => ({ body: [{ planId, data: {}, version: 0 }] })],
      ['a JSON string body', () => ({ body: 'hello' })],
      [
        'invalid UTF-8',
        () => ({
          raw: new Uint8Array([0x7b, 0xff, 0x7d]),
          headers: { 'content-type': 'application/json' },
        }),
      ],
      [
        'data nested too deep',
        (planId) => {
          let deep: Record<string, unknown> = {};
          for (let i = 0; i < LIMITS.maxDepth; i++) deep = { d: deep };
          return { body: { planId, data: deep, version: 0 } };
        },
      ],
      [
        'an object with too many keys',
        (planId) => ({
          body: {
            planId,
            data: Object.fromEntries(
              Array.from({ length: LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, i]),
            ),
            version: 0,
          },
        }),
      ],
      [
        'an unpaired surrogate in a string',
        (planId) => ({
          raw: `{"planId":"${planId}","data":{"a":"\\ud800"},"version":0}`,
          headers: { 'content-type': 'application/json' },
        }),
      ],
      [
        'an unpaired surrogate in a key',
        (planId) => ({
          raw: `{"planId":"${planId}","data":{"\\udc00":1},"version":0}`,
          headers: { 'content-type': 'application/json' },
        }),
      ],
      [
        'a NUL in a string',
        (planId) => ({ body: { planId, data: { a: 'x\u0000y' }, version: 0 } }),
      ],
      [
        'an SQL string as planId (body)',
        () => ({
          body: { planId: "'; drop table public.plan_sections; --", data: {}, version: 0 },
        }),
      ],
      [
        'an SQL string as planId (query)',
        () => ({
          method: 'GET',
          path: `/plan-sections?planId=${encodeURIComponent("' or '1'='1")}`,
        }),
      ],
      [
        'a UUID with SQL after it',
        (planId) => ({ method: 'GET', path: `/plan-sections?planId=${planId}'--` }),
      ],
      ...[
        'SECTION-ONE',
        'section-one%20',
        'section-one%00',
        '..%2fbusiness-plans',
        'section-one%2f..%2fsection-two',
        '__proto__',
        'constructor',
        'section-one;drop',
      ].map((key): [string, (planId: string) => Call & { path?: string }] => [
        `the section key ${JSON.stringify(key)}`,
        (planId) => ({ path: `/plan-sections/${key}`, body: { planId, data: {}, version: 0 } }),
      ]),
      ['a version as a numeric string', (planId) => ({ body: { planId, data: {}, version: '0' } })],
      [
        'a version in exponent form beyond int4',
        (planId) => ({
          raw: `{"planId":"${planId}","data":{},"version":1e10}`,
          headers: { 'content-type': 'application/json' },
        }),
      ],
      ['a boolean version', (planId) => ({ body: { planId, data: {}, version: true } })],
      ['a version that is an object', (planId) => ({ body: { planId, data: {}, version: {} } })],
      ['data that is a number', (planId) => ({ body: { planId, data: 5, version: 0 } })],
      [
        'a JSON body that is null',
        () => ({ raw: 'null', headers: { 'content-type': 'application/json' } }),
      ],
      [
        'duplicate keys hiding an unknown field',
        (planId) => ({
          raw: `{"planId":"${planId}","data":{},"version":0,"__proto__":{"x":1}}`,
          headers: { 'content-type': 'application/json' },
        }),
      ],
      [
        'JSON nested 100,000 levels deep',
        (planId) => ({
          raw: `{"planId":"${planId}","data":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}},"version":0}`,
          headers: { 'content-type': 'application/json' },
        }),
      ],
      [
        'a number too large for JSON',
        (planId) => ({
          raw: `{"planId":"${planId}","data":{"a":1e400},"version":0}`,
          headers: { 'content-type': 'application/json' },
        }),
      ],
    ];

    it.each(cases)('for %s', async (_name, make) => {
      const planId = await newPlan(alice);
      const { path = '/plan-sections/section-one', method = 'PUT', ...options } = make(planId);
      const result = await call(sections, method, path, { token: alice.token, ...options });
      expectError(result, 400);
      expect(result.json.error).toBe('BAD_REQUEST');
      // The message says what to do about it, not only what went wrong.
      expect(result.json.message).toMatch(FIX_HINT);
      expect(
        (await call(sections, 'GET', `/plan-sections?planId=${planId}`, { token: alice.token }))
          .json.data,
      ).toEqual([]);
    });

    it('says what is wrong', async () => {
      const planId = await newPlan(alice);
      const unknown = await put(alice, planId, {}, 0, 'section-nine');
      expect(unknown.json.message).toMatch(/section-nine.*section-one/);
      const extra = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        body: { planId, data: {}, version: 0, color: 'red' },
      });
      expect(extra.json.message).toMatch(/unknown field "color"/);
      const version = await put(alice, planId, {}, -1);
      expect(version.json.message).toMatch(/version must be a whole number/);
    });
  });

  describe('transport errors', () => {
    it('stops reading a body at the first chunk past 1,048,576 bytes (413)', async () => {
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      let pulled = 0;
      // In process, one chunk per pull from the server itself: it must stop right after the
      // limit. Over a socket the client keeps filling kernel buffers until the connection is cut
      // under it, so there the proof is a 413 long before a 1 GiB body could have been sent.
      const offered = (host ? 1024 : 64) * 1024 * 1024;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= offered) return controller.close();
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const result = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        raw: stream,
        headers: { 'content-type': 'application/json' },
      });
      expectError(result, 413);
      expect(result.json.message).toMatch(/1048576 bytes/);
      if (host) expect(pulled).toBeLessThan(offered / 4);
      else expect(pulled).toBeLessThanOrEqual(LIMITS.maxBodyBytes + 3 * chunk.byteLength);
    });

    it('answers a body over 1,048,576 bytes with 413, declared or streamed', async () => {
      const planId = await newPlan(alice);
      const big = JSON.stringify({
        planId,
        data: { s: 'x'.repeat(LIMITS.maxBodyBytes) },
        version: 0,
      });
      const declared = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        raw: big,
        headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
      });
      expectError(declared, 413);
      expect(declared.json.error).toBe('PAYLOAD_TOO_LARGE');

      const bytes = new TextEncoder().encode(big);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 64 * 1024)
            controller.enqueue(bytes.slice(i, i + 64 * 1024));
          controller.close();
        },
      });
      const streamed = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        raw: stream,
        headers: { 'content-type': 'application/json' },
      });
      expectError(streamed, 413);

      const planBody = await call(plans, 'POST', '/business-plans', {
        token: alice.token,
        raw: JSON.stringify({ title: 'x'.repeat(LIMITS.maxBodyBytes) }),
        headers: { 'content-type': 'application/json' },
      });
      expectError(planBody, 413);
    });

    it.each([
      ['text/plain', 'text/plain;charset=UTF-8'],
      ['form data', 'application/x-www-form-urlencoded'],
      ['JSON-like', 'application/jsonp'],
    ])('answers a body sent as %s with 415', async (_name, type) => {
      const planId = await newPlan(alice);
      const body = JSON.stringify({ planId, data: {}, version: 0 });
      const result = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        raw: body,
        headers: { 'content-type': type },
      });
      expectError(result, 415);
      expect(result.json.error).toBe('UNSUPPORTED_MEDIA_TYPE');
      const plan = await call(plans, 'POST', '/business-plans', {
        token: alice.token,
        raw: JSON.stringify({ title: 't' }),
        headers: { 'content-type': type },
      });
      expectError(plan, 415);
    });

    it('answers a body without Content-Type with 415 and accepts JSON with a charset', async () => {
      const planId = await newPlan(alice);
      const bytes = new TextEncoder().encode(JSON.stringify({ planId, data: {}, version: 0 }));
      expectError(
        await call(sections, 'PUT', '/plan-sections/section-one', {
          token: alice.token,
          raw: bytes,
        }),
        415,
      );
      const ok = await call(sections, 'PUT', '/plan-sections/section-one', {
        token: alice.token,
        raw: bytes,
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      });
      expect(ok.status).toBe(200);
    });

    it.each([
      ['POST', '/plan-sections/section-one'],
      ['DELETE', '/plan-sections/section-one'],
      ['PATCH', '/plan-sections/section-one'],
      ['HEAD', '/plan-sections/section-one'],
      ['PUT', '/plan-sections'],
      ['POST', '/plan-sections'],
      ['DELETE', '/plan-sections'],
    ])('answers %s %s with 405', async (method, path) => {
      const result = await call(sections, method, `${path}?planId=${NIL_PLAN}`, {
        token: alice.token,
      });
      expect(result.status).toBe(405);
      if (method !== 'HEAD') expectError(result, 405);
      expect(result.headers.get('allow')).toBeTruthy();
    });

    it.each(['PUT', 'DELETE', 'PATCH', 'HEAD'])(
      'answers %s /business-plans with 405',
      async (method) => {
        const result = await call(plans, method, '/business-plans', { token: alice.token });
        expect(result.status).toBe(405);
        if (method !== 'HEAD') expect(result.json.error).toBe('METHOD_NOT_ALLOWED');
      },
    );

    it('answers OPTIONS for CORS on every route', async () => {
      for (const [app, path] of [
        [sections, '/plan-sections/section-one'],
        [sections, '/plan-sections'],
        [plans, '/business-plans'],
      ] as const) {
        const result = await app.request(path, {
          method: 'OPTIONS',
          headers: { origin: 'https://example.org', 'access-control-request-method': 'PUT' },
        });
        expect(result.status).toBeLessThan(300);
        expect(result.headers.get('access-control-allow-origin')).toBe('*');
        const allowed = result.headers.get('access-control-allow-headers') ?? '';
        for (const header of ['authorization', 'apikey', 'content-type', 'x-client-info'])
          expect(allowed).toContain(header);
      }
      const get = await call(plans, 'GET', '/business-plans', { token: alice.token });
      expect(get.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  describe('401', () => {
    async function tokens() {
      const now = Math.floor(Date.now() / 1000);
      const valid = alice.token;
      const [header, payload, signature] = valid.split('.') as [string, string, string];
      const flipped = signature.startsWith('A')
        ? `B${signature.slice(1)}`
        : `A${signature.slice(1)}`;
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      return {
        missing: undefined,
        garbage: 'not-a-jwt',
        'flipped signature byte': `${header}.${payload}.${flipped}`,
        'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        'alg none with signature': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`,
        expired: await signTestToken({ sub: alice.id, now: now - 7200, expiresIn: 3600 }),
        'other secret': await signAccessToken(
          { alg: 'HS256', secret: 'another-secret-another-secret-another-secret' },
          { sub: alice.id },
        ),
        'unknown kid': await signAccessToken(
          { alg: 'ES256', key: generateSigningKey() },
          { sub: alice.id },
        ),
        'another key under the known kid': await signAccessToken(
          { alg: 'ES256', key: { ...generateSigningKey(), kid: TEST_SIGNING.key.kid } },
          { sub: alice.id },
        ),
        'HS256 signed with the public key': await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: TEST_SIGNING.key.kid })
          .sign(new TextEncoder().encode(JSON.stringify(TEST_JWKS.keys[0]))),
        'wrong aud': await new SignJWT({ ...claims, aud: 'anon' })
          .setProtectedHeader({ alg: 'ES256', kid: TEST_SIGNING.key.kid })
          .sign(await importJWK(TEST_SIGNING.key, 'ES256')),
        HS512: await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS512' })
          .sign(new TextEncoder().encode(TEST_SECRET)),
        'no sub': await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(now + 60)
          .sign(new TextEncoder().encode(TEST_SECRET)),
        'a non-UUID sub': await signTestToken({ sub: 'alice' }),
        'the anon role': await new SignJWT({ role: 'anon', aud: 'authenticated', sub: alice.id })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(now + 60)
          .sign(new TextEncoder().encode(TEST_SECRET)),
        'no exp': await new SignJWT({ role: 'authenticated', aud: 'authenticated', sub: alice.id })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(TEST_SECRET)),
      };
    }

    it('refuses missing, malformed, expired, wrongly signed and alg:none tokens on every route', async () => {
      const planId = await newPlan(alice);
      for (const [name, token] of Object.entries(await tokens())) {
        const headers: Record<string, string> =
          token === undefined ? {} : { authorization: `Bearer ${token}` };
        const results = [
          await call(plans, 'GET', '/business-plans', { headers }),
          await call(plans, 'POST', '/business-plans', { headers, body: { title: 'x' } }),
          await call(sections, 'GET', `/plan-sections?planId=${planId}`, { headers }),
          await call(sections, 'GET', `/plan-sections/section-one?planId=${planId}`, { headers }),
          await call(sections, 'PUT', '/plan-sections/section-one', {
            headers,
            body: { planId, data: {}, version: 0 },
          }),
        ];
        for (const result of results) {
          expect(result.status, name).toBe(401);
          expect(result.json, name).toEqual({
            success: false,
            error: 'UNAUTHORIZED',
            message: expect.any(String),
          });
        }
      }
      expect(
        (await call(plans, 'GET', '/business-plans', { headers: { authorization: 'Basic abc' } }))
          .status,
      ).toBe(401);
      expect((await getOne(alice, planId)).status).toBe(404);
    });
  });

  describe.runIf(local)('auth (local mode)', () => {
    it('refuses bad tokens on GET /auth/v1/user with 401 and JSON too', async () => {
      const now = Math.floor(Date.now() / 1000);
      const [header, payload, signature] = alice.token.split('.') as [string, string, string];
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      const bad = {
        garbage: 'garbage',
        flipped: `${header}.${payload}.${flipped}`,
        'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        expired: await signTestToken({ sub: alice.id, now: now - 7200 }),
        'another key': await signAccessToken(
          { alg: 'ES256', key: { ...generateSigningKey(), kid: TEST_SIGNING.key.kid } },
          { sub: alice.id },
        ),
      };
      for (const [name, token] of Object.entries(bad)) {
        const result = await call(auth, 'GET', '/auth/v1/user', { token });
        expectError(result, 401);
        expect(result.json.error, name).toBe('UNAUTHORIZED');
      }
    });

    it('never returns or logs a password, nor its hash', async () => {
      const password = 'pa55-Very-Secret-Word';
      const printed: string[] = [];
      const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          printed.push(args.map(String).join(' '));
        }),
      );
      try {
        const answers = [
          await call(auth, 'POST', '/auth/v1/signup', {
            body: { email: 'secret@example.com', password },
          }),
          await call(auth, 'POST', '/auth/v1/signup', {
            body: { email: 'secret@example.com', password },
          }),
          await call(auth, 'POST', '/auth/v1/token?grant_type=password', {
            body: { email: 'secret@example.com', password },
          }),
          await call(auth, 'POST', '/auth/v1/token?grant_type=password', {
            body: { email: 'secret@example.com', password: `${password}x` },
          }),
          await call(auth, 'POST', '/auth/v1/signup', {
            body: { email: 'short@example.com', password: 'short' },
          }),
        ];
        const text = JSON.stringify(answers.map((a) => a.json)) + printed.join('\n');
        expect(answers.map((a) => a.status)).toEqual([200, 422, 200, 400, 422]);
        expect(text).not.toContain(password);
        expect(text).not.toContain('scrypt');
        expect(text).not.toContain('encrypted_password');
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    });

    const signup = (email: string, password: string) =>
      call(auth, 'POST', '/auth/v1/signup', { body: { email, password } });
    const passwordGrant = (email: string, password: string) =>
      call(auth, 'POST', '/auth/v1/token?grant_type=password', { body: { email, password } });

    it('signs up with a session whose token works on the functions', async () => {
      const result = await signup('New.User@Example.com', 'correct horse');
      expect(result.status).toBe(200);
      const session = result.json as Record<string, unknown> & { user: Record<string, unknown> };
      expect(session).toMatchObject({
        access_token: expect.any(String),
        token_type: 'bearer',
        // Local auth's access tokens live 10 minutes (server/auth.ts ACCESS_TOKEN_TTL_DEFAULT).
        expires_in: 600,
        expires_at: expect.any(Number),
        refresh_token: expect.any(String),
      });
      expect(Math.abs((session.expires_at as number) - Date.now() / 1000 - 600)).toBeLessThan(30);
      expect(session.user).toMatchObject({
        id: expect.any(String),
        email: 'new.user@example.com',
        aud: 'authenticated',
        role: 'authenticated',
        app_metadata: { provider: 'email', providers: ['email'] },
        user_metadata: {},
        created_at: expect.any(String),
        email_confirmed_at: expect.any(String),
      });
      const created = await call(plans, 'POST', '/business-plans', {
        token: session.access_token as string,
        body: { title: 'Signed up' },
      });
      expect(created.status).toBe(201);
    });

    it('answers a taken email (any case) and a short password with 422', async () => {
      expect((await signup('taken@example.com', 'password-1')).status).toBe(200);
      const taken = await signup('TAKEN@example.com', 'password-2');
      expectError(taken, 422);
      expect(taken.json).toMatchObject({
        error_code: 'user_already_exists',
        msg: taken.json.message,
      });
      const short = await signup('short@example.com', '1234567');
      expectError(short, 422);
      expect(short.json.error_code).toBe('weak_password');
      expect((await signup('eight@example.com', '12345678')).status).toBe(200);
      expectError(await signup('not-an-email', 'password-1'), 400);
    });

    it('signs in with the password grant; a wrong password and an unknown email get the same 400', async () => {
      await signup('sam@example.com', 'sam-password');
      const ok = await passwordGrant('Sam@Example.com', 'sam-password');
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ token_type: 'bearer', user: { email: 'sam@example.com' } });
      const wrong = await passwordGrant('sam@example.com', 'not-the-password');
      const unknown = await passwordGrant('nobody@example.com', 'sam-password');
      expectError(wrong, 400);
      expect(wrong.json).toEqual(unknown.json);
      expect(wrong.json).toMatchObject({
        error_code: 'invalid_credentials',
        code: 'invalid_credentials',
      });
      expect(wrong.headers.get('x-supabase-api-version')).toBe('2024-01-01');
      expectError(
        await call(auth, 'POST', '/auth/v1/token?grant_type=password', { body: {} }),
        400,
      );
      expectError(await call(auth, 'POST', '/auth/v1/token?grant_type=magic', { body: {} }), 400);
      // A NUL can't reach Postgres: still the same answer, not a 500.
      expect((await passwordGrant('sam\u0000@example.com', 'sam-password')).json).toEqual(
        wrong.json,
      );
    });

    it('rotates refresh tokens', async () => {
      const first = (await signup('rot@example.com', 'rot-password')).json;
      const refresh = (token: unknown) =>
        call(auth, 'POST', '/auth/v1/token?grant_type=refresh_token', {
          body: { refresh_token: token },
        });
      const second = await refresh(first.refresh_token);
      expect(second.status).toBe(200);
      expect(second.json.refresh_token).not.toBe(first.refresh_token);
      expect(second.json).toMatchObject({
        token_type: 'bearer',
        user: { email: 'rot@example.com' },
      });
      const reused = await refresh(first.refresh_token);
      expectError(reused, 401);
      expect(reused.json).toMatchObject({
        error: 'UNAUTHORIZED',
        error_code: 'refresh_token_already_used',
      });
      expect((await refresh(second.json.refresh_token)).status).toBe(200);
      expectError(await refresh('made-up'), 400);
    });

    it('returns the user for a bearer token, and ends sessions on logout', async () => {
      const session = (await signup('me@example.com', 'me-password')).json;
      const token = session.access_token as string;
      const user = await call(auth, 'GET', '/auth/v1/user', { token });
      expect(user.status).toBe(200);
      expect(user.json).toMatchObject({
        id: (session.user as { id: string }).id,
        email: 'me@example.com',
      });
      expectError(await call(auth, 'GET', '/auth/v1/user'), 401);
      expectError(await call(auth, 'GET', '/auth/v1/user', { token: 'garbage' }), 401);
      expect((await call(auth, 'POST', '/auth/v1/logout?scope=local', { token })).status).toBe(204);
      const after = await call(auth, 'POST', '/auth/v1/token?grant_type=refresh_token', {
        body: { refresh_token: session.refresh_token },
      });
      expectError(after, 400);
      const ended = await call(auth, 'GET', '/auth/v1/user', { token });
      expectError(ended, 401);
      expect(ended.json.error_code).toBe('session_not_found');
    });

    it('applies the transport checks and methods to auth too', async () => {
      expectError(
        await call(auth, 'POST', '/auth/v1/signup', {
          raw: 'email=a',
          headers: { 'content-type': 'text/plain' },
        }),
        415,
      );
      expectError(await call(auth, 'GET', '/auth/v1/signup'), 405);
      expectError(await call(auth, 'GET', '/auth/v1/nothing'), 404);
      expectError(
        await call(auth, 'POST', '/auth/v1/signup', {
          raw: '{',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      );
    });
  });
}
