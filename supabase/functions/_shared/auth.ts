// Access tokens: HS256 JWTs as Supabase Auth issues them (and server/auth.ts in local mode).
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { UserClaims } from './db.ts';

/** Thrown when a request carries no usable access token; answered with 401. */
export class AuthError extends Error {
  override name = 'AuthError';
}

export type VerifyToken = (token: string) => Promise<UserClaims>;

// Any UUID Postgres accepts: `auth.uid()` casts `sub` to uuid, so anything else must stop here.
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const secretKey = (secret: string) => new TextEncoder().encode(secret);

/** Reads the token from `Authorization: Bearer <token>`; null when there is none. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * A verifier for access tokens signed with `secret` (HS256 only: `alg: none` and every other
 * algorithm are refused). The token must carry `exp` and a UUID `sub`, and, if it names a role,
 * the role `authenticated`.
 */
export function createJwtVerifier(secret: string): VerifyToken {
  if (!secret) throw new Error('The JWT secret is empty: set it before serving requests.');
  const key = secretKey(secret);
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired)
        throw new AuthError('The access token has expired: sign in again.');
      throw new AuthError('The access token is not valid: sign in again.');
    }
    const { sub, email, role, session_id: sessionId } = payload;
    if (typeof sub !== 'string' || !UUID_TEXT.test(sub))
      throw new AuthError('The access token names no user: sign in again.');
    if (role !== undefined && role !== 'authenticated')
      throw new AuthError('The access token is not a signed-in user’s token: sign in again.');
    const claims: UserClaims = { sub: sub.toLowerCase(), role: 'authenticated' };
    if (typeof email === 'string') claims.email = email;
    if (typeof sessionId === 'string') claims.session_id = sessionId;
    return claims;
  };
}

export interface AccessTokenInput {
  sub: string;
  email?: string;
  sessionId?: string;
  /** Lifetime in seconds (default 3600). */
  expiresIn?: number;
  /** Seconds since the epoch to sign at (default: now). */
  now?: number;
}

/** Signs an access token the way Supabase Auth does (HS256, `aud`/`role` authenticated). */
export async function signAccessToken(secret: string, input: AccessTokenInput): Promise<string> {
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    role: 'authenticated',
    aal: 'aal1',
    is_anonymous: false,
  };
  if (input.email !== undefined) claims.email = input.email;
  if (input.sessionId !== undefined) claims.session_id = input.sessionId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.sub)
    .setAudience('authenticated')
    .setIssuedAt(now)
    .setExpirationTime(now + (input.expiresIn ?? 3600))
    .sign(secretKey(secret));
}
