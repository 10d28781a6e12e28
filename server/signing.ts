// Local mode's token signing, shaped like a Supabase project on signing keys: one ES256 key pair
// with a `kid` (its public half is the JWKS at /auth/v1/.well-known/jwks.json and what the
// functions verify with, as SUPABASE_JWKS on Supabase), and optionally a legacy HS256 secret.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { z } from 'zod';
import { AUTHENTICATED, type TokenKeys } from '../supabase/functions/_shared/auth.ts';

/** An ES256 private key as a JWK, with the `kid` tokens name it by. */
export const SigningKeySchema = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
});
export type SigningKeyJwk = z.output<typeof SigningKeySchema>;

export interface LocalSigning {
  /** What new access tokens are signed with (default ES256). */
  alg: 'ES256' | 'HS256';
  /** The ES256 key pair: always published and accepted, so switching alg keeps sessions. */
  key: SigningKeyJwk;
  /** The HS256 secret: signs with alg HS256; otherwise accepted for tokens made with it. */
  secret?: string;
}

/** A fresh ES256 key pair as a private JWK with a random kid (as Supabase names its keys). */
export function generateSigningKey(): SigningKeyJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return SigningKeySchema.parse({ ...jwk, kid: randomUUID() });
}

/** The public half, as a JWKS publishes it. */
export function publicJwk(key: SigningKeyJwk): JWK {
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y, kid: key.kid, alg: 'ES256', use: 'sig' };
}

export function publicJwks(signing: LocalSigning): JSONWebKeySet {
  return { keys: [publicJwk(signing.key)] };
}

/** What the functions verify with in local mode: the JWKS (as SUPABASE_JWKS), the secret if any. */
export function verifierKeys(signing: LocalSigning): TokenKeys {
  return { jwks: publicJwks(signing), ...(signing.secret ? { hsSecret: signing.secret } : {}) };
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

/** How a token is signed: the ES256 key (header names its kid) or an HS256 secret. */
export type Signer = { alg: 'ES256'; key: SigningKeyJwk } | { alg: 'HS256'; secret: string };

export function signerOf(signing: LocalSigning): Signer {
  if (signing.alg === 'ES256') return { alg: 'ES256', key: signing.key };
  if (!signing.secret) throw new Error('HS256 signing needs a secret');
  return { alg: 'HS256', secret: signing.secret };
}

/** Signs an access token the way Supabase Auth does (`aud`/`role` authenticated). */
export async function signAccessToken(signer: Signer, input: AccessTokenInput): Promise<string> {
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    role: AUTHENTICATED,
    aal: 'aal1',
    is_anonymous: false,
  };
  if (input.email !== undefined) claims.email = input.email;
  if (input.sessionId !== undefined) claims.session_id = input.sessionId;
  const jwt = new SignJWT(claims)
    .setSubject(input.sub)
    .setAudience(AUTHENTICATED)
    .setIssuedAt(now)
    .setExpirationTime(now + (input.expiresIn ?? 3600));
  if (signer.alg === 'HS256')
    return jwt
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(signer.secret));
  return jwt
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: signer.key.kid })
    .sign(await privateKey(signer.key));
}

const imported = new WeakMap<SigningKeyJwk, ReturnType<typeof importJWK>>();

/** The key imported once per key object (an import costs about as much as a signature). */
function privateKey(key: SigningKeyJwk) {
  let found = imported.get(key);
  if (!found) imported.set(key, (found = importJWK(key, 'ES256')));
  return found;
}
