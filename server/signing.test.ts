// Local mode's signing keys: made once in the data folder (mode 600), published as the JWKS, and
// sessions kept across a switch between HS256 (a shared secret, as before) and ES256 (default).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalServer, StartupError } from './local.ts';
import { SECRET_FILE, SIGNING_KEY_FILE, loadLocalSigning } from './signing-files.ts';

const root = mkdtempSync(path.join(tmpdir(), 'mpfs-signing-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const dir = path.join(root, `d${++n}`);
  mkdirSync(dir);
  return dir;
};
const mode = (file: string) => statSync(file).mode & 0o777;

describe('loadLocalSigning', () => {
  it('makes an ES256 key once (mode 600), and no secret, in a fresh folder', () => {
    const dir = freshDir();
    const first = loadLocalSigning(dir, {});
    expect(first.alg).toBe('ES256');
    expect(first.secret).toBeUndefined();
    expect(first.key).toMatchObject({ kty: 'EC', crv: 'P-256', kid: expect.any(String) });
    expect(mode(path.join(dir, SIGNING_KEY_FILE))).toBe(0o600);
    expect(() => statSync(path.join(dir, SECRET_FILE))).toThrow();
    expect(loadLocalSigning(dir, {}).key).toEqual(first.key);
  });

  it('keeps accepting an existing jwt-secret, and signs with it for JWT_ALG=HS256', () => {
    const dir = freshDir();
    const hs = loadLocalSigning(dir, { JWT_ALG: 'HS256' });
    expect(hs.alg).toBe('HS256');
    expect(hs.secret).toBe(readFileSync(path.join(dir, SECRET_FILE), 'utf8').trim());
    expect(mode(path.join(dir, SECRET_FILE))).toBe(0o600);
    expect(loadLocalSigning(dir, {})).toEqual({ alg: 'ES256', key: hs.key, secret: hs.secret });
    const env = { JWT_ALG: 'HS256', JWT_SECRET: 'from-the-environment-0123456789-abcdef' };
    expect(loadLocalSigning(dir, env).secret).toBe(env.JWT_SECRET);
  });

  it('refuses a bad JWT_ALG, a short JWT_SECRET and a damaged key file in one line', () => {
    const dir = freshDir();
    expect(() => loadLocalSigning(dir, { JWT_ALG: 'none' })).toThrow(
      /^JWT_ALG=none is not supported: use ES256/,
    );
    expect(() => loadLocalSigning(dir, { JWT_SECRET: 'short' })).toThrow(/JWT_SECRET is too short/);
    writeFileSync(path.join(dir, SIGNING_KEY_FILE), '{"kty":"EC"}');
    expect(() => loadLocalSigning(dir, {})).toThrow(StartupError);
    expect(() => loadLocalSigning(dir, {})).toThrow(/holds no ES256 signing key\. Delete it/);
  });
});

describe('a local server across a switch from HS256 to ES256', () => {
  it('keeps the old session: its access token works, its refresh token gets an ES256 token', async () => {
    const dataDir = freshDir();
    const request = async (
      server: Awaited<ReturnType<typeof openLocalServer>>,
      pathname: string,
      init: RequestInit = {},
    ) => server.app.fetch(new Request(`http://local${pathname}`, init));
    const json = (body: unknown) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    const before = await openLocalServer({ dataDir, env: { JWT_ALG: 'HS256' }, log: () => {} });
    let session: { access_token: string; refresh_token: string };
    try {
      const signup = await request(
        before,
        '/auth/v1/signup',
        json({ email: 'old@example.com', password: 'old-session-password' }),
      );
      expect(signup.status).toBe(200);
      session = (await signup.json()) as typeof session;
      expect(decodeProtectedHeader(session.access_token).alg).toBe('HS256');
    } finally {
      await before.close();
    }

    const after = await openLocalServer({ dataDir, env: {}, log: () => {} });
    try {
      const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
      expect(
        (await request(after, '/functions/v1/business-plans', bearer(session.access_token))).status,
      ).toBe(200);

      const jwksAnswer = await request(after, '/auth/v1/.well-known/jwks.json');
      expect(jwksAnswer.status).toBe(200);
      const jwks = (await jwksAnswer.json()) as { keys: Record<string, unknown>[] };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d');

      const refreshed = await request(
        after,
        '/auth/v1/token?grant_type=refresh_token',
        json({ refresh_token: session.refresh_token }),
      );
      expect(refreshed.status).toBe(200);
      const { access_token: token } = (await refreshed.json()) as { access_token: string };
      expect(decodeProtectedHeader(token)).toEqual({
        alg: 'ES256',
        typ: 'JWT',
        kid: jwks.keys[0]?.kid,
      });
      expect((await request(after, '/functions/v1/business-plans', bearer(token))).status).toBe(
        200,
      );
      expect((await request(after, '/auth/v1/user', bearer(token))).status).toBe(200);
    } finally {
      await after.close();
    }
  });
});
