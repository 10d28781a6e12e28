// Test helper: the Edge Functions under Deno (the npm package `deno`), as Supabase's Edge Runtime
// runs them — each with its own deno.json, served on a loopback port, talking to a real Postgres.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../process-support.ts';
import { freePort } from './supabase-cluster.ts';

const run = promisify(execFile);

export const FUNCTION_NAMES = ['business-plans', 'plan-sections'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

const DENO = path.join(ROOT, 'node_modules', '.bin', 'deno');
/** Deno's module cache: gitignored with node_modules, so a fresh clone starts cold but clean. */
export const DENO_DIR = path.join(ROOT, 'node_modules', '.cache', 'deno');

const functionDir = (name: FunctionName) => path.join(ROOT, 'supabase', 'functions', name);

/**
 * `--config` makes Deno use the function's own import map (from the repo root, package.json would
 * win); `--frozen` makes a deno.lock that no longer matches deno.json an error, not a rewrite.
 */
const denoArgs = (name: FunctionName) => [
  '--frozen',
  '--config',
  path.join(functionDir(name), 'deno.json'),
];

/** The environment without anything a function reads, so only what a test passes reaches it. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DENO_DIR, NO_COLOR: '1' };
  for (const key of Object.keys(env))
    if (key.startsWith('SUPABASE_') || key === 'JWT_SECRET' || key.startsWith('DENO_SERVE'))
      delete env[key];
  return { ...env, ...extra };
}

/** `deno check` of one function, as `supabase functions deploy` would type-check it. */
export async function denoCheck(name: FunctionName): Promise<void> {
  const args = ['check', ...denoArgs(name), path.join(functionDir(name), 'index.ts')];
  await run(DENO, args, { cwd: ROOT, env: cleanEnv({}) }).catch((error: unknown) => {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`deno check ${name} failed:\n${stderr}${stdout}`);
  });
}

export interface DenoFunction {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `deno run` of one function on a free loopback port; waits for Deno's "Listening on" line. */
export async function startDenoFunction(
  name: FunctionName,
  env: Record<string, string>,
): Promise<DenoFunction> {
  const port = await freePort();
  const child = spawn(
    DENO,
    [
      'run',
      '--allow-net',
      '--allow-env',
      ...denoArgs(name),
      path.join(functionDir(name), 'index.ts'),
    ],
    {
      cwd: ROOT,
      env: cleanEnv({ ...env, DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not listen within 60 s'), 60_000);
    function fail(why: string) {
      clearTimeout(timer);
      reject(new Error(`Deno function ${name} ${why}:\n${output}`));
    }
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Listening on ${url}/`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => fail(`exited (${code})`));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, output: () => output, stop };
}
