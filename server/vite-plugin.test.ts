// The Vite plugin: `vite` dev serves the same API as `npm start`.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'vite';
import { afterAll, expect, it } from 'vitest';
import { localApi } from './vite-plugin.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mpfs-vite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('mounts /health, /auth/v1 and /functions/v1 on the Vite dev server, once', async () => {
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>vite app</title>');
  const dataDir = path.join(dir, 'data');
  const plugin = localApi({ dataDir, testHooks: false });
  const server = await createServer({
    configFile: false,
    root: dir,
    logLevel: 'silent',
    plugins: [plugin, localApi({ dataDir })], // twice, as if in vite.config.ts and again by a caller
    server: { port: 0, host: '127.0.0.1' },
  });
  try {
    await server.listen();
    const address = server.httpServer?.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true });
    const signup = await fetch(`${base}/auth/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'vite@example.com', password: 'vite-password' }),
    });
    expect(signup.status).toBe(200);
    const { access_token: token } = (await signup.json()) as { access_token: string };
    const plans = await fetch(`${base}/functions/v1/business-plans`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(plans.status).toBe(200);
    expect((await fetch(`${base}/__test/stats`)).status).toBe(404);
    // Everything else is Vite's: the app's index.html.
    expect(await (await fetch(`${base}/plans`)).text()).toContain('vite app');
  } finally {
    await server.close();
  }
  expect(existsSync(path.join(dataDir, 'server.pid'))).toBe(false);
});
