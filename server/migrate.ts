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

/** The migration files, in the order they apply. */
export async function migrationFiles(dir: string = MIGRATIONS_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();
}

/** The database has migrations this code doesn't have: it was written by a newer version. */
export class UnknownMigrationsError extends Error {
  override name = 'UnknownMigrationsError';
  constructor(readonly names: string[]) {
    super(`the database has migrations this version doesn't know: ${names.join(', ')}`);
  }
}

/**
 * Returns the names of the migrations applied by this call. Refuses (UnknownMigrationsError,
 * before changing anything) a database with a migration that isn't among the files.
 */
export async function migrate(db: Db, options: MigrateOptions = {}): Promise<string[]> {
  const bootstrap = await readFile(options.bootstrapFile ?? BOOTSTRAP_FILE, 'utf8');
  const dir = options.migrationsDir ?? MIGRATIONS_DIR;
  const files = await migrationFiles(dir);

  const unknown = await db.asService(async (tx) => {
    const [found] = await tx.query<{ t: string | null }>(
      "select to_regclass('local_meta.schema_migrations')::text as t",
    );
    if (!found?.t) return [];
    const rows = await tx.query<{ name: string }>(
      'select name from local_meta.schema_migrations order by name',
    );
    return rows.map((row) => row.name).filter((name) => !files.includes(name));
  });
  if (unknown.length > 0) throw new UnknownMigrationsError(unknown);

  await db.asService(async (tx) => {
    await tx.exec(bootstrap);
    await tx.exec(`
      create schema if not exists local_meta;
      create table if not exists local_meta.schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      );
      alter table local_meta.schema_migrations enable row level security;
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
