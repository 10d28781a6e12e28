// Applies supabase/bootstrap/local.sql (what Supabase provides; idempotent, every time) and then
// every supabase/migrations/*.sql not applied yet, in file-name order, each in its own
// transaction, recording it in local_meta.schema_migrations. Works on any Db adapter (PGlite or
// postgres.js). Never used against Supabase, which applies the migrations itself.
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Db } from '../supabase/functions/_shared/db.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BOOTSTRAP_FILE = path.join(ROOT, 'supabase', 'bootstrap', 'local.sql');
export const MIGRATIONS_DIR = path.join(ROOT, 'supabase', 'migrations');

const MIGRATION_FILE = /^\d+_[\w.-]+\.sql$/;

export interface MigrateOptions {
  bootstrapFile?: string;
  migrationsDir?: string;
}

/** Returns the names of the migrations applied by this call. */
export async function migrate(db: Db, options: MigrateOptions = {}): Promise<string[]> {
  const bootstrap = await readFile(options.bootstrapFile ?? BOOTSTRAP_FILE, 'utf8');
  const dir = options.migrationsDir ?? MIGRATIONS_DIR;
  const files = (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();

  await db.asService(async (tx) => {
    await tx.exec(bootstrap);
    await tx.exec(`
      create schema if not exists local_meta;
      create table if not exists local_meta.schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      );
    `);
  });

  const applied: string[] = [];
  for (const name of files) {
    const sql = await readFile(path.join(dir, name), 'utf8');
    const done = await db.asService(async (tx) => {
      // One migrator at a time per database (a no-op on PGlite, which is single-connection).
      await tx.query('select pg_advisory_xact_lock(7210513)');
      const rows = await tx.query('select 1 from local_meta.schema_migrations where name = $1', [
        name,
      ]);
      if (rows.length > 0) return false;
      await tx.exec(sql);
      await tx.query('insert into local_meta.schema_migrations (name) values ($1)', [name]);
      return true;
    });
    if (done) applied.push(name);
  }
  return applied;
}
