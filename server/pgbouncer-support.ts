// Test support (not used at run time): a PgBouncer in transaction mode, as Supabase's pooler
// runs, in front of the real Postgres. Started on a free loopback port with its config in a temp
// folder, as an unprivileged user when this process is root (PgBouncer refuses root).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PG_ADMIN_URL } from './test-support.ts';
import { freePort } from './test-support/supabase-cluster.ts';

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The pgbouncer binary (PGBOUNCER overrides), or undefined when it isn't installed. */
export function findPgbouncer(): string | undefined {
  const candidates = process.env.PGBOUNCER ? [process.env.PGBOUNCER] : CANDIDATES;
  return candidates.find((file) => existsSync(file));
}

/**
 * Whether PgBouncer is installed. When it isn't, its suites are skipped with a warning, unless
 * MPFS_REQUIRE_PG=1 (then they fail).
 */
export function pgbouncerAvailable(): boolean {
  if (findPgbouncer()) return true;
  const message = 'pgbouncer is not installed (Debian: apt-get install -y pgbouncer)';
  if (process.env.MPFS_REQUIRE_PG === '1') throw new Error(message);
  console.warn(`${message}: the pooler suites are skipped.`);
  return false;
}

export interface Pgbouncer {
  /** `url` with its host and port moved to the pooler (same user, database, parameters). */
  pooled(url: string): string;
  stop(): Promise<void>;
}

export interface PgbouncerOptions {
  /** Server connections per database/user pair (default 2). */
  poolSize?: number;
}

/** uid/gid of `nobody`, which PgBouncer runs as when this process is root. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Starts PgBouncer in transaction mode in front of PG_ADMIN_URL's server; every database there
 * is reachable through it under its own name. Resolves once it listens.
 */
export async function startPgbouncer(options: PgbouncerOptions = {}): Promise<Pgbouncer> {
  const binary = findPgbouncer();
  if (!binary) throw new Error('pgbouncer is not installed (Debian: apt-get install -y pgbouncer)');
  const upstream = new URL(PG_ADMIN_URL);
  const user = decodeURIComponent(upstream.username || 'postgres');
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'mpfs-pgbouncer-'));
  const config = path.join(dir, 'pgbouncer.ini');
  const authFile = path.join(dir, 'userlist.txt');
  writeFileSync(authFile, `"${user}" ""\n`);
  writeFileSync(
    config,
    [
      '[databases]',
      // The fallback entry: any database name goes to the same name upstream.
      `* = host=${upstream.hostname} port=${upstream.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 2}`,
      'max_client_conn = 200',
      // Trust as upstream (loopback test server); the user must still be in the auth file.
      'auth_type = trust',
      `auth_file = ${authFile}`,
      'ignore_startup_parameters = extra_float_digits,options',
      // Supabase's pooler doesn't reset a server connection between transactions either.
      'server_reset_query =',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o755);
  chmodSync(config, 0o644);
  chmodSync(authFile, 0o644);

  const child = spawn(binary, [config], { stdio: ['ignore', 'ignore', 'pipe'], ...unprivileged() });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes(`listening on 127.0.0.1:${port}`)) resolve();
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`pgbouncer exited (${code}): ${stderr}`)));
    });
  } catch (error) {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    pooled(url) {
      const moved = new URL(url);
      moved.hostname = '127.0.0.1';
      moved.port = String(port);
      return moved.toString();
    },
    async stop() {
      // SIGTERM: immediate shutdown (SIGINT would wait for clients to leave).
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
