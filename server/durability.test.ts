// `kill -9` during a stream of saves, then start again on the same data folder: every save that
// was answered 200 is there (a save in flight at the kill may or may not be). Real processes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startServer, stopAll, type ServerProcess } from './process-support.ts';

const root = mkdtempSync(path.join(tmpdir(), 'mpfs-kill9-'));
afterAll(() => {
  stopAll();
  rmSync(root, { recursive: true, force: true });
});

const KEYS = ['section-one', 'section-two', 'section-three'] as const;
// Three kill -9s, then a SIGTERM in the middle of the same stream of saves.
const SIGNALS = ['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGTERM'] as const;

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

it('keeps every acknowledged save across kill -9 (three times) and a SIGTERM mid-stream', async () => {
  const dataDir = path.join(root, 'data');
  let server: ServerProcess = await startServer({ DATA_DIR: dataDir });
  const signup = await fetch(`${server.url}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'kill@example.com', password: 'kill-password' }),
  });
  const { access_token: token } = await json<{ access_token: string }>(signup);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${server.url}/functions/v1/business-plans`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: 'Durable' }),
  });
  const planId = (await json<{ data: { id: string } }>(created)).data.id;
  // The version each section was last acknowledged at (200), across all cycles.
  const acked = new Map<string, number>(KEYS.map((key) => [key, 0]));

  for (const [index, signal] of SIGNALS.entries()) {
    const cycle = index + 1;
    const base = server.url;
    let stop = false;
    const ackedThisCycle = new Set<string>();
    const writers = KEYS.map(async (key) => {
      let version = acked.get(key) ?? 0;
      // Bounded: at most 2,000 saves per writer per cycle, and the kill ends it sooner.
      for (let i = 0; i < 2_000 && !stop; i++) {
        let res: Response;
        try {
          res = await fetch(`${base}/functions/v1/plan-sections/${key}`, {
            method: 'PUT',
            headers,
            body: JSON.stringify({ planId, data: { counter: version + 1, key }, version }),
          });
        } catch {
          return; // the server is gone
        }
        if (res.status !== 200) throw new Error(`save answered ${res.status}`);
        version = (await json<{ data: { version: number } }>(res)).data.version;
        acked.set(key, version);
        ackedThisCycle.add(key);
      }
    });
    // Kill only once every writer has had a save acknowledged (≤ 20 s, however loaded the
    // machine), then at a different moment each cycle.
    for (let waited = 0; ackedThisCycle.size < KEYS.length && waited < 20_000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ackedThisCycle.size, 'every writer got a save through before the kill').toBe(
      KEYS.length,
    );
    await new Promise((resolve) => setTimeout(resolve, 200 + cycle * 250));
    server.child.kill(signal);
    stop = true;
    await Promise.all(writers);
    const code = await server.exited;
    if (signal === 'SIGTERM') {
      // A clean stop: exit 0, "Stopped.", the folder's lock released.
      expect(code, server.output()).toBe(0);
      expect(server.output()).toContain('Stopped.');
    }

    server = await startServer({ DATA_DIR: dataDir });
    const list = await fetch(`${server.url}/functions/v1/plan-sections?planId=${planId}`, {
      headers,
    });
    expect(list.status).toBe(200);
    const sections = (
      await json<{
        data: Array<{ section_key: string; version: number; data: { counter: number } }>;
      }>(list)
    ).data;
    for (const key of KEYS) {
      const stored = sections.find((s) => s.section_key === key);
      const want = acked.get(key) ?? 0;
      const version = stored?.version ?? 0;
      // The save in flight at the kill may have committed without its answer arriving.
      expect(version, `${key} after ${signal} ${cycle}`).toBeGreaterThanOrEqual(want);
      expect(version, `${key} after ${signal} ${cycle}`).toBeLessThanOrEqual(want + 1);
      expect(stored?.data.counter, key).toBe(version);
      acked.set(key, version);
    }
    console.log(
      `${signal} #${cycle}: acknowledged versions ${KEYS.map((k) => acked.get(k)).join(', ')} all present after restart`,
    );
  }
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
});
