// `npm run bench:server`: saves per second through the full HTTP path (loopback, the server in a
// child process) on PGlite and on a real Postgres, with 1, 10 and 50 clients; the atomic save
// against a plain unconditional UPDATE of the same row, measured in the same run, interleaved and
// in alternating order (ratio goal ≥ 0.8); p50/p95/p99 latency. Each client saves its own section in a loop with the
// version it got back. Bounded: BENCH_ROUNDS rounds (default 6) of BENCH_SECONDS (default 1) per
// mode, and at most 50,000 requests per measurement. Short alternating rounds, so a burst of other
// work on the machine falls on both modes alike. BENCH_PG_URL / TEST_PG_URL: the Postgres (default
// postgres://postgres@127.0.0.1:5432/test); without one, only PGlite is measured.
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { postgresAvailable } from '../server/test-support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** MPFS_BENCH_QUICK=1 (`npm run bench -- --quick`): 2 rounds of 0.2 s, 1 and 10 clients, 0.1 s warm-up. */
const QUICK = process.env.MPFS_BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 0.2 : 1));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 6));
const MAX_REQUESTS = 50_000;
const CLIENT_COUNTS = QUICK ? [1, 10] : [1, 10, 50];
const WARM_UP_SECONDS = QUICK ? 0.1 : 0.5;
const KEYS = ['section-one', 'section-two', 'section-three', 'section-four', 'section-five'];

interface Ports {
  atomic: number;
  plain: number;
}

async function startChild(adapter: string): Promise<{ child: ChildProcess; ports: Ports }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server-child.ts', adapter], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ports = await new Promise<Ports>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${adapter} server did not start`)), 60_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as Ports);
    });
    child.once('exit', (code) => reject(new Error(`${adapter} server exited with ${code}`)));
  });
  return { child, ports };
}

async function stopChild(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface Target {
  planId: string;
  key: string;
  version: number;
}

/** One user, enough plans for one section per client, each section saved once. */
async function prepare(base: string, clients: number) {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const signup = await fetch(`${base}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench-password' }),
  });
  const { access_token: token } = (await signup.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const targets: Target[] = [];
  for (let p = 0; p < Math.ceil(clients / KEYS.length); p++) {
    const res = await fetch(`${base}/functions/v1/business-plans`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: `Bench ${p}` }),
    });
    const planId = ((await res.json()) as { data: { id: string } }).data.id;
    for (const key of KEYS) {
      if (targets.length === clients) break;
      const saved = await fetch(`${base}/functions/v1/plan-sections/${key}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ planId, data: { n: 0 }, version: 0 }),
      });
      if (saved.status !== 200) throw new Error(`setup save answered ${saved.status}`);
      targets.push({ planId, key, version: 1 });
    }
  }
  return { headers, targets };
}

interface Sample {
  saves: number;
  errors: number;
  ms: number;
  latencies: number[];
}

/** Every client saves its own section back to back for `seconds`. */
async function measure(
  base: string,
  headers: Record<string, string>,
  targets: Target[],
  seconds: number,
): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let budget = MAX_REQUESTS;
  const text = 'x'.repeat(500);
  await Promise.all(
    targets.map(async (target) => {
      while (performance.now() < deadline && budget-- > 0) {
        const t0 = performance.now();
        const res = await fetch(`${base}/functions/v1/plan-sections/${target.key}`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({
            planId: target.planId,
            data: { n: target.version, text },
            version: target.version,
          }),
        });
        const body = (await res.json()) as { data?: { version: number } };
        latencies.push(performance.now() - t0);
        if (res.status === 200 && body.data) target.version = body.data.version;
        else errors += 1;
      }
    }),
  );
  return { saves: latencies.length - errors, errors, ms: performance.now() - started, latencies };
}

const merge = (a: Sample, b: Sample): Sample => ({
  saves: a.saves + b.saves,
  errors: a.errors + b.errors,
  ms: a.ms + b.ms,
  latencies: a.latencies.concat(b.latencies),
});

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Row {
  adapter: string;
  clients: number;
  mode: string;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

function row(adapter: string, clients: number, mode: string, s: Sample): Row {
  const sorted = s.latencies.slice().sort((a, b) => a - b);
  return {
    adapter,
    clients,
    mode,
    perSecond: (s.saves / s.ms) * 1000,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    errors: s.errors,
  };
}

async function benchAdapter(adapter: string): Promise<Row[]> {
  const { child, ports } = await startChild(adapter);
  const rows: Row[] = [];
  try {
    const atomicBase = `http://127.0.0.1:${ports.atomic}`;
    const plainBase = `http://127.0.0.1:${ports.plain}`;
    for (const clients of CLIENT_COUNTS) {
      // The same user and sections for both modes: the plain server shares the database.
      const { headers, targets } = await prepare(atomicBase, clients);
      await measure(atomicBase, headers, targets, WARM_UP_SECONDS); // warm-up
      await measure(plainBase, headers, targets, WARM_UP_SECONDS);
      let atomic: Sample = { saves: 0, errors: 0, ms: 0, latencies: [] };
      let plain: Sample = { ...atomic, latencies: [] };
      // Alternate which mode goes first, so neither always runs on a warmer (or more bloated)
      // table. The plain UPDATE bumps the version as well (same trigger): targets stay in step.
      for (let round = 0; round < ROUNDS; round++) {
        const runAtomic = async () =>
          (atomic = merge(atomic, await measure(atomicBase, headers, targets, SECONDS)));
        const runPlain = async () =>
          (plain = merge(plain, await measure(plainBase, headers, targets, SECONDS)));
        if (round % 2 === 0) {
          await runAtomic();
          await runPlain();
        } else {
          await runPlain();
          await runAtomic();
        }
      }
      rows.push(row(adapter, clients, 'atomic save', atomic));
      rows.push(row(adapter, clients, 'plain UPDATE', plain));
      process.stderr.write(`  ${adapter}, ${clients} client(s) done\n`);
    }
  } finally {
    await stopChild(child);
  }
  return rows;
}

function table(rows: Row[]) {
  const header = [
    'adapter',
    'clients',
    'save',
    'saves/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'atomic ÷ plain',
  ];
  const lines = [header];
  for (const r of rows) {
    const partner = rows.find(
      (o) => o.adapter === r.adapter && o.clients === r.clients && o.mode === 'plain UPDATE',
    );
    lines.push([
      r.adapter,
      String(r.clients),
      r.mode,
      r.perSecond.toFixed(0),
      r.p50.toFixed(1),
      r.p95.toFixed(1),
      r.p99.toFixed(1),
      String(r.errors),
      r.mode === 'atomic save' && partner ? (r.perSecond / partner.perSecond).toFixed(2) : '',
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    fmt(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.slice(1).map(fmt),
  ].join('\n');
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `bench:server — ${SECONDS} s × ${ROUNDS} rounds per mode, interleaved; load average before: ${load()}`,
);
const rows = await benchAdapter('pglite');
if (await postgresAvailable()) rows.push(...(await benchAdapter('postgres')));
else console.log('(Postgres not reachable: only PGlite measured)');
console.log(table(rows));
console.log(`load average after: ${load()} (2 cores; other work on the machine skews the figures)`);
