// The token verifier's table of good and forged tokens, the JWKS fetch path (cache, bounded
// refetch, an endpoint that is down), and the functions' start-up settings (function-env.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SignJWT,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError, JWKS_PATH, SigningKeysUnavailable, createTokenVerifier } from './auth.ts';
import { MISSING_KEYS_MESSAGE, readFunctionEnv } from './function-env.ts';

const SUB = '5b0e7a3c-1f2d-4c5b-9a8e-7d6c5b4a3f21';
const SECRET = 'legacy-hs256-secret-legacy-hs256-secret-0123';
const now = () => Math.floor(Date.now() / 1000);

interface Pair {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function pair(alg: 'ES256' | 'RS256', kid: string): Promise<Pair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const GOOD_CLAIMS = { role: 'authenticated', aud: 'authenticated', email: 'a@example.com' };

/** Good claims, with `overrides` (an undefined value removes that claim). */
function claims(overrides: Record<string, unknown> = {}) {
  const body: Record<string, unknown> = {
    ...GOOD_CLAIMS,
    sub: SUB,
    exp: now() + 600,
    ...overrides,
  };
  for (const [name, value] of Object.entries(body)) if (value === undefined) delete body[name];
  return body;
}

const sign = (
  key: CryptoKey | Uint8Array,
  header: { alg: string; kid?: string },
  overrides?: Record<string, unknown>,
) => new SignJWT(claims(overrides)).setProtectedHeader({ typ: 'JWT', ...header }).sign(key);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const secretBytes = (text: string) => new TextEncoder().encode(text);

let es: Pair;
let rs: Pair;
let esImpostor: Pair;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  es = await pair('ES256', 'es-key-1');
  rs = await pair('RS256', 'rs-key-1');
  esImpostor = await pair('ES256', 'es-key-1');
  jwks = { keys: [es.publicJwk, rs.publicJwk] };
});

async function outcome(verify: (token: string) => Promise<unknown>, token: string) {
  try {
    await verify(token);
    return 'accepted';
  } catch (error) {
    if (error instanceof AuthError) return 'refused';
    throw error;
  }
}

describe('the verifier, with SUPABASE_JWKS and a legacy secret', () => {
  it('accepts good ES256, RS256 and HS256 tokens and returns their claims', async () => {
    const verify = createTokenVerifier({ jwks, hsSecret: SECRET });
    const tokens = [
      await sign(es.privateKey, { alg: 'ES256', kid: es.kid }),
      await sign(rs.privateKey, { alg: 'RS256', kid: rs.kid }),
      await sign(secretBytes(SECRET), { alg: 'HS256' }),
    ];
    for (const token of tokens)
      expect(await verify(token)).toEqual({
        sub: SUB,
        role: 'authenticated',
        email: 'a@example.com',
      });
  });

  it('refuses every forged or wrong token with a 401 message', async () => {
    const verify = createTokenVerifier({ jwks, hsSecret: SECRET });
    const good = await sign(es.privateKey, { alg: 'ES256', kid: es.kid });
    const [, payload] = good.split('.') as [string, string, string];
    const publicAsSecret = secretBytes(JSON.stringify(es.publicJwk));
    const bad: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      'alg none with a kid': `${b64({ alg: 'none', kid: es.kid })}.${payload}.`,
      'HS256 signed with the public key as secret': await sign(publicAsSecret, {
        alg: 'HS256',
        kid: es.kid,
      }),
      'RS256 header on the EC key': await sign(rs.privateKey, { alg: 'RS256', kid: es.kid }),
      'ES256 header on the RSA key': await sign(es.privateKey, { alg: 'ES256', kid: rs.kid }),
      'HS384 with the secret': await sign(secretBytes(SECRET), { alg: 'HS384' }),
      'PS256 with the RSA key': await sign(rs.privateKey, { alg: 'PS256', kid: rs.kid }).catch(
        () => `${b64({ alg: 'PS256', kid: rs.kid })}.${payload}.AAAA`,
      ),
      'unknown kid': await sign(es.privateKey, { alg: 'ES256', kid: 'no-such-key' }),
      'another key under a known kid': await sign(esImpostor.privateKey, {
        alg: 'ES256',
        kid: es.kid,
      }),
      'missing kid': await sign(es.privateKey, { alg: 'ES256' }),
      'another HS256 secret': await sign(secretBytes(`${SECRET}-other`), { alg: 'HS256' }),
      'wrong aud': await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { aud: 'anon' }),
      'no aud': await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { aud: undefined }),
      'wrong role': await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { role: 'anon' }),
      service_role: await sign(
        es.privateKey,
        { alg: 'ES256', kid: es.kid },
        { role: 'service_role' },
      ),
      'no role': await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { role: undefined }),
      expired: await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { exp: now() - 120 }),
      'no exp': await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { exp: undefined }),
      'non-UUID sub': await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { sub: 'alice' }),
      'no sub': await sign(es.privateKey, { alg: 'ES256', kid: es.kid }, { sub: undefined }),
      'flipped signature': `${good.slice(0, -3)}${good.endsWith('AAA') ? 'BBB' : 'AAA'}`,
      garbage: 'not-a-jwt',
    };
    const results = Object.fromEntries(
      await Promise.all(
        Object.entries(bad).map(async ([name, token]) => [name, await outcome(verify, token)]),
      ),
    );
    expect(results).toEqual(Object.fromEntries(Object.keys(bad).map((name) => [name, 'refused'])));
    // Each for its own reason, not by accident.
    const reasons: Record<string, RegExp> = {
      'alg none': /algorithm none is refused/,
      'unknown kid': /key this project does not know/,
      'RS256 header on the EC key': /key this project does not know/,
      'another key under a known kid': /signature does not match/,
      'HS256 signed with the public key as secret': /signature does not match/,
      'missing kid': /no key id/,
      expired: /expired: sign in again/,
      'wrong aud': /claim aud/,
      'wrong role': /not a signed-in user/,
      'non-UUID sub': /names no user/,
    };
    for (const [name, reason] of Object.entries(reasons))
      await expect(verify(bad[name] ?? ''), name).rejects.toThrow(reason);
  });

  it('refuses HS256 without a legacy secret, and keyed tokens without keys', async () => {
    const keysOnly = createTokenVerifier({ jwks });
    const secretOnly = createTokenVerifier({ hsSecret: SECRET });
    const hs = await sign(secretBytes(SECRET), { alg: 'HS256' });
    const esToken = await sign(es.privateKey, { alg: 'ES256', kid: es.kid });
    expect(await outcome(keysOnly, hs)).toBe('refused');
    expect(await outcome(keysOnly, esToken)).toBe('accepted');
    expect(await outcome(secretOnly, esToken)).toBe('refused');
    expect(await outcome(secretOnly, hs)).toBe('accepted');
    // The HS256 key is the secret, never a public key read as bytes.
    const publicAsSecret = await sign(secretBytes(JSON.stringify(es.publicJwk)), { alg: 'HS256' });
    expect(await outcome(secretOnly, publicAsSecret)).toBe('refused');
  });

  it('will not be made without keys or a secret', () => {
    expect(() => createTokenVerifier({})).toThrow(/No signing keys and no JWT secret/);
    expect(() => createTokenVerifier({ jwks: { keys: [] } })).toThrow(/No signing keys/);
  });
});

describe('the verifier, fetching the JWKS from SUPABASE_URL', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A fetch that serves `current()` as the JWKS and counts the requests. */
  function fakeJwksFetch(current: () => JSONWebKeySet | 'down') {
    const calls: string[] = [];
    const fetchImpl: typeof fetch = async (input) => {
      calls.push(String(input instanceof Request ? input.url : input));
      const body = current();
      if (body === 'down') throw new TypeError('fetch failed: connection refused');
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    };
    return { calls, fetchImpl };
  }

  const URL_ = 'https://project.example/auth/v1/.well-known/jwks.json';

  it('fetches once, caches, and refetches for an unknown kid at most once per cooldown', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let published: JSONWebKeySet = { keys: [es.publicJwk] };
    const { calls, fetchImpl } = fakeJwksFetch(() => published);
    const verify = createTokenVerifier({ jwksUrl: URL_, fetch: fetchImpl });
    const esToken = await sign(es.privateKey, { alg: 'ES256', kid: es.kid });
    for (let i = 0; i < 5; i++) expect(await outcome(verify, esToken)).toBe('accepted');
    expect(calls).toEqual([URL_]);

    // The first unknown kid after the cooldown refetches; a flood of them doesn't.
    vi.setSystemTime(Date.now() + 31_000);
    const bogus = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sign(es.privateKey, { alg: 'ES256', kid: `bogus-${i}` }),
      ),
    );
    for (const token of bogus) expect(await outcome(verify, token)).toBe('refused');
    expect(calls).toHaveLength(2);

    // A rotated-in key (RS256 here) is found by the next refetch, once the cooldown is over.
    published = { keys: [es.publicJwk, rs.publicJwk] };
    const rsToken = await sign(rs.privateKey, { alg: 'RS256', kid: rs.kid });
    expect(await outcome(verify, rsToken)).toBe('refused');
    expect(calls).toHaveLength(2);
    vi.setSystemTime(Date.now() + 31_000);
    expect(await outcome(verify, rsToken)).toBe('accepted');
    expect(await outcome(verify, esToken)).toBe('accepted');
    expect(calls).toHaveLength(3);
  });

  it('answers a server error while the endpoint is down, and pauses retries after a failure', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let state: 'down' | 'up' = 'down';
    const { calls, fetchImpl } = fakeJwksFetch(() =>
      state === 'down' ? 'down' : { keys: [es.publicJwk] },
    );
    const verify = createTokenVerifier({ jwksUrl: URL_, fetch: fetchImpl });
    const token = await sign(es.privateKey, { alg: 'ES256', kid: es.kid });
    for (let i = 0; i < 20; i++)
      await expect(verify(token)).rejects.toThrow(SigningKeysUnavailable);
    expect(calls).toHaveLength(1);
    state = 'up';
    await expect(verify(token)).rejects.toThrow(/can't be used/);
    vi.setSystemTime(Date.now() + 6_000);
    expect(await outcome(verify, token)).toBe('accepted');
    expect(calls).toHaveLength(2);
  });

  it('still refuses alg none, HS256 and a missing kid without fetching', async () => {
    const { calls, fetchImpl } = fakeJwksFetch(() => ({ keys: [es.publicJwk] }));
    const verify = createTokenVerifier({ jwksUrl: URL_, fetch: fetchImpl });
    const good = await sign(es.privateKey, { alg: 'ES256', kid: es.kid });
    const [, payload] = good.split('.') as [string, string, string];
    for (const token of [
      `${b64({ alg: 'none' })}.${payload}.`,
      await sign(secretBytes(SECRET), { alg: 'HS256' }),
      await sign(es.privateKey, { alg: 'ES256' }),
    ])
      expect(await outcome(verify, token)).toBe('refused');
    expect(calls).toEqual([]);
  });

  describe('from a JWKS server on loopback', () => {
    let server: Server;
    let base: string;
    let requests = 0;
    beforeAll(async () => {
      server = createServer((req, res) => {
        requests++;
        if (req.url !== JWKS_PATH) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [es.publicJwk, rs.publicJwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('verifies with the keys SUPABASE_URL publishes, read as a function reads its env', async () => {
      const env = readFunctionEnv(
        (name) => ({ SUPABASE_URL: `${base}/`, SUPABASE_DB_URL: 'postgres://db' })[name],
      );
      expect(env).toEqual({
        ok: true,
        dbUrl: 'postgres://db',
        keys: { jwksUrl: `${base}${JWKS_PATH}` },
      });
      if (!env.ok) return;
      const verify = createTokenVerifier(env.keys);
      expect(await outcome(verify, await sign(rs.privateKey, { alg: 'RS256', kid: rs.kid }))).toBe(
        'accepted',
      );
      expect(await outcome(verify, await sign(es.privateKey, { alg: 'ES256', kid: es.kid }))).toBe(
        'accepted',
      );
      expect(requests).toBe(1);
    });
  });
});

describe('readFunctionEnv (what a function needs to start)', () => {
  const read = (env: Record<string, string>) => readFunctionEnv((name) => env[name]);
  const DB = { SUPABASE_DB_URL: 'postgres://db' };

  it('takes SUPABASE_JWKS first, SUPABASE_URL otherwise, and JWT_SECRET for HS256', () => {
    const jwksText = JSON.stringify(jwks);
    expect(read({ ...DB, SUPABASE_JWKS: jwksText, SUPABASE_URL: 'https://p.example' })).toEqual({
      ok: true,
      dbUrl: 'postgres://db',
      keys: { jwks },
    });
    expect(
      read({ ...DB, SUPABASE_JWKS: '{"keys":[]}', SUPABASE_URL: 'https://p.example' }),
    ).toEqual({
      ok: true,
      dbUrl: 'postgres://db',
      keys: { jwksUrl: `https://p.example${JWKS_PATH}` },
    });
    expect(read({ ...DB, JWT_SECRET: SECRET })).toEqual({
      ok: true,
      dbUrl: 'postgres://db',
      keys: { hsSecret: SECRET },
    });
    expect(read({ ...DB, SUPABASE_JWT_SECRET: SECRET })).toMatchObject({
      keys: { hsSecret: SECRET },
    });
  });

  it('stops with one line naming the variables when there are no keys and no secret', () => {
    for (const env of [DB, { ...DB, SUPABASE_JWKS: '{"keys":[]}' }]) {
      const result = read(env);
      expect(result).toEqual({ ok: false, message: MISSING_KEYS_MESSAGE });
    }
    expect(MISSING_KEYS_MESSAGE).not.toContain('\n');
    for (const name of ['SUPABASE_JWKS', 'SUPABASE_URL', 'JWT_SECRET'])
      expect(MISSING_KEYS_MESSAGE).toContain(name);
    expect(read({ SUPABASE_URL: 'https://p.example' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^SUPABASE_DB_URL is not set/),
    });
    expect(read({ ...DB, SUPABASE_JWKS: 'not json' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^SUPABASE_JWKS is not a JSON Web Key Set/),
    });
    expect(read({ ...DB, SUPABASE_URL: 'not a url' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^SUPABASE_URL is not a URL/),
    });
  });
});
