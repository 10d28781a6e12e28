// Test helper: a private, throwaway PostgreSQL cluster shaped like a Supabase project's database
// (roles, schemas, auth.users, the supabase_realtime publication), built from Supabase's own SQL
// in ./supabase-shape (see its NOTICE.md). Its scripts demote `postgres` and create roles, so they
// only ever run here: initdb into a temp folder, a free loopback port, stopped and removed after.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';

const run = promisify(execFile);
const SHAPE = fileURLToPath(new URL('./supabase-shape/', import.meta.url));

/** Where Debian (or PG_BIN) keeps initdb and pg_ctl; undefined when there are none. */
export function postgresBinDir(): string | undefined {
  if (process.env.PG_BIN)
    return existsSync(path.join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : undefined;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(root, versions[0], 'bin');
  const found = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = found.status === 0 ? found.stdout.trim() : '';
  return dir && existsSync(path.join(dir, 'initdb')) ? dir : undefined;
}

/** initdb refuses root: as root, the cluster runs as the `postgres` system user. */
function clusterUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Why a private cluster can't start here, or undefined when it can. Its suites fail in CI
 * (CI=true or MPFS_REQUIRE_PG=1) and are skipped elsewhere with this reason.
 */
export function privateClusterUnavailable(): string | undefined {
  if (!postgresBinDir())
    return 'no PostgreSQL server binaries (initdb, pg_ctl): install postgresql or set PG_BIN';
  if (process.getuid?.() === 0 && !clusterUser())
    return 'running as root and there is no `postgres` system user to run initdb as';
  return undefined;
}

/** Throws in CI, warns elsewhere: whether the private-cluster suites may run. */
export function requirePrivateCluster(): boolean {
  const reason = privateClusterUnavailable();
  if (!reason) return true;
  if (process.env.CI === 'true' || process.env.MPFS_REQUIRE_PG === '1')
    throw new Error(`A private PostgreSQL cluster can't start: ${reason}.`);
  console.warn(`A private PostgreSQL cluster can't start (${reason}): its suites are skipped.`);
  return false;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface PrivateCluster {
  port: number;
  /** postgres://<user>@127.0.0.1:<port>/<database> (trust auth). */
  url(user: string, database?: string): string;
  stop(): Promise<void>;
}

/** initdb + pg_ctl start on a free loopback port; the bootstrap superuser is `superuser`. */
export async function startPrivateCluster(superuser: string): Promise<PrivateCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(privateClusterUnavailable());
  const as = clusterUser();
  const dir = await mkdtemp(path.join(tmpdir(), 'mpfs-pg-'));
  if (as) await chown(dir, as.uid, as.gid);
  const data = path.join(dir, 'data');
  const opts = { ...as, env: { ...process.env, LC_ALL: 'C' } };
  const stop = async () => {
    await run(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w'], opts).catch(
      () => {},
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run(
      path.join(bin, 'initdb'),
      ['-D', data, '-U', superuser, '--auth=trust', '--no-sync', '-E', 'UTF8', '--no-instructions'],
      opts,
    );
    const port = await freePort();
    // Throwaway data: no fsync; the socket lives in the temp folder, TCP only on loopback.
    const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c wal_level=logical`;
    await run(
      path.join(bin, 'pg_ctl'),
      ['start', '-D', data, '-w', '-t', '60', '-l', path.join(dir, 'log'), '-o', settings],
      opts,
    );
    return {
      port,
      url: (user, database = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`,
      stop,
    };
  } catch (error) {
    const log = await readFile(path.join(dir, 'log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`the private cluster did not start: ${String(error)}\n${log}`);
  }
}

async function runFiles(url: string, files: string[], edit: (sql: string) => string = (s) => s) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const file of files) {
      const text = edit(await readFile(file, 'utf8'));
      await sql
        .unsafe(text)
        .simple()
        .catch((error: unknown) => {
          throw new Error(`${path.relative(SHAPE, file)}: ${String(error)}`);
        });
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const sqlFiles = async (dir: string) =>
  (await readdir(dir))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => path.join(dir, f));

/**
 * Builds the `postgres` database of `cluster` (bootstrapped as supabase_admin) the way Supabase
 * does: supabase/postgres' migrate.sh order (init scripts as postgres, then its migrations as
 * supabase_admin, which demote postgres), then Supabase Auth's migrations as supabase_auth_admin.
 */
export async function shapeLikeSupabase(cluster: PrivateCluster): Promise<void> {
  const admin = postgres(cluster.url('supabase_admin'), { max: 1, onnotice: () => {} });
  try {
    // migrate.sh creates postgres as a superuser first (on Supabase's image it pre-exists).
    // pgsodium isn't packaged by Debian: its migration is skipped, but a later one grants the
    // role it would have created.
    await admin.unsafe(`
      create role postgres superuser login;
      alter database postgres owner to postgres;
      create role pgsodium_keyholder nologin;
    `);
  } finally {
    await admin.end({ timeout: 1 });
  }
  const pg = path.join(SHAPE, 'postgres');
  // pgjwt isn't packaged by Debian and nothing here uses it (tokens are verified in the function).
  const withoutPgjwt = (sql: string) =>
    sql.replace(/^create extension if not exists pgjwt .*$/m, '-- pgjwt: not available here');
  await runFiles(cluster.url('postgres'), await sqlFiles(path.join(pg, 'init')), withoutPgjwt);
  await runFiles(cluster.url('supabase_admin'), await sqlFiles(path.join(pg, 'migrations')));
  // Supabase Auth templates its migrations with its namespace, `auth` on every project.
  await runFiles(
    cluster.url('supabase_auth_admin'),
    await sqlFiles(path.join(SHAPE, 'auth')),
    (s) => s.replace(/\{\{\s*index \.Options "Namespace"\s*\}\}/g, 'auth'),
  );
}
