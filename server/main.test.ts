// `npm start`'s entry (server/main.ts) as a real process: the printed URL, /health, data kept
// across a restart (database and JWT secret), a taken port, a data folder in use, clean stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfs-main-'));
const running = new Set<ChildProcess>();

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, STATIC_DIR: path.join(dataDir, 'no-build'), ...env },
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

async function waitForUrl(started: Started): Promise<string> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const match = /is running at (http:\/\/localhost:\d+)/.exec(started.output());
    if (match?.[1]) return match[1];
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not start:\n${started.output()}`);
}

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('server/main.ts (npm start)', () => {
  it('starts, keeps data across restarts, refuses a taken port or data folder, stops cleanly', async () => {
    const first = start({ DATA_DIR: path.join(dataDir, 'data'), PORT: '0' });
    const url = await waitForUrl(first);
    expect(first.output()).toContain(`Data is kept in ${path.join(dataDir, 'data')}`);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true });
    const port = new URL(url).port;
    // localhost answers on both loopback addresses.
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    const signup = await fetch(`${url}/auth/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'keep@example.com', password: 'keep-password' }),
    });
    expect(signup.status).toBe(200);
    const { access_token: token } = (await signup.json()) as { access_token: string };
    const created = await fetch(`${url}/functions/v1/business-plans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'Kept' }),
    });
    expect(created.status).toBe(201);
    expect(statSync(path.join(dataDir, 'data', 'jwt-secret')).mode & 0o777).toBe(0o600);

    const portTaken = start({ DATA_DIR: path.join(dataDir, 'other'), PORT: port });
    expect(await portTaken.exited).toBe(1);
    expect(portTaken.output().trim().split('\n')).toHaveLength(1);
    expect(portTaken.output()).toMatch(/Port \d+ is already in use.*PORT=/);

    const dirTaken = start({ DATA_DIR: path.join(dataDir, 'data'), PORT: '0' });
    expect(await dirTaken.exited).toBe(1);
    expect(dirTaken.output()).toMatch(/Another myplanforsuccess .* is using/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Stopped.');

    const second = start({ DATA_DIR: path.join(dataDir, 'data'), PORT: '0' });
    const url2 = await waitForUrl(second);
    // Same secret: the old access token still works, and the plan is still there.
    const plans = await fetch(`${url2}/functions/v1/business-plans`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(plans.status).toBe(200);
    expect(((await plans.json()) as { data: Array<{ title: string }> }).data).toEqual([
      expect.objectContaining({ title: 'Kept' }),
    ]);
    const signIn = await fetch(`${url2}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'keep@example.com', password: 'keep-password' }),
    });
    expect(signIn.status).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });
});
