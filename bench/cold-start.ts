// `npm run bench:cold-start`: from starting the server to its first `/health` 200, on a fresh
// data folder (from the prepared snapshot, and without it for comparison) and on an existing one.
// Runs what `npm start` runs once the app is built (`node --import tsx server/main.ts`); with
// BENCH_NPM_START=1 it runs `npm start` itself (which first checks, and may redo, the build).
// Bounded: BENCH_RUNS starts per case (default 5), 60 s each at most.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** MPFS_BENCH_QUICK=1 (`npm run bench -- --quick`): one start per case. */
const RUNS = Number(process.env.BENCH_RUNS ?? (process.env.MPFS_BENCH_QUICK === '1' ? 1 : 5));
const PORT = 40_000 + Math.floor(Math.random() * 20_000);

async function timeStart(dataDir: string, env: Record<string, string> = {}): Promise<number> {
  const command =
    process.env.BENCH_NPM_START === '1'
      ? ['npm', ['start']]
      : [process.execPath, ['--import', 'tsx', 'server/main.ts']];
  const started = performance.now();
  const child = spawn(command[0] as string, command[1] as string[], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(PORT), LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let ms = NaN;
  while (performance.now() - started < 60_000 && child.exitCode === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/health`);
      if (res.status === 200) {
        ms = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGTERM');
  await exited;
  if (Number.isNaN(ms)) throw new Error('the server did not answer /health within 60 s');
  return ms;
}

const stats = (values: number[]) => {
  const sorted = values.slice().sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? NaN;
  return `median ${at(0.5).toFixed(0)} ms (min ${at(0).toFixed(0)}, max ${at(1).toFixed(0)})`;
};

const root = mkdtempSync(path.join(tmpdir(), 'mpfs-cold-'));
try {
  console.log(
    `cold start, ${RUNS} runs per case; load average ${loadavg()[0]?.toFixed(2)} (2 cores)`,
  );
  const fresh: number[] = [];
  const bare: number[] = [];
  const existing: number[] = [];
  const kept = path.join(root, 'kept');
  await timeStart(kept); // make it once
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so a burst of other work on the machine hits every case alike.
    fresh.push(await timeStart(path.join(root, `fresh-${i}`)));
    bare.push(await timeStart(path.join(root, `bare-${i}`), { MPFS_PGDATA_SNAPSHOT: 'none' }));
    existing.push(await timeStart(kept));
  }
  console.log(`fresh data folder (prepared snapshot): ${stats(fresh)}`);
  console.log(`fresh data folder (initdb, no snapshot): ${stats(bare)}`);
  console.log(`existing data folder:                    ${stats(existing)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
