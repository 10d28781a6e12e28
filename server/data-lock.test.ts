// Two starts on one data folder at the same moment: exactly one opens it, the other says so in
// one line, and every signup the one that opened acknowledged is there after reopening. Real
// processes (server/open-child.ts), on a folder left by a crash and on a fresh one.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockDataDir } from './data-lock.ts';
import { openLocalServer } from './local.ts';
import { firstLine } from './pgdata.ts';
import { ROOT } from './process-support.ts';

/** Rounds per case: each starts two processes and reopens the folder. */
const ROUNDS = 4;
const root = mkdtempSync(path.join(tmpdir(), 'mpfs-lock-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface Opener {
  child: ChildProcess;
  output: () => string;
  say(word: string): void;
  /** Resolves once the output matches. */
  until(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function opener(dataDir: string, prefix: string, signups = 20): Opener {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/open-child.ts', dataDir, prefix, String(signups)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  children.add(child);
  let output = '';
  const waiting = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of waiting) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      for (const check of waiting) check();
      resolve(code);
    }),
  );
  return {
    child,
    output: () => output,
    say: (word) => child.stdin.write(`${word}\n`),
    exited,
    until: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            waiting.delete(check);
            resolve(match);
          } else if (child.exitCode !== null) {
            waiting.delete(check);
            reject(new Error(`exited before ${pattern}:\n${output}`));
          }
        };
        waiting.add(check);
        check();
      }),
  };
}

/** Emails of users in the folder's database whose address starts with `prefix-`. */
async function usersIn(dataDir: string, prefix: string): Promise<number> {
  const local = await openLocalServer({ dataDir, log: () => {} });
  try {
    const [row] = await local.db.asService((tx) =>
      tx.query<{ n: number }>(`select count(*)::int as n from auth.users where email like $1`, [
        `${prefix}-%`,
      ]),
    );
    return row?.n ?? 0;
  } finally {
    await local.close();
  }
}

interface Totals {
  rounds: number;
  bothOpened: number;
  acked: number;
  lost: number;
  badMessages: string[];
}

/**
 * One round: two starts on `dataDir`, the second told to go at the same moment or, `staggered`,
 * once the first is making a new database. Returns what happened.
 */
async function race(dataDir: string, round: number, staggered: boolean, totals: Totals) {
  const a = opener(dataDir, `a${round}`);
  const b = opener(dataDir, `b${round}`);
  await Promise.all([a.until(/^ready$/m), b.until(/^ready$/m)]);
  a.say('go');
  if (staggered) {
    const marker = path.join(dataDir, 'pgdata.incomplete');
    // The first start is making the database (or has already opened it).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(marker) || /^(opened|refused)/m.test(a.output())) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
  }
  b.say('go');
  const outcomes = await Promise.all(
    [a, b].map(async (p) => (await p.until(/^(opened|refused .*)$/m))[1] ?? ''),
  );
  const opened = [a, b].filter((_, i) => outcomes[i] === 'opened');
  for (const [i, outcome] of outcomes.entries())
    if (outcome !== 'opened' && !/^refused Another myplanforsuccess \(process \d+\)/.test(outcome))
      totals.badMessages.push(`${i === 0 ? 'first' : 'second'}: ${outcome}`);
  const acked = await Promise.all(
    opened.map(async (p) => Number((await p.until(/^acked (\d+)$/m))[1])),
  );
  for (const p of opened) p.say('close');
  await Promise.all([a.exited, b.exited]);
  totals.rounds += 1;
  if (opened.length > 1) totals.bothOpened += 1;
  for (const [i, p] of opened.entries()) {
    const prefix = p === a ? `a${round}` : `b${round}`;
    const kept = await usersIn(dataDir, prefix);
    totals.acked += acked[i] ?? 0;
    totals.lost += Math.max(0, (acked[i] ?? 0) - kept);
  }
}

const newTotals = (): Totals => ({ rounds: 0, bothOpened: 0, acked: 0, lost: 0, badMessages: [] });

describe('two starts on one data folder', () => {
  let crashed: string;
  beforeAll(async () => {
    // A folder whose server was killed: its server.pid names a process that is gone.
    crashed = path.join(root, 'crashed');
    const first = opener(crashed, 'seed', 0);
    await first.until(/^ready$/m);
    first.say('go');
    await first.until(/^acked 0$/m);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(path.join(crashed, 'server.pid'))).toBe(true);
  }, 120_000);

  it('after a crash, at the same instant: one opens, the other refuses, nothing acknowledged is lost', async () => {
    const totals = newTotals();
    for (let round = 0; round < ROUNDS; round++) {
      const dataDir = path.join(root, `crashed-${round}`);
      cpSync(crashed, dataDir, { recursive: true });
      await race(dataDir, round, false, totals);
    }
    console.log(`after a crash: ${JSON.stringify(totals)}`);
    expect(totals).toMatchObject({ rounds: ROUNDS, bothOpened: 0, lost: 0, badMessages: [] });
    expect(totals.acked).toBe(ROUNDS * 20);
  }, 240_000);

  it('on a fresh folder, at once and while the first makes the database: one opens, the other refuses', async () => {
    const totals = newTotals();
    for (let round = 0; round < ROUNDS; round++)
      await race(path.join(root, `fresh-${round}`), round, round % 2 === 1, totals);
    console.log(`fresh folder: ${JSON.stringify(totals)}`);
    expect(totals).toMatchObject({ rounds: ROUNDS, bothOpened: 0, lost: 0, badMessages: [] });
    expect(totals.acked).toBe(ROUNDS * 20);
  }, 240_000);
});

describe('lockDataDir', () => {
  it('refuses a second lock in the same process and frees the folder on unlock', async () => {
    const dataDir = mkdtempSync(path.join(root, 'same-'));
    const unlock = await lockDataDir(dataDir);
    await expect(lockDataDir(dataDir)).rejects.toThrow(/Another myplanforsuccess/);
    unlock();
    expect(existsSync(path.join(dataDir, 'server.pid'))).toBe(false);
    (await lockDataDir(dataDir))();
  });

  it('takes over a lock of this pid left by an earlier process (a restarted container)', async () => {
    const dataDir = mkdtempSync(path.join(root, 'pid-'));
    const unlock = await lockDataDir(dataDir);
    const left = readFileSync(path.join(dataDir, 'server.pid'), 'utf8');
    unlock();
    writeFileSync(path.join(dataDir, 'server.pid'), left);
    const again = await lockDataDir(dataDir);
    expect(readFileSync(path.join(dataDir, 'server.pid'), 'utf8')).not.toBe(left);
    again();
  });

  it('reports a non-Error failure by what it holds, never [object Object]', () => {
    expect(firstLine({ errno: 44, code: 'ENOENT' })).toBe("{ errno: 44, code: 'ENOENT' }");
    expect(firstLine(new Error('disk full\nmore'))).toBe('disk full');
  });
});
