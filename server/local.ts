// Opens local mode's state in a data folder: the signing key (made on first start, mode 600), the
// PGlite database (DATA_DIR/pgdata, migrated), and the server app on top. Used by `npm start`
// (main.ts) and `vite` dev (vite-plugin.ts).
import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { createServerApp } from './app.ts';
import type { PgliteDb } from './db-pglite.ts';
import type { LogLevel } from './log.ts';
import { StartupError, firstLine, inspectPgdata, openPgdata } from './pgdata.ts';
import { loadLocalSigning } from './signing-files.ts';

export { StartupError } from './pgdata.ts';

export interface LocalOptions {
  dataDir: string;
  staticDir?: string;
  testHooks?: boolean;
  log?: (line: string, status: number) => void;
  logLevel?: LogLevel;
  accessTokenTtl?: number;
  /** Where JWT_ALG / JWT_SECRET are read (default process.env; see signing-files.ts). */
  env?: Record<string, string | undefined>;
}

export interface LocalServer {
  app: ReturnType<typeof createServerApp>;
  db: PgliteDb;
  dataDir: string;
  close(): Promise<void>;
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

/** Makes sure DATA_DIR is a folder this process can read and write. */
function prepareDataDir(dataDir: string) {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (!statSync(dataDir).isDirectory()) throw new Error('not a folder');
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'EEXIST' || code === 'ENOTDIR' || !code
        ? 'is a file, not a folder'
        : code === 'EACCES' || code === 'EPERM'
          ? 'is not readable and writable by this user'
          : `can't be used (${firstLine(error)})`;
    throw new StartupError(
      `DATA_DIR ${dataDir} ${what}. Set DATA_DIR to a folder this user can write, or fix that one.`,
    );
  }
}

export async function openLocalServer(options: LocalOptions): Promise<LocalServer> {
  const dataDir = path.resolve(options.dataDir);
  prepareDataDir(dataDir);
  // Refuse a folder that isn't a database before anything is written next to it.
  inspectPgdata(path.join(dataDir, 'pgdata'));
  const unlock = lockDataDir(dataDir);
  let db: PgliteDb | undefined;
  try {
    const signing = loadLocalSigning(dataDir, options.env);
    db = await openPgdata(path.join(dataDir, 'pgdata'), (line) => {
      if (options.logLevel === 'debug') console.log(line);
    });
    const app = createServerApp({
      db,
      signing,
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
