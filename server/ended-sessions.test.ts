// Local mode: after POST /auth/v1/logout the functions refuse that session's access tokens at
// once (not at `exp`), while the user's other sessions keep working.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServerApp } from './app.ts';
import { TEST_SIGNING, createPgliteTestDatabase, type TestDatabase } from './test-support.ts';

let env: TestDatabase;
beforeAll(async () => {
  env = await createPgliteTestDatabase();
});
afterAll(async () => {
  await env?.close();
});
beforeEach(async () => {
  await env.truncate();
});

type Session = { access_token: string; refresh_token: string };
const json = { 'content-type': 'application/json' };
const credentials = { email: 'shared-profile@example.com', password: 'correct horse battery' };

function setup() {
  const app = createServerApp({ db: env.db, signing: TEST_SIGNING, log: () => {} });
  const session = async (path: string, body: unknown) => {
    const res = await app.request(path, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Session;
  };
  const plans = (token: string) =>
    app.request('/functions/v1/business-plans', { headers: { authorization: `Bearer ${token}` } });
  const logout = (token: string, scope: string) =>
    app.request(`/auth/v1/logout?scope=${scope}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
  return {
    plans,
    logout,
    signUp: () => session('/auth/v1/signup', credentials),
    signIn: () => session('/auth/v1/token?grant_type=password', credentials),
    refresh: (s: Session) =>
      session('/auth/v1/token?grant_type=refresh_token', { refresh_token: s.refresh_token }),
  };
}

describe('a signed-out session at the functions', () => {
  it('is refused with 401 after logout; the same user’s other session still works', async () => {
    const server = setup();
    const first = await server.signUp();
    const second = await server.signIn();
    expect((await server.plans(first.access_token)).status).toBe(200);

    expect((await server.logout(first.access_token, 'local')).status).toBe(204);
    const refused = await server.plans(first.access_token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ success: false, error: 'UNAUTHORIZED' });
    expect((await server.plans(second.access_token)).status).toBe(200);
  });

  it('refuses every access token the session was given, refreshed ones included', async () => {
    const server = setup();
    const signedIn = await server.signUp();
    const refreshed = await server.refresh(signedIn);
    expect((await server.plans(refreshed.access_token)).status).toBe(200);

    expect((await server.logout(refreshed.access_token, 'local')).status).toBe(204);
    for (const token of [signedIn.access_token, refreshed.access_token])
      expect((await server.plans(token)).status).toBe(401);
  });

  it('global logout ends every session of the user', async () => {
    const server = setup();
    const first = await server.signUp();
    const second = await server.signIn();
    expect((await server.logout(first.access_token, 'global')).status).toBe(204);
    expect((await server.plans(second.access_token)).status).toBe(401);
    // A new sign-in is a new session, and works.
    expect((await server.plans((await server.signIn()).access_token)).status).toBe(200);
  });
});
