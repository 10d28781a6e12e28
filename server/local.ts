// Opens local mode's state in a data folder: the signing key (made on first start, mode 600), the
// PGlite database (DATA_DIR/pgdata, migrated), and the server app on top. Used by `npm start`
// (main.ts) and `vite` dev (vite-plugin.ts).
import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServerApp } from './app.ts';
import { lockDataDir } from './data-lock.ts';
import type { PgliteDb } from './db-pglite.ts';
import type { LogLevel } from './log.ts';
import { StartupError, firstLine, inspectPgdata, openPgdata } from './pgdata.ts';
import { loadLocalSigning } from './signing-files.ts';
import { TEST_HOOKS_SECRET_FILE, newTestHooksSecret } from './test-hooks.ts';

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

/** A new secret for the test hooks at each start, in DATA_DIR for the test runner (mode 600). */
function writeTestHooksSecret(dataDir: string): string {
  const file = path.join(dataDir, TEST_HOOKS_SECRET_FILE);
  const secret = newTestHooksSecret();
  rmSync(file, { force: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
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
  // The lock comes before anything reads or changes the folder (a half-made database included).
  const unlock = await lockDataDir(dataDir);
  let db: PgliteDb | undefined;
  try {
    // Refuse a folder that isn't a database before anything is written next to it.
    inspectPgdata(path.join(dataDir, 'pgdata'));
    const signing = loadLocalSigning(dataDir, options.env);
    db = await openPgdata(path.join(dataDir, 'pgdata'), (line) => {
      if (options.logLevel === 'debug') console.log(line);
    });
    const app = createServerApp({
      db,
      signing,
      staticDir: options.staticDir,
      testHooks: options.testHooks ? { secret: writeTestHooksSecret(dataDir) } : false,
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
