// Hosted mode: a build with VITE_SUPABASE_URL and a publishable key, served from its own origin,
// talking to "the project" (the local server, standing in for Supabase Auth and the functions).
// supabase-js signs in and refreshes there, and each token it refreshes reaches the worker from
// the tab: after every older token is revoked, the next edit is saved with one PUT, no 401.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { serveStatic } from '../server/static.ts';
import {
  BASE_URL,
  createPlan,
  createUser,
  expect,
  expectSaved,
  putCount,
  revokeAccessTokens,
  serverSection,
  signIn,
  test,
} from './fixtures.ts';

const FIELD = 'Why do you want to start this business?';
const PUBLISHABLE_KEY = 'sb_publishable_e2e-hosted-build';

let build = '';
let site: Server | undefined;
let siteUrl = '';

test.beforeAll(async () => {
  build = mkdtempSync(join(tmpdir(), 'mpfs-build-hosted-'));
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error', '--outDir', build],
    {
      env: {
        ...process.env,
        VITE_SUPABASE_URL: BASE_URL,
        VITE_SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
      },
      stdio: 'inherit',
    },
  );
  // The app's own origin (a static host), not the API's.
  const listener = getRequestListener(
    async (request) =>
      (await serveStatic(build, new URL(request.url).pathname, request.method)) ??
      new Response('not found', { status: 404 }),
  );
  const server = createServer(listener);
  site = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  if (site) await new Promise((resolve) => site?.close(resolve));
  if (build) rmSync(build, { recursive: true, force: true });
});

test('a hosted build signs in with the project, and each refreshed token reaches the worker', async ({
  browser,
}) => {
  expect(new URL(siteUrl).origin).not.toBe(new URL(BASE_URL).origin);
  const user = await createUser();
  const planId = await createPlan(user);
  const context = await browser.newContext({ baseURL: siteUrl });
  try {
    await context.clock.install();
    const authCalls: { url: string; apikey: string | null; status?: number }[] = [];
    context.on('request', (request) => {
      if (request.url().startsWith(`${BASE_URL}/auth/v1/`) && request.method() === 'POST')
        authCalls.push({ url: request.url(), apikey: request.headers()['apikey'] ?? null });
    });

    const page = await context.newPage();
    await signIn(page, user);
    expect(authCalls.map((call) => new URL(call.url).search)).toEqual(['?grant_type=password']);
    expect(authCalls[0]?.apikey).toBe(PUBLISHABLE_KEY);

    await page.goto(`/plans/${planId}/section-one`);
    await page.getByLabel(FIELD).fill('signed in with the project');
    await expectSaved(page);
    expect(await putCount(planId, 'section-one')).toBe(1);

    // Every token issued so far stops working; supabase-js's next refresh makes a new one.
    await revokeAccessTokens(user);
    const refreshed = context.waitForEvent(
      'response',
      (response) =>
        response.url() === `${BASE_URL}/auth/v1/token?grant_type=refresh_token` &&
        response.status() === 200,
    );
    // Near the token's expiry (one hour), supabase-js refreshes it on its own.
    await context.clock.fastForward('59:10');
    await refreshed;

    await page.getByLabel(FIELD).fill('saved with the refreshed token');
    await expectSaved(page);
    // One more PUT, answered 200: the worker already had the new token (a 401 would add a retry).
    expect(await putCount(planId, 'section-one')).toBe(2);
    // The fixture's own token was revoked too: read the section with a fresh one.
    const signedIn = await fetch(`${BASE_URL}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    const { access_token: accessToken } = (await signedIn.json()) as { access_token: string };
    const reader = { ...user, accessToken };
    expect((await serverSection(reader, planId, 'section-one'))?.data.motivation).toBe(
      'saved with the refreshed token',
    );
  } finally {
    await context.close();
  }
});
