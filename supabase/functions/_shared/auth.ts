// Access tokens as Supabase Auth issues them: ES256/RS256 with a `kid` from the project's signing
// keys (JWKS), or HS256 with a legacy shared secret. One verifier picks the key by the header.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { z } from 'zod';
import type { UserClaims } from './db.ts';

/** Thrown when a request carries no usable access token; answered with 401. */
export class AuthError extends Error {
  override name = 'AuthError';
}

export type VerifyToken = (token: string) => Promise<UserClaims>;

/** Where Supabase Auth (and local mode) publishes the public signing keys. */
export const JWKS_PATH = '/auth/v1/.well-known/jwks.json';

/** The audience and role of a signed-in user's access token. */
export const AUTHENTICATED = 'authenticated';

// Any UUID Postgres accepts: `auth.uid()` casts `sub` to uuid, so anything else must stop here.
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A JWKS as Supabase provides it (`SUPABASE_JWKS`, `/auth/v1/.well-known/jwks.json`). */
export const JwksSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })),
});

export interface TokenKeys {
  /** Public keys given up front (`SUPABASE_JWKS`). */
  jwks?: JSONWebKeySet;
  /** Where to fetch the public keys when none are given (`SUPABASE_URL` + JWKS_PATH). */
  jwksUrl?: string;
  /** The legacy HS256 secret (`JWT_SECRET`); without it HS256 tokens are refused. */
  hsSecret?: string;
  /** For tests: the fetch used for jwksUrl. */
  fetch?: typeof fetch;
  /** A fetched JWKS is refetched for an unknown kid at most this often (default 30 s). */
  refetchCooldownMs?: number;
  /** After a failed fetch, requests wait this long before the next attempt (default 5 s). */
  retryAfterFailureMs?: number;
}

/** Reads `Authorization: Bearer <token>`; null when there is none. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * A fetch that fails at once, without touching the network, for `pauseMs` after a failure: the
 * JWKS fetcher retries on every request otherwise, so a down endpoint would get one per request.
 */
function pausingAfterFailure(fetchImpl: typeof fetch, pauseMs: number): typeof fetch {
  let failedAt = -Infinity;
  return async (input, init) => {
    if (Date.now() < failedAt + pauseMs)
      throw new Error('the last attempt failed moments ago; not retrying yet');
    try {
      const response = await fetchImpl(input, init);
      if (response.status !== 200) failedAt = Date.now();
      return response;
    } catch (error) {
      failedAt = Date.now();
      throw error;
    }
  };
}

/** The error a verifier throws when the signing keys can't be fetched: a 500, logged. */
export class SigningKeysUnavailable extends Error {
  override name = 'SigningKeysUnavailable';
}

const invalid = (why: string) =>
  new AuthError(`The access token is not valid (${why}): sign in again.`);

/**
 * The verifier. ES256/RS256 tokens need a `kid` naming a key of the same type in the JWKS (given,
 * or fetched and cached, refetched for an unknown kid at most once per cooldown); HS256 needs
 * `hsSecret`; every other `alg` (`none` included) is refused. Claims: `exp`, `aud` and `role`
 * `authenticated`, a UUID `sub`.
 */
export function createTokenVerifier(keys: TokenKeys): VerifyToken {
  const hsKey = keys.hsSecret ? new TextEncoder().encode(keys.hsSecret) : undefined;
  const jwksUrl = keys.jwksUrl;
  let jwks: JWTVerifyGetKey | undefined;
  if (keys.jwks && keys.jwks.keys.length > 0) jwks = createLocalJWKSet(keys.jwks);
  else if (jwksUrl)
    jwks = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: keys.refetchCooldownMs ?? 30_000,
      [customFetch]: pausingAfterFailure(keys.fetch ?? fetch, keys.retryAfterFailureMs ?? 5_000),
    });
  if (!jwks && !hsKey)
    throw new Error('No signing keys and no JWT secret: this verifier would refuse every token.');
  const fromJwks = jwks;
  // Key lookup failures are sorted here: an unknown kid is the token's fault (401), anything else
  // (the JWKS endpoint down, or answering garbage) the server's (500, logged).
  const getKey: JWTVerifyGetKey = async (header, input) => {
    try {
      if (!fromJwks) throw new Error('no JWKS');
      return await fromJwks(header, input);
    } catch (error) {
      if (
        error instanceof joseErrors.JWKSNoMatchingKey ||
        error instanceof joseErrors.JWKSMultipleMatchingKeys
      )
        throw invalid('signed by a key this project does not know');
      throw new SigningKeysUnavailable(
        `The signing keys at ${jwksUrl ?? 'SUPABASE_JWKS'} can't be used (${error instanceof Error ? error.message : String(error)}).`,
        { cause: error },
      );
    }
  };

  async function verified(token: string): Promise<JWTPayload> {
    let alg: string | undefined;
    let kid: string | undefined;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
    } catch {
      throw invalid('not a JWT');
    }
    const options = { audience: AUTHENTICATED, requiredClaims: ['exp', 'sub', 'role'] };
    if (alg === 'HS256') {
      if (!hsKey) throw invalid('signed with a shared secret, which this project does not use');
      return (await jwtVerify(token, hsKey, { ...options, algorithms: ['HS256'] })).payload;
    }
    if (alg !== 'ES256' && alg !== 'RS256') throw invalid(`algorithm ${String(alg)} is refused`);
    if (!jwks) throw invalid('signed with a key, but this project uses a shared secret');
    if (typeof kid !== 'string' || !kid) throw invalid('no key id');
    return (await jwtVerify(token, getKey, { ...options, algorithms: [alg] })).payload;
  }

  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verified(token);
    } catch (error) {
      if (error instanceof AuthError || error instanceof SigningKeysUnavailable) throw error;
      if (error instanceof joseErrors.JWTExpired)
        throw new AuthError('The access token has expired: sign in again.');
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw invalid(`claim ${error.claim} is missing or wrong`);
      if (error instanceof joseErrors.JOSEError) throw invalid('its signature does not match');
      throw error;
    }
    const { sub, email, role, session_id: sessionId } = payload;
    if (typeof sub !== 'string' || !UUID_TEXT.test(sub))
      throw new AuthError('The access token names no user: sign in again.');
    if (role !== AUTHENTICATED)
      throw new AuthError('The access token is not a signed-in user’s token: sign in again.');
    const claims: UserClaims = { sub: sub.toLowerCase(), role: AUTHENTICATED };
    if (typeof email === 'string') claims.email = email;
    if (typeof sessionId === 'string') claims.session_id = sessionId;
    return claims;
  };
}
