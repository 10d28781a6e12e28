// `npm run bench`: every benchmark in turn, each printing its tables (docs/testing.md §17).
//
//   npm run bench                     every bench, full length
//   npm run bench -- --quick          a short version of every bench (MPFS_BENCH_QUICK=1)
//   npm run bench -- --quick --cheap  only the cheap ones (what `npm test` runs, §17)
//   npm run bench -- engine size      only these (by name)
// Stops at the first bench that fails; asserts nothing about time.
import { spawnSync } from 'node:child_process';

/** In the order they run; `cheap`: its quick version takes seconds, not minutes. */
const BENCHES = [
  { name: 'engine', script: 'bench:engine', cheap: true },
  { name: 'size', script: 'bench:size', cheap: true },
  { name: 'server', script: 'bench:server', cheap: true },
  { name: 'cold-start', script: 'bench:cold-start', cheap: true },
  { name: 'durable', script: 'bench:durable', cheap: true },
  { name: 'engines', script: 'bench:engines', cheap: false },
  { name: 'compare', script: 'bench:compare', cheap: false },
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const cheap = args.includes('--cheap');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(
    `No bench named ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
const chosen = BENCHES.filter(
  (b) => (names.length === 0 || names.includes(b.name)) && (!cheap || b.cheap),
);
const env = { ...process.env, ...(quick ? { MPFS_BENCH_QUICK: '1' } : {}) };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
for (const bench of chosen) {
  const start = Date.now();
  console.log(`\n== ${bench.script}${quick ? ' (quick)' : ''}`);
  const run = spawnSync(npm, ['run', '--silent', bench.script], { stdio: 'inherit', env });
  console.log(`== ${bench.script}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  if (run.status !== 0) {
    console.error(
      `${bench.script} failed (exit ${run.status ?? run.signal}): see its output above.`,
    );
    process.exit(run.status ?? 1);
  }
}
