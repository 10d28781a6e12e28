// One process per data folder (PGlite must not be opened twice): DATA_DIR/server.pid names the
// holder (`pid token`). It is made with an exclusive create (a hard link of a complete file, so no
// one reads it half-written). A stale one (its process is gone) is removed only by whoever holds
// server.pid.takeover, made the same way, so two starts after a crash can't both replace it.
import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from './pgdata.ts';

/** Tokens of the locks this process holds: a lock file with our pid but another token is stale. */
const held = new Set<string>();

interface Holder {
  pid: number;
  token: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const holding = (holder: Holder) =>
  holder.pid === process.pid ? held.has(holder.token) : isAlive(holder.pid);

/** The holder named in `file`; null when the file is gone (or names no process). */
function readHolder(file: string): Holder | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const [pidText = '', token = ''] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 ? { pid, token } : { pid: 0, token };
}

/** Makes `file` with `content` if it doesn't exist, atomically; false when it exists. */
function createExclusive(file: string, content: string): boolean {
  const draft = `${file}.${process.pid}.${randomUUID()}`;
  writeFileSync(draft, content, { mode: 0o600 });
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

const inUse = (dataDir: string, pid: number) =>
  new StartupError(
    `Another myplanforsuccess (process ${pid}) is using ${dataDir}. Stop it first, or set DATA_DIR to another folder.`,
  );

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes the folder's lock or throws a StartupError; resolves with the function that frees it. */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  const file = path.join(dataDir, 'server.pid');
  const takeover = `${file}.takeover`;
  const token = randomUUID();
  const content = `${process.pid} ${token}\n`;
  // Each round either takes the lock, refuses, or waits for a takeover that takes microseconds.
  for (let round = 0; round < 200; round++) {
    if (createExclusive(file, content)) {
      held.add(token);
      return () => {
        held.delete(token);
        if (readHolder(file)?.token === token) rmSync(file, { force: true });
      };
    }
    const holder = readHolder(file);
    if (holder && holding(holder)) throw inUse(dataDir, holder.pid);
    if (createExclusive(takeover, content)) {
      try {
        // Under the takeover lock no one else removes server.pid: check again, then replace it.
        const again = readHolder(file);
        if (again && !holding(again)) rmSync(file);
      } finally {
        rmSync(takeover);
      }
      continue;
    }
    const taker = readHolder(takeover);
    if (taker && !holding(taker))
      throw new StartupError(
        `A start of myplanforsuccess was stopped while it took over ${dataDir} and left ${takeover}. Check that no myplanforsuccess uses the folder, delete that file, and start again.`,
      );
    await pause(10);
  }
  throw new StartupError(
    `Could not take ${file}: other starts kept changing it. Start one myplanforsuccess at a time on ${dataDir}.`,
  );
}
