// The API suite once more through PgBouncer in transaction mode (Supabase's pooler): consecutive
// transactions of one client may run on different server connections, and one server connection
// serves many clients. Then targeted checks that the role, the claims and prepared statements
// don't outlive their transaction — each with a control that shows the pooler really shares (or
// splits) server connections, so the check would catch session-level state.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  pgbouncerAvailable,
  startPgbouncer,
  type Pgbouncer,
} from '../../../server/pgbouncer-support.ts';
import {
  createPostgresTestDatabase,
  createTestUser,
  postgresAvailable,
  type TestDatabase,
  type TestUser,
} from '../../../server/test-support.ts';
import { defineApiSuite } from './api-suite.ts';
import type { Db } from './db.ts';
import { createPlan, saveSection } from './plans.ts';

const ready = pgbouncerAvailable() && (await postgresAvailable());

describe.skipIf(!ready)('through PgBouncer in transaction mode', () => {
  let bouncer: Pgbouncer;
  beforeAll(async () => {
    bouncer = await startPgbouncer({ poolSize: 2 });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  describe('API on Postgres through PgBouncer', () => {
    defineApiSuite(() => createPostgresTestDatabase(10, (url) => bouncer.pooled(url)));
  });

  describe('session state and prepared statements', () => {
    // The database's own pool at PgBouncer holds two server connections; `db` is one pooled
    // client connection (max 1) of the functions' adapter, `other` a second client.
    let env: TestDatabase;
    let db: Db;
    let pooledUrl: string;
    let other: postgres.Sql;
    let alice: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      env = await createPostgresTestDatabase(1, (url) => (pooledUrl = bouncer.pooled(url)));
      db = env.db;
      other = postgres(pooledUrl, { max: 1, prepare: false, onnotice: () => {} });
      alice = await createTestUser(db);
      bob = await createTestUser(db);
    });
    afterAll(async () => {
      await other?.end({ timeout: 5 });
      await env?.close();
    });

    const sessionState = async () => {
      const [row] = await other<{ pid: number; role: string; claims: string | null }[]>`
        select pg_backend_pid() as pid, current_user as role,
               nullif(current_setting('request.jwt.claims', true), '') as claims`;
      if (!row) throw new Error('no row');
      return row;
    };

    it('control: a session-level `set role` / set_config(…, false) leaks to the next client', async () => {
      const leaker = postgres(pooledUrl, { max: 1, prepare: false, onnotice: () => {} });
      try {
        const pid = await leaker.begin(async (tx) => {
          await tx.unsafe('set role authenticated');
          await tx.unsafe(`select set_config('request.jwt.claims', '{"sub":"leak"}', false)`);
          const [row] = await tx.unsafe<{ pid: number }[]>('select pg_backend_pid() as pid');
          return row?.pid;
        });
        const seen = await sessionState();
        expect(seen.pid, 'the pooler hands the next client the same server connection').toBe(pid);
        expect(seen.role).toBe('authenticated');
        expect(seen.claims).toBe('{"sub":"leak"}');
      } finally {
        // Undo it on that server connection, so the checks below start clean.
        await other.begin(async (tx) => {
          await tx.unsafe('reset role');
          await tx.unsafe(`select set_config('request.jwt.claims', '', false)`);
        });
        await leaker.end({ timeout: 5 });
      }
      expect((await sessionState()).role).toBe('postgres');
    });

    it('the role and the claims of asUser end with its transaction', async () => {
      const inside = await db.asUser({ sub: alice.id, email: alice.email }, async (tx) => {
        const [row] = await tx.query<{ pid: number; role: string; uid: string }>(
          'select pg_backend_pid() as pid, current_user as role, auth.uid()::text as uid',
        );
        return row;
      });
      expect(inside).toMatchObject({ role: 'authenticated', uid: alice.id });
      const after = await sessionState();
      expect(after.pid, 'the next client got the same server connection').toBe(inside?.pid);
      expect(after.role).toBe('postgres');
      expect(after.claims).toBeNull();
    });

    it('the save function runs as the claims of its own transaction on a shared connection', async () => {
      const plan = await db.asUser({ sub: alice.id }, (tx) => createPlan(tx, 'Alice’s plan'));
      const asAlice = await db.asUser({ sub: alice.id }, async (tx) => ({
        pid: (await tx.query<{ pid: number }>('select pg_backend_pid() as pid'))[0]?.pid,
        save: await saveSection(tx, plan.id, 'section-one', '{"text":"mine"}', 0),
      }));
      const asBob = await db.asUser({ sub: bob.id }, async (tx) => ({
        pid: (await tx.query<{ pid: number }>('select pg_backend_pid() as pid'))[0]?.pid,
        uid: (await tx.query<{ uid: string }>('select auth.uid()::text as uid'))[0]?.uid,
        save: await saveSection(tx, plan.id, 'section-one', '{"text":"bob"}', 1),
      }));
      expect(asBob.pid, 'both transactions ran on one server connection').toBe(asAlice.pid);
      expect(asAlice.save.status).toBe('saved');
      expect(asBob.uid).toBe(bob.id);
      expect(asBob.save, 'Bob cannot see, let alone overwrite, Alice’s plan').toEqual({
        status: 'not_found',
      });
      const stored = await db.asUser({ sub: alice.id }, (tx) =>
        tx.query<{ data: unknown; version: number }>(
          'select data, version from public.plan_sections where business_plan_id = $1::uuid',
          [plan.id],
        ),
      );
      expect(stored).toEqual([{ data: { text: 'mine' }, version: 1 }]);
    });

    /**
     * Runs `query` on `run` twice: once alone, then while `other` holds the server connection the
     * first run used, so the second lands on the pool's other server connection.
     */
    async function acrossServerConnections<T extends { pid: number }>(run: () => Promise<T>) {
      const first = await run();
      const second = await other.begin(async (tx) => {
        const [held] = await tx.unsafe<{ pid: number }[]>('select pg_backend_pid() as pid');
        expect(held?.pid, 'the other client holds the connection the first run used').toBe(
          first.pid,
        );
        return run();
      });
      expect(second.pid).not.toBe(first.pid);
      return second;
    }

    it('control: a prepared statement is gone on the other server connection', async () => {
      const preparing = postgres(pooledUrl, { max: 1, prepare: true, onnotice: () => {} });
      try {
        // In a transaction, as the adapter runs everything (outside one, postgres.js re-prepares
        // and retries the statement by itself).
        const run = () =>
          preparing.begin(async (tx) => {
            // A tagged query on a `prepare: true` connection is a named prepared statement.
            const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
            if (!row) throw new Error('no row');
            return row;
          }) as Promise<{ pid: number }>;
        await expect(acrossServerConnections(run)).rejects.toMatchObject({ code: '26000' });
      } finally {
        await preparing.end({ timeout: 5 });
      }
    });

    it('the functions’ adapter prepares nothing: the same statements work on either connection', async () => {
      const run = () =>
        db.asUser({ sub: alice.id }, async (tx) => {
          const [row] = await tx.query<{ pid: number; uid: string }>(
            'select pg_backend_pid() as pid, auth.uid()::text as uid where $1::text is not null',
            ['x'],
          );
          if (!row) throw new Error('no row');
          return row;
        });
      expect((await acrossServerConnections(run)).uid).toBe(alice.id);
    });
  });
});
