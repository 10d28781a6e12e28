// What an Edge Function reads from its environment at start, checked before it serves anything:
// on Supabase, SUPABASE_DB_URL, SUPABASE_JWKS and SUPABASE_URL are set for every function.
import { JWKS_PATH, JwksSchema, type TokenKeys } from './auth.ts';

export type FunctionEnv =
  { ok: true; dbUrl: string; keys: TokenKeys } | { ok: false; message: string };

/** The one line a function prints (and exits 1) when it can't check tokens or reach the data. */
export const MISSING_KEYS_MESSAGE =
  'No way to check access tokens: set SUPABASE_JWKS (the project’s signing keys as JSON) or SUPABASE_URL (its JWKS is fetched from /auth/v1/.well-known/jwks.json), or JWT_SECRET for a project still on the legacy HS256 secret.';

/**
 * Reads the function's settings. Keys: SUPABASE_JWKS when it holds keys, else fetched from
 * SUPABASE_URL; HS256 tokens only with JWT_SECRET (or SUPABASE_JWT_SECRET, which self-hosted
 * setups provide; `supabase secrets set` refuses names starting with SUPABASE_).
 */
export function readFunctionEnv(get: (name: string) => string | undefined): FunctionEnv {
  const dbUrl = get('SUPABASE_DB_URL');
  if (!dbUrl)
    return {
      ok: false,
      message:
        'SUPABASE_DB_URL is not set: set it to the project’s Postgres URL (Supabase sets it for deployed functions).',
    };
  const keys: TokenKeys = {};
  const jwksText = get('SUPABASE_JWKS')?.trim();
  if (jwksText) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(jwksText);
    } catch {
      parsed = undefined;
    }
    const jwks = JwksSchema.safeParse(parsed);
    if (!jwks.success)
      return {
        ok: false,
        message:
          'SUPABASE_JWKS is not a JSON Web Key Set ({"keys":[…]}): copy it from /auth/v1/.well-known/jwks.json, or unset it.',
      };
    if (jwks.data.keys.length > 0) keys.jwks = jwks.data;
  }
  const url = get('SUPABASE_URL')?.trim();
  if (!keys.jwks && url) {
    if (!URL.canParse(url))
      return { ok: false, message: `SUPABASE_URL is not a URL: set it to the project’s URL.` };
    keys.jwksUrl = `${url.replace(/\/+$/, '')}${JWKS_PATH}`;
  }
  const secret = get('JWT_SECRET') || get('SUPABASE_JWT_SECRET');
  if (secret) keys.hsSecret = secret;
  if (!keys.jwks && !keys.jwksUrl && !keys.hsSecret)
    return { ok: false, message: MISSING_KEYS_MESSAGE };
  return { ok: true, dbUrl, keys };
}
