// The planted-bug check (docs/testing.md): for each known-dangerous bug, patch a COPY of the
// source tree with it, run the tests that should catch it, and fail unless every plant is caught.
// The working tree is never touched. Each plant is one exact text replacement that must match
// exactly once: when the code it targets changes, the script stops and names the plant to update.
//
//   npm run test:planted              every plant
//   npm run test:planted -- cas lock  only these (by id)
//   PLANTED_KEEP=1 …                  keep the copy (its path is printed) to look at it
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const vitest = (...files) => ({ runner: 'vitest', files });
const playwright = (...files) => ({ runner: 'playwright', files });

/** The plants: where, the exact text, what replaces it, and the tests that must go red. */
export const PLANTS = [
  {
    id: 'cas',
    bug: 'compare-and-set removed: a save overwrites whatever version the server holds',
    file: 'supabase/migrations/20261125150000_save_mutation_id.sql',
    find: '      and version = p_version\n      and version < 2147483647\n',
    replace: '      and version < 2147483647\n',
    tests: vitest(
      'supabase/functions/_shared/fuzz.pglite.test.ts',
      'supabase/functions/_shared/api.pglite.test.ts',
    ),
  },
  {
    id: 'refresh',
    bug: 'Refresh (Load Latest) drops every local edit, not only the clashing fields (M7)',
    file: 'worker/engine/step.ts',
    find: "      const local = resolveMerge(merge, input.choice === 'refresh' ? 'theirs' : 'mine');\n",
    replace:
      "      const local =\n        input.choice === 'refresh' ? { ...s.conflict.serverData } : resolveMerge(merge, 'mine');\n",
    tests: vitest('worker'),
  },
  {
    id: 'outbox',
    bug: 'an outbox write dropped: edits are never put in IndexedDB',
    file: 'worker/host.ts',
    find: "    else if (effect.outbox)\n      ops.push({\n        op: 'put-outbox',\n",
    replace:
      "    else if (effect.outbox && Math.random() > 2)\n      ops.push({\n        op: 'put-outbox',\n",
    tests: vitest('worker'),
  },
  {
    id: 'lock',
    bug: 'the writer lock excludes nothing: two workers may save for one user at once (R19)',
    file: 'worker/adapters/web-locks.ts',
    find: '  return locks.request(name, task) as Promise<T>;\n',
    replace: '  return void locks, void name, task();\n',
    tests: playwright('e2e/web-locks.spec.ts'),
  },
  {
    id: 'merge',
    bug: "a merge that takes one side whole: the other device's fields are overwritten (M1–M4)",
    file: 'worker/engine/merge.ts',
    find: '  return mergeRecords(base, mine, theirs);\n',
    replace: '  return void base, void theirs, { merged: { ...mine }, conflicts: [] };\n',
    tests: vitest('worker'),
  },
];

const FUZZ_ENV = { FUZZ_COUNT: '400' };

/** The files a checkout would have, with uncommitted changes: tracked and untracked, not ignored. */
export function copyTree() {
  const dir = mkdtempSync(join(tmpdir(), 'mpfs-planted-'));
  const listed = spawnSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const to = join(dir, file);
    mkdirSync(dirname(to), { recursive: true });
    try {
      cpSync(join(ROOT, file), to);
    } catch (error) {
      // A file deleted in the working tree but still in the index is simply not in the copy.
      if (error.code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export function runTests(dir, tests, env = FUZZ_ENV, timeoutMs = undefined) {
  const [bin, args] =
    tests.runner === 'vitest'
      ? ['node_modules/vitest/vitest.mjs', ['run', '--bail=1', ...tests.files]]
      : ['node_modules/@playwright/test/cli.js', ['test', '--max-failures=1', ...tests.files]];
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(dir, bin), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env, CI: '1', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return {
    ok: result.status === 0,
    timedOut: result.error?.code === 'ETIMEDOUT',
    seconds: (Date.now() - started) / 1000,
    output,
  };
}

const describeTests = (tests) => `${tests.runner} ${tests.files.join(' ')}`;
const failedTests = (output) =>
  [
    ...new Set(
      output
        // eslint-disable-next-line no-control-regex -- the runners' colour codes
        .replace(/\x1b\[[0-9;]*m/g, '')
        .split('\n')
        .filter((l) => /^\s*(FAIL\s|✘)/.test(l)),
    ),
  ]
    .slice(0, 4)
    .map((l) => `      ${l.trim().slice(0, 160)}`)
    .join('\n');

function main() {
  const only = process.argv.slice(2);
  const plants = only.length ? PLANTS.filter((p) => only.includes(p.id)) : PLANTS;
  const unknown = only.filter((id) => !PLANTS.some((p) => p.id === id));
  if (unknown.length) {
    console.error(
      `unknown plant(s): ${unknown.join(', ')} (known: ${PLANTS.map((p) => p.id).join(', ')})`,
    );
    process.exit(2);
  }

  // Every pattern first: a stale one is a loud stop before anything runs.
  const stale = [];
  for (const plant of plants) {
    const text = readFileSync(join(ROOT, plant.file), 'utf8');
    const found = text.split(plant.find).length - 1;
    if (found !== 1)
      stale.push(
        `plant "${plant.id}": its text is found ${found} times in ${plant.file} (must be exactly once) — the code changed: update this plant in scripts/planted.mjs`,
      );
  }
  if (stale.length) {
    for (const line of stale) console.error(line);
    process.exit(1);
  }

  const dir = copyTree();
  console.log(`planted: a copy of the tree in ${dir}`);
  const results = [];
  try {
    // The tests must pass on the unplanted copy, or a red run later proves nothing.
    const suites = [...new Map(plants.map((p) => [describeTests(p.tests), p.tests])).values()];
    for (const tests of suites) {
      const baseline = runTests(dir, tests);
      console.log(
        `baseline ${baseline.ok ? 'green' : 'RED'} (${baseline.seconds.toFixed(0)} s): ${describeTests(tests)}`,
      );
      if (!baseline.ok) {
        console.error(baseline.output.slice(-4000));
        console.error('planted: the tests fail without any plant; fix them first.');
        process.exitCode = 1;
        return;
      }
    }
    for (const plant of plants) {
      const file = join(dir, plant.file);
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace(plant.find, plant.replace));
      try {
        const run = runTests(dir, plant.tests);
        results.push({ plant, caught: !run.ok, seconds: run.seconds, output: run.output });
        console.log(
          `${run.ok ? 'MISSED' : 'caught'} ${plant.id} (${run.seconds.toFixed(0)} s): ${plant.bug}\n` +
            `    by ${describeTests(plant.tests)}` +
            (run.ok ? '' : `\n${failedTests(run.output)}`),
        );
      } finally {
        writeFileSync(file, original);
      }
    }
  } finally {
    if (process.env.PLANTED_KEEP) console.log(`planted: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const missed = results.filter((r) => !r.caught);
  if (missed.length) {
    console.error(
      `planted: ${missed.length} of ${results.length} plants went unnoticed: ${missed.map((r) => r.plant.id).join(', ')}`,
    );
    process.exitCode = 1;
  } else if (results.length) console.log(`planted: all ${results.length} plants caught`);
}

// scripts/mutants.mjs imports the copy and the runner; only a direct run plants.
if (process.argv[1] === fileURLToPath(import.meta.url)) main();
