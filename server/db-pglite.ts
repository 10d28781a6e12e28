// The Db port on PGlite (Postgres compiled to WebAssembly, in this process): local mode and tests.
//
// PGlite runs one query at a time. Its own `transaction()` already queues: each transaction (and
// each standalone query) holds PGlite's transaction mutex from BEGIN to COMMIT/ROLLBACK, so
// concurrent requests wait their turn in arrival order and never interleave statements. This
// adapter relies on that instead of adding a second queue.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import {
  SET_CLAIMS_SQL,
  SET_ROLE_SQL,
  claimsJson,
  type Db,
  type Tx,
} from '../supabase/functions/_shared/db.ts';

export interface PgliteDb extends Db {
  readonly pg: PGlite;
}

function wrap(tx: Transaction): Tx {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await tx.query<R>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await tx.exec(sql);
    },
  };
}

/** Wraps an open PGlite. */
export function pgliteDb(pg: PGlite): PgliteDb {
  return {
    pg,
    asUser(claims, fn) {
      return pg.transaction(async (tx) => {
        await tx.exec(SET_ROLE_SQL);
        await tx.query(SET_CLAIMS_SQL, [claimsJson(claims)]);
        return fn(wrap(tx));
      });
    },
    asService(fn) {
      return pg.transaction((tx) => fn(wrap(tx)));
    },
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
}

/**
 * Opens PGlite: in memory without `dataDir`, else persisted in that folder (created if needed).
 */
export async function createPgliteDb(options: { dataDir?: string } = {}): Promise<PgliteDb> {
  const pg = options.dataDir
    ? await PGlite.create({ dataDir: options.dataDir })
    : await PGlite.create();
  return pgliteDb(pg);
}
