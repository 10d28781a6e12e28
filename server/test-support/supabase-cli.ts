// Test helper: the Supabase CLI (the npm package `supabase`, pinned) against a database URL, the
// offline form of what docs/deploy-supabase.md runs against a project.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../process-support.ts';

const run = promisify(execFile);
const SUPABASE = path.join(ROOT, 'node_modules', '.bin', 'supabase');

/** The CLI's stdout and stderr together; throws with both when it exits non-zero. */
export async function supabaseCli(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(SUPABASE, [...args, '--workdir', ROOT], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return stderr + stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const said = `${stderr}${stdout}` || String(error); // e.g. ENOENT: run npm install
    throw new Error(`supabase ${args.join(' ')} failed:\n${said}`);
  }
}

/** `supabase db push` of supabase/migrations/ (the local server has no TLS: sslmode=disable). */
export const supabaseDbPush = (dbUrl: string) =>
  supabaseCli(['db', 'push', '--db-url', `${dbUrl}?sslmode=disable`]);
