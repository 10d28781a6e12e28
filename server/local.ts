// Opens local mode's state in a data folder: the JWT secret (made on first start, mode 600), the
// PGlite database (DATA_DIR/pgdata, migrated), and the server app on top. Used by `npm start`
// (main.ts) and `vite` dev (vite-plugin.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServerApp } from './app.ts';
import { createPgliteDb, type PgliteDb } from './db-pglite.ts';
import type { LogLevel } from './log.ts';
import { migrate } from './migrate.ts';

export interface LocalOptions {
  dataDir: string;
  staticDir?: string;
  testHooks?: boolean;
  log?: (line: string, status: number) => void;
  logLevel?: LogLevel;
  accessTokenTtl?: number;
}

export interface LocalServer {
  app: ReturnType<typeof createServerApp>;
  db: PgliteDb;
  dataDir: string;
  close(): Promise<void>;
}

/** Thrown for a problem the user fixes (printed as one line, exit 1). */
export class StartupError extends Error {
  override name = 'StartupError';
}

function loadOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(48).toString('base64url') + '\n', {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32)
    throw new StartupError(
      `${file} holds no usable secret. Delete it; a new one is made at start.`,
    );
  return secret;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One process per data folder: PGlite must not be opened twice. */
function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'server.pid');
  const write = () => writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
  try {
    write();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid !== process.pid && Number.isInteger(pid) && pid > 0 && isAlive(pid))
      throw new StartupError(
        `Another myplanforsuccess (process ${pid}) is using ${dataDir}. Stop it first, or set DATA_DIR to another folder.`,
      );
    rmSync(file, { force: true });
    write();
  }
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

export async function openLocalServer(options: LocalOptions): Promise<LocalServer> {
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  let db: PgliteDb | undefined;
  try {
    const jwtSecret = loadOrCreateSecret(dataDir);
    db = await createPgliteDb({ dataDir: path.join(dataDir, 'pgdata') });
    await migrate(db);
    const app = createServerApp({
      db,
      jwtSecret,
      staticDir: options.staticDir,
      testHooks: options.testHooks,
      log: options.log,
      logLevel: options.logLevel,
      accessTokenTtl: options.accessTokenTtl,
    });
    const opened = db;
    let closing: Promise<void> | undefined;
    return {
      app,
      db: opened,
      dataDir,
      close: () => (closing ??= opened.close().finally(unlock)),
    };
  } catch (error) {
    await db?.close().catch(() => {});
    unlock();
    throw error;
  }
}
