// The PGlite data folder of local mode (DATA_DIR/pgdata): made fresh from a prepared snapshot of
// the migrated database, or opened as it is; every way it can't be used becomes a one-line
// StartupError that says the fix, and nothing in an existing folder is ever overwritten.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { inspect } from 'node:util';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDb, type PgliteDb } from './db-pglite.ts';
import { UnknownMigrationsError, migrate, migrationFiles } from './migrate.ts';

/** Thrown for a problem the user fixes (printed as one line, exit 1). */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** The Postgres major version of the bundled PGlite (its data folders' PG_VERSION). */
export const PG_MAJOR = '18';

/**
 * `npm run db:snapshot` writes it: the data folder of a fresh PGlite with the bootstrap and every
 * migration applied, as PGlite's own gzipped tar. A fresh start unpacks it (well under a second)
 * instead of running initdb (about two seconds), then applies any newer migration.
 */
export const SNAPSHOT_FILE = fileURLToPath(new URL('./pgdata-snapshot.tar.gz', import.meta.url));

/** The first line of an error's message, for a one-line report. */
export function firstLine(error: unknown): string {
  // Some failures (e.g. PGlite's file system errors) are plain objects: show what they hold.
  const message = (error as { message?: unknown } | null)?.message;
  const text =
    typeof message === 'string' && message
      ? message
      : typeof error === 'object' && error !== null
        ? inspect(error, { depth: 2, breakLength: Infinity })
        : String(error);
  return (text.split('\n')[0] ?? '').trim().slice(0, 300);
}

const damaged = (dir: string, error: unknown) =>
  new StartupError(
    `The database in ${dir} can't be opened (${firstLine(error)}): it may be damaged or not a myplanforsuccess database. It was left as it is: restore a copy, move it away to start with an empty one, or set DATA_DIR to another folder.`,
  );

/** The snapshot to start a fresh folder from; MPFS_PGDATA_SNAPSHOT=none (benchmarks) skips it. */
function snapshotFile(): string | undefined {
  const file = process.env.MPFS_PGDATA_SNAPSHOT || SNAPSHOT_FILE;
  return file !== 'none' && existsSync(file) ? file : undefined;
}

/**
 * Unpacks a gzipped tar (as PGlite's dumpDataDir writes it: plain files and folders) into `dir`.
 * Done here rather than by PGlite's loadDataDir, which is several times slower.
 */
export function untarInto(tarGz: string, dir: string) {
  const tar = gunzipSync(readFileSync(tarGz));
  const text = (from: number, length: number) =>
    tar.toString('latin1', from, from + length).replace(/\0.*$/s, '');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const root = path.resolve(dir);
  for (let offset = 0; offset + 512 <= tar.length;) {
    const name = text(offset, 100);
    if (!name) break; // the two zero blocks at the end
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = text(offset + 156, 1);
    const prefix = text(offset + 257, 6).startsWith('ustar') ? text(offset + 345, 155) : '';
    const target = path.resolve(
      root,
      `.${path.posix.normalize(`/${prefix ? `${prefix}/` : ''}${name}`)}`,
    );
    if (target !== root && !target.startsWith(root + path.sep))
      throw new Error(`the snapshot has a path outside the folder: ${name}`);
    const data = offset + 512;
    if (type === '5') mkdirSync(target, { recursive: true, mode: 0o700 });
    else if (type === '0' || type === '') {
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      writeFileSync(target, tar.subarray(data, data + size), { mode: 0o600 });
    } else throw new Error(`the snapshot has an entry of an unexpected type (${type}): ${name}`);
    offset = data + Math.ceil(size / 512) * 512;
  }
}

/** Marks a data folder being made: a start killed meanwhile leaves it, and the next start redoes it. */
const incompleteMarker = (dir: string) => `${dir}.incomplete`;

/** Makes a new, migrated database in the (absent) folder `dir` and returns it open. */
async function createPgdata(dir: string): Promise<PgliteDb> {
  const marker = incompleteMarker(dir);
  writeFileSync(marker, 'a database is being made in the folder beside this file\n');
  const snapshot = snapshotFile();
  let pg: PGlite;
  try {
    if (snapshot) untarInto(snapshot, dir);
    pg = await PGlite.create({ dataDir: dir });
  } catch (error) {
    if (!snapshot) throw error;
    // A snapshot this PGlite can't read (e.g. after an upgrade): make the database from scratch.
    rmSync(dir, { recursive: true, force: true });
    pg = await PGlite.create({ dataDir: dir });
  }
  const db = pgliteDb(pg);
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  rmSync(marker);
  return db;
}

/**
 * What is at `dir`: nothing (or an empty folder) → 'fresh'; a Postgres data folder of the
 * bundled version → 'existing'; anything else → a StartupError that leaves it untouched.
 */
export function inspectPgdata(dir: string): 'fresh' | 'existing' {
  if (existsSync(incompleteMarker(dir))) {
    // Made by a start that was stopped before it finished: nothing of the user's is in it yet.
    rmSync(dir, { recursive: true, force: true });
    rmSync(incompleteMarker(dir));
  }
  if (!existsSync(dir)) return 'fresh';
  if (!statSync(dir).isDirectory())
    throw new StartupError(
      `${dir} is a file, not a database folder. It was left as it is: move it away, or set DATA_DIR to another folder.`,
    );
  if (readdirSync(dir).length === 0) {
    rmSync(dir, { recursive: true });
    return 'fresh';
  }
  const versionFile = path.join(dir, 'PG_VERSION');
  if (!existsSync(versionFile))
    throw new StartupError(
      `${dir} is not a database folder (it has no PG_VERSION). It was left as it is: move it away, or set DATA_DIR to another folder.`,
    );
  const version = readFileSync(versionFile, 'utf8').trim();
  if (version !== PG_MAJOR)
    throw new StartupError(
      Number(version) > Number(PG_MAJOR)
        ? `${dir} was made by a newer myplanforsuccess (Postgres ${version}; this one runs Postgres ${PG_MAJOR}). It was left as it is: start it with the newer version, or set DATA_DIR to another folder.`
        : `${dir} holds a Postgres ${version.slice(0, 20)} database; this myplanforsuccess runs Postgres ${PG_MAJOR}. It was left as it is: start it with the version that made it, or set DATA_DIR to another folder.`,
    );
  return 'existing';
}

/**
 * Beside the database, the last migration applied to it: read before the database is opened, so
 * a folder from a newer version is refused without being touched at all.
 */
const schemaFile = (dir: string) => path.join(path.dirname(dir), 'schema-version');

const newerVersion = (dir: string, migration: string) =>
  new StartupError(
    `${path.dirname(dir)} was written by a newer myplanforsuccess (its database has migration ${migration}, which this version doesn't know). It was left as it is: start it with the newer version, or set DATA_DIR to another folder.`,
  );

async function checkSchemaFile(dir: string) {
  const file = schemaFile(dir);
  if (!existsSync(file)) return;
  const last = readFileSync(file, 'utf8').trim();
  if (last && !(await migrationFiles()).includes(last)) throw newerVersion(dir, last);
}

async function writeSchemaFile(dir: string) {
  const files = await migrationFiles();
  writeFileSync(schemaFile(dir), `${files.at(-1) ?? ''}\n`);
}

/** Opens (making it first if needed) and migrates the data folder at `dir`. */
export async function openPgdata(
  dir: string,
  debug: (line: string) => void = () => {},
): Promise<PgliteDb> {
  const started = performance.now();
  const fresh = inspectPgdata(dir) === 'fresh';
  let db: PgliteDb;
  if (fresh) {
    try {
      db = await createPgdata(dir);
    } catch (error) {
      throw new StartupError(
        `Could not make a new database in ${dir} (${firstLine(error)}). Check that the disk has space and the folder is writable, or set DATA_DIR to another folder.`,
      );
    }
  } else {
    await checkSchemaFile(dir);
    let pg: PGlite;
    try {
      pg = await PGlite.create({ dataDir: dir });
    } catch (error) {
      throw damaged(dir, error);
    }
    db = pgliteDb(pg);
    try {
      await migrate(db);
    } catch (error) {
      await db.close().catch(() => {});
      if (error instanceof UnknownMigrationsError) throw newerVersion(dir, error.names[0] ?? '?');
      throw damaged(dir, error);
    }
  }
  await writeSchemaFile(dir);
  debug(
    `database ${fresh ? 'made' : 'opened'} and migrated in ${Math.round(performance.now() - started)} ms`,
  );
  return db;
}
