// The hosted path, offline: Supabase's database shape in a private cluster, the migrations
// applied by the Supabase CLI as the non-superuser `postgres`, and the API suite against the
// functions running under Deno over HTTP. One cluster for the whole file, stopped at the end.
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDb } from './db-postgres.ts';
import { defineApiSuite, type App, type FunctionHost } from './api-suite.ts';
import { functionAuthEnv, type TestDatabase } from '../../../server/test-support.ts';
import {
  FUNCTION_NAMES,
  denoCheck,
  startDenoFunction,
  type DenoFunction,
} from '../../../server/test-support/deno-functions.ts';
import { supabaseDbPush } from '../../../server/test-support/supabase-cli.ts';
import {
  requirePrivateCluster,
  shapeLikeSupabase,
  startPrivateCluster,
  type PrivateCluster,
} from '../../../server/test-support/supabase-cluster.ts';
import { migrationFiles } from '../../../server/migrate.ts';

const available = requirePrivateCluster();

let cluster: PrivateCluster | undefined;
let started: Promise<{ cluster: PrivateCluster; firstPush: string }> | undefined;

/** The cluster, shaped and pushed once, for every test of the file. */
function hosted() {
  started ??= (async () => {
    cluster = await startPrivateCluster('supabase_admin');
    await shapeLikeSupabase(cluster);
    return { cluster, firstPush: await supabaseDbPush(cluster.url('postgres')) };
  })();
  return started;
}

afterAll(async () => {
  await cluster?.stop();
});

describe('Deno', () => {
  it.each(FUNCTION_NAMES)('type-checks %s with its own deno.json and deno.lock', async (name) => {
    await denoCheck(name); // throws with Deno's output on a type error or a stale deno.lock
  });
});

describe.runIf(available)('Supabase-shaped database', () => {
  it("has Supabase's roles, auth.users and auth.uid/role/jwt reading request.jwt.claims", async () => {
    const { cluster } = await hosted();
    const admin = createPostgresDb(cluster.url('supabase_admin'), { max: 1 });
    try {
      const roles = await admin.asService((tx) =>
        tx.query(
          `select rolname as name, rolsuper as super, rolbypassrls as bypass from pg_roles
           where rolname in ('anon', 'authenticated', 'service_role', 'authenticator', 'postgres',
             'supabase_admin', 'supabase_auth_admin') order by 1`,
        ),
      );
      expect(roles).toEqual([
        { name: 'anon', super: false, bypass: false },
        { name: 'authenticated', super: false, bypass: false },
        { name: 'authenticator', super: false, bypass: false },
        { name: 'postgres', super: false, bypass: true },
        { name: 'service_role', super: false, bypass: true },
        { name: 'supabase_admin', super: true, bypass: true },
        { name: 'supabase_auth_admin', super: false, bypass: false },
      ]);
      const [columns] = await admin.asService((tx) =>
        tx.query<{ n: number }>(
          `select count(*)::int as n from information_schema.columns
           where table_schema = 'auth' and table_name = 'users'`,
        ),
      );
      expect(columns?.n).toBe(35);
      const sub = '6f1c2a4e-8b7d-4c3e-9a1f-2d3b4c5e6f70';
      const [seen] = await admin.asUser({ sub, email: 'a@example.com' }, (tx) =>
        tx.query(
          `select auth.uid()::text as uid, auth.role() as role, auth.jwt() ->> 'email' as email`,
        ),
      );
      expect(seen).toEqual({ uid: sub, role: 'authenticated', email: 'a@example.com' });
    } finally {
      await admin.close();
    }
  });
});

describe.runIf(available)('Supabase CLI', () => {
  it('applies every migration with db push, as postgres (not a superuser)', async () => {
    const { cluster, firstPush } = await hosted();
    for (const file of await migrationFiles())
      expect(firstPush).toContain(`Applying migration ${file}`);
    expect(firstPush).toContain('Finished supabase db push.');
    const admin = createPostgresDb(cluster.url('supabase_admin'), { max: 1 });
    try {
      const rows = await admin.asService((tx) =>
        tx.query<{ super: boolean; owner: string }>(
          `select r.rolsuper as super, c.relowner::regrole::text as owner from pg_roles r, pg_class c
           where r.rolname = 'postgres' and c.oid = 'public.plan_sections'::regclass`,
        ),
      );
      expect(rows).toEqual([{ super: false, owner: 'postgres' }]);
      // Supabase has the publication, so the realtime migration's conditional part ran.
      const published = await admin.asService((tx) =>
        tx.query(
          `select schemaname, tablename from pg_publication_tables where pubname = 'supabase_realtime'`,
        ),
      );
      expect(published).toEqual([{ schemaname: 'public', tablename: 'plan_sections' }]);
    } finally {
      await admin.close();
    }
  });

  it('has nothing to apply on a second push', async () => {
    const { cluster } = await hosted();
    expect(await supabaseDbPush(cluster.url('postgres'))).toContain(
      'Remote database is up to date.',
    );
  });
});

/** An App that sends the suite's requests to a function over HTTP. */
const overHttp = (fn: DenoFunction): App => ({
  request: (path, init) => fetch(`${fn.url}${path}`, init),
});

/** Both functions under Deno, as the Edge Runtime gives them SUPABASE_DB_URL (role postgres). */
async function serveUnderDeno(): Promise<FunctionHost> {
  const { cluster } = await hosted();
  const env = { SUPABASE_DB_URL: cluster.url('postgres'), ...functionAuthEnv() };
  const [plans, sections] = await Promise.all([
    startDenoFunction('business-plans', env),
    startDenoFunction('plan-sections', env),
  ]);
  return {
    plans: overHttp(plans),
    sections: overHttp(sections),
    close: async () => void (await Promise.all([plans.stop(), sections.stop()])),
  };
}

/** The suite's own SQL (users, truncation, direct RLS checks) goes in as supabase_admin. */
async function openHostedDatabase(): Promise<TestDatabase> {
  const { cluster } = await hosted();
  const db = createPostgresDb(cluster.url('supabase_admin'));
  return {
    label: 'supabase',
    db,
    truncate: () =>
      db.asService((tx) => tx.exec('truncate auth.users, public.business_plans cascade')),
    close: () => db.close(),
  };
}

describe.runIf(available)('API on Deno, on a Supabase-shaped Postgres', () => {
  defineApiSuite(openHostedDatabase, { serve: serveUnderDeno, database: 'supabase' });
});
