// Test helper: server/main.ts (what `npm start` runs) as a child process on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Spawns server/main.ts with `env` (PORT 0 unless given); does not wait for it to listen. */
export function spawnServer(env: Record<string, string>, as: { uid?: number; gid?: number } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    ...as,
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      STATIC_DIR: '/nonexistent-mpfs-build',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

/** Spawns the server and waits (≤ 60 s) for the URL it prints. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const started = spawnServer(env);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const match = /is running at (http:\/\/localhost:\d+)/.exec(started.output());
    if (match?.[1]) return { ...started, url: match[1].replace('localhost', '127.0.0.1') };
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  started.child.kill('SIGKILL');
  throw new Error(`the server did not start:\n${started.output()}`);
}

/** Kills every server this helper started and that is still running (by its pid). */
export function stopAll() {
  for (const child of running) child.kill('SIGKILL');
}
