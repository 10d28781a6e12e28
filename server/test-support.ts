// Helpers for the test suites (not used at run time): throwaway databases on both adapters,
// users and signed tokens.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createTokenVerifier } from '../supabase/functions/_shared/auth.ts';
import { createBusinessPlansApp } from '../supabase/functions/business-plans/app.ts';
import { createPlanSectionsApp } from '../supabase/functions/plan-sections/app.ts';
import type { Db, Tx } from '../supabase/functions/_shared/db.ts';
import { createPostgresDb } from '../supabase/functions/_shared/db-postgres.ts';
import { createPgliteDb } from './db-pglite.ts';
import { migrate } from './migrate.ts';
import {
  generateSigningKey,
  publicJwks,
  signAccessToken,
  verifierKeys,
  type AccessTokenInput,
  type LocalSigning,
} from './signing.ts';

export const TEST_SECRET = 'test-only-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/**
 * The suites' keys, as local mode's default: tokens signed ES256 with a key made per test process,
 * HS256 tokens with TEST_SECRET accepted as a legacy secret. Another host of the functions (e.g.
 * Deno) verifies them with SUPABASE_JWKS=JSON.stringify(TEST_JWKS) and JWT_SECRET=TEST_SECRET.
 */
export const TEST_SIGNING: LocalSigning = {
  alg: 'ES256',
  key: generateSigningKey(),
  secret: TEST_SECRET,
};
export const TEST_JWKS = publicJwks(TEST_SIGNING);

/** An access token signed as local auth signs them (ES256 with TEST_SIGNING's key). */
export const signTestToken = (input: AccessTokenInput) =>
  signAccessToken({ alg: 'ES256', key: TEST_SIGNING.key }, input);

/**
 * The variables a function started on its own (under Deno) needs to verify the tokens these
 * helpers sign: the one place to change when the test tokens change how they are signed.
 */
export function functionAuthEnv(): Record<string, string> {
  return { SUPABASE_JWKS: JSON.stringify(TEST_JWKS), JWT_SECRET: TEST_SECRET };
}

/** The test hooks' secret of the in-process apps, and the header that carries it. */
export const TEST_HOOKS = { secret: 'test-only-hooks-secret-0123456789-abcdefghijklmnop' };
export const HOOKS_HEADERS = { 'x-test-hooks-secret': TEST_HOOKS.secret };

/** The real Postgres the suites use (trust auth); TEST_PG_URL overrides. */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** `supabase`: Supabase's own schema (auth from Supabase Auth), migrated by the Supabase CLI. */
  label: 'pglite' | 'postgres' | 'supabase';
  db: Db;
  /** Empties every table (users cascade to plans, sections and refresh tokens). */
  truncate(): Promise<void>;
  close(): Promise<void>;
}

async function truncateAll(db: Db) {
  await db.asService((tx) => tx.exec('truncate auth.users, public.business_plans cascade'));
}

/** One in-memory PGlite, migrated. Slow to create (~2 s): share it across a file's tests. */
export async function createPgliteTestDatabase(): Promise<TestDatabase> {
  const db = await createPgliteDb();
  await migrate(db);
  return { label: 'pglite', db, truncate: () => truncateAll(db), close: () => db.close() };
}

/**
 * Whether the real Postgres answers. When it doesn't, its suites are skipped with a warning,
 * unless MPFS_REQUIRE_PG=1 (then they fail).
 */
export async function postgresAvailable(): Promise<boolean> {
  const sql = postgres(PG_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch (error) {
    if (process.env.MPFS_REQUIRE_PG === '1') throw error;
    console.warn(`Postgres at ${PG_ADMIN_URL} is not reachable: its suites are skipped.`);
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export interface ThrowawayDatabase {
  /** Its URL on the real server (PG_ADMIN_URL with the database swapped). */
  url: string;
  drop(): Promise<void>;
}

/** An empty database `mpfs_test_<random>` on the real server; drop() removes it. */
export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const name = `mpfs_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * A throwaway database on the real server, migrated over a direct connection; dropped by
 * close(). The app's Db connects to `connectVia(url)` (e.g. through a pooler), by default `url`.
 */
export async function createPostgresTestDatabase(
  max = 10,
  connectVia: (url: string) => string = (url) => url,
): Promise<TestDatabase> {
  const target = await createThrowawayDatabase();
  const direct = createPostgresDb(target.url, { max });
  try {
    await migrate(direct);
  } catch (error) {
    await direct.close();
    await target.drop();
    throw error;
  }
  const appUrl = connectVia(target.url);
  let db = direct;
  if (appUrl !== target.url) {
    await direct.close();
    db = createPostgresDb(appUrl, { max });
  }
  return {
    label: 'postgres',
    db,
    truncate: () => truncateAll(db),
    async close() {
      await db.close();
      await target.drop();
    },
  };
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

let userCounter = 0;

/** A user row (no usable password) and a valid access token for it. */
export async function createTestUser(db: Db, email?: string): Promise<TestUser> {
  const address = email ?? `user${++userCounter}-${randomBytes(3).toString('hex')}@example.com`;
  const [row] = await db.asService((tx) =>
    tx.query<{ id: string }>(
      // Supabase Auth's auth.users has no default id: its server picks one.
      `insert into auth.users (id, email, encrypted_password)
       values (gen_random_uuid(), $1, 'no-password') returning id`,
      [address],
    ),
  );
  if (!row) throw new Error('no user row');
  return {
    id: row.id,
    email: address,
    token: await signTestToken({ sub: row.id, email: address }),
  };
}

export const silentLog = () => {};

/** The two Edge Function apps on `db`, verifying tokens with TEST_SIGNING's keys, quiet. */
export function createFunctionApps(db: Db) {
  const deps = { db, verifyToken: createTokenVerifier(verifierKeys(TEST_SIGNING)), log: silentLog };
  return { plans: createBusinessPlansApp(deps), sections: createPlanSectionsApp(deps) };
}

/** What `public.save_plan_section` returns (see the migrations and `saveSection`). */
export type SaveFunctionResult =
  | { status: 'saved'; section: Record<string, unknown> }
  | { status: 'conflict'; version: number; data: unknown }
  | { status: 'not_found' };

/** Another way to save, given the save's parameters: planId, key, data (JSON text), version. */
export type SaveVariant = (
  tx: Tx,
  params: readonly [string, string, string, number, string | null],
) => Promise<SaveFunctionResult>;

/**
 * The seed's save, kept for comparison: read the version, compare it in code, then upsert. The
 * read and the write are separate statements, so a concurrent save can commit in between and
 * both "win": one of them is lost.
 */
export const selectThenUpsert: SaveVariant = async (tx, [planId, key, dataJson, version]) => {
  const [row] = await tx.query<{ version: number; data: unknown }>(
    'select version, data from public.plan_sections where business_plan_id = $1::uuid and section_key = $2',
    [planId, key],
  );
  const stored = row ? Number(row.version) : 0;
  if (stored !== version) return { status: 'conflict', version: stored, data: row?.data ?? {} };
  const [saved] = await tx.query(
    `insert into public.plan_sections (business_plan_id, section_key, data)
     values ($1::uuid, $2, $3::text::jsonb)
     on conflict (business_plan_id, section_key) do update set data = excluded.data
     returning *`,
    [planId, key, dataJson],
  );
  return saved ? { status: 'saved', section: saved } : { status: 'not_found' };
};

/** A plain unconditional UPDATE of the row (no version check): the benchmark's baseline. */
export const plainUpdate: SaveVariant = async (tx, [planId, key, dataJson]) => {
  const [saved] = await tx.query(
    `update public.plan_sections set data = $3::text::jsonb
     where business_plan_id = $1::uuid and section_key = $2 returning *`,
    [planId, key, dataJson],
  );
  return saved ? { status: 'saved', section: saved } : { status: 'not_found' };
};

/**
 * `db` with the call of `public.save_plan_section` (from `saveSection`) replaced by `variant`;
 * everything else (HTTP, auth, validation, the transaction as the user) stays as it is.
 */
export function withSaveVariant(db: Db, variant: SaveVariant): Db {
  const wrap = (tx: Tx): Tx => ({
    exec: (sql) => tx.exec(sql),
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      if (!sql.includes('public.save_plan_section(')) return tx.query<R>(sql, params);
      const result = await variant(
        tx,
        params as readonly [string, string, string, number, string | null],
      );
      return [{ result } as R];
    },
  });
  return {
    asUser: (claims, fn) => db.asUser(claims, (tx) => fn(wrap(tx))),
    asService: (fn) => db.asService(fn),
    close: () => db.close(),
  };
}
