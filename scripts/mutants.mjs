// A mutation score for the pure engine (docs/testing.md): small, mechanical changes to
// worker/engine's code (a comparison flipped, && for ||, true for false, a `!` dropped, an
// off-by-one), each in a COPY of the tree, and the engine's tests run against it. A mutant the
// tests pass on "survived": a change to the engine no test notices. The working tree is never
// touched. Not part of `npm test`: it is a measure, not a gate (some mutants are equivalent).
//
//   npm run test:mutants                 an even sample of MUTANTS (default 30) of every site
//   MUTANTS=all npm run test:mutants     every site (slow: ~5 s each on 2 cores)
//   MUTANTS_MIN=0.8 …                    exit 1 when the score is below this
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyTree, runTests } from './planted.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  'worker/engine/step.ts',
  'worker/engine/merge.ts',
  'worker/engine/merge-text.ts',
  'worker/engine/freshness.ts',
  'worker/engine/json.ts',
  'worker/engine/constants.ts',
];
const TESTS = { runner: 'vitest', files: ['worker/engine'] };
// The engine fuzzes on 20 fixed seeds (their full runs are `npm test`'s): fast enough per mutant.
const ENV = { ENGINE_FUZZ_SEEDS: Array.from({ length: 20 }, (_, i) => i + 1).join(',') };
const TIMEOUT_MS = 120_000;

/** [pattern, replacement, name]: each match on a code line is one mutant. */
const OPERATORS = [
  [/ === /g, ' !== ', '=== → !=='],
  [/ !== /g, ' === ', '!== → ==='],
  [/ >= /g, ' > ', '>= → >'],
  [/ <= /g, ' < ', '<= → <'],
  [/ > /g, ' >= ', '> → >='],
  [/ < /g, ' <= ', '< → <='],
  [/ && /g, ' || ', '&& → ||'],
  [/ \|\| /g, ' && ', '|| → &&'],
  [/\btrue\b/g, 'false', 'true → false'],
  [/\bfalse\b/g, 'true', 'false → true'],
  [/\(!(?=[\w.(])/g, '(', 'drop !'],
  [/ \+ 1\b/g, ' + 0', '+ 1 → + 0'],
  [/ - 1\b/g, ' - 0', '- 1 → - 0'],
];

/** Lines that are code (not comments, imports or type declarations). */
function isCode(line) {
  const t = line.trim();
  return !(
    t === '' ||
    t.startsWith('//') ||
    t.startsWith('*') ||
    t.startsWith('/*') ||
    t.startsWith('import ') ||
    t.startsWith('export type ') ||
    t.startsWith('type ') ||
    t.startsWith('export interface ') ||
    t.startsWith('interface ') ||
    t.startsWith('|')
  );
}

function sites() {
  const all = [];
  for (const file of FILES) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (!isCode(line)) return;
      for (const [pattern, replacement, name] of OPERATORS)
        for (const match of line.matchAll(pattern)) {
          const at = match.index;
          const mutated = line.slice(0, at) + replacement + line.slice(at + match[0].length);
          all.push({ file, line: index + 1, name, original: line, mutated });
        }
    });
  }
  return all;
}

/** An even, deterministic sample: the same mutants every run until the code changes. */
function sample(all, count) {
  if (count >= all.length) return all;
  return Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)]);
}

function main() {
  const all = sites();
  const wanted = process.env.MUTANTS === 'all' ? all.length : Number(process.env.MUTANTS ?? 30);
  const mutants = sample(all, wanted);
  const dir = copyTree();
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.on(signal, () => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  console.log(`mutants: ${mutants.length} of ${all.length} sites, in a copy at ${dir}`);
  const survived = [];
  let killed = 0;
  try {
    const baseline = runTests(dir, TESTS, ENV, TIMEOUT_MS);
    console.log(`baseline ${baseline.ok ? 'green' : 'RED'} (${baseline.seconds.toFixed(0)} s)`);
    if (!baseline.ok) {
      console.error(baseline.output.slice(-4000));
      process.exitCode = 1;
      return;
    }
    for (const [i, m] of mutants.entries()) {
      const file = join(dir, m.file);
      const original = readFileSync(file, 'utf8');
      const lines = original.split('\n');
      lines[m.line - 1] = m.mutated;
      writeFileSync(file, lines.join('\n'));
      try {
        const run = runTests(dir, TESTS, ENV, TIMEOUT_MS);
        const verdict = run.ok ? 'SURVIVED' : run.timedOut ? 'killed (timeout)' : 'killed';
        if (run.ok) survived.push(m);
        else killed += 1;
        console.log(
          `${String(i + 1).padStart(3)} ${verdict.padEnd(16)} ${m.file}:${m.line} ${m.name} (${run.seconds.toFixed(0)} s)`,
        );
      } finally {
        writeFileSync(file, original);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const score = killed / mutants.length;
  console.log(
    `mutants: score ${(100 * score).toFixed(1)} % (${killed} killed of ${mutants.length})`,
  );
  for (const m of survived)
    console.log(
      `  survived ${m.file}:${m.line} ${m.name}\n    ${m.original.trim()}\n    ${m.mutated.trim()}`,
    );
  const min = Number(process.env.MUTANTS_MIN ?? 0);
  if (score < min) process.exitCode = 1;
}

main();
