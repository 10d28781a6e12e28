// The Db port on postgres.js: used by the Edge Functions on Supabase (SUPABASE_DB_URL) and by the
// tests against a real Postgres.
import postgres from 'postgres';
import { SET_CLAIMS_SQL, SET_ROLE_SQL, claimsJson, type Db, type Tx } from './db.ts';

export interface PostgresDbOptions {
  /** Most connections in the pool (default 5: an Edge Function instance needs few). */
  max?: number;
  /** Seconds an idle connection stays open (default 20). */
  idleTimeout?: number;
}

type Sql = postgres.Sql<Record<string, never>>;
type TxSql = postgres.TransactionSql<Record<string, never>>;

function wrap(sql: TxSql): Tx {
  return {
    async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      // Parameters go out as text (or numbers); JSON is passed as a string and cast with
      // `$n::text::jsonb` by the callers, so postgres.js never JSON-encodes it a second time.
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return Array.from(rows) as R[];
    },
    async exec(text: string): Promise<void> {
      await sql.unsafe(text).simple();
    },
  };
}

export function createPostgresDb(url: string, options: PostgresDbOptions = {}): Db {
  const sql: Sql = postgres(url, {
    // Supabase's pooler (transaction mode) can't keep prepared statements; unsafe() below never
    // prepares either. api.pgbouncer.test.ts runs everything through PgBouncer to prove it.
    prepare: false,
    max: options.max ?? 5,
    idle_timeout: options.idleTimeout ?? 20,
    onnotice: () => {},
  });
  return {
    asUser(claims, fn) {
      return sql.begin(async (tx) => {
        await tx.unsafe(SET_ROLE_SQL);
        await tx.unsafe(SET_CLAIMS_SQL, [claimsJson(claims)]);
        return fn(wrap(tx));
      }) as Promise<Awaited<ReturnType<typeof fn>>>;
    },
    asService(fn) {
      return sql.begin((tx) => fn(wrap(tx))) as Promise<Awaited<ReturnType<typeof fn>>>;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
