// Local mode only: once a session is signed out (POST /auth/v1/logout deletes its refresh tokens),
// the functions refuse its access tokens too, as /auth/v1/user does. Hosted Supabase accepts them
// until `exp` (docs/deploy-supabase.md), so this stays out of supabase/functions.
import { AuthError, type VerifyToken } from '../supabase/functions/_shared/auth.ts';
import type { Db } from '../supabase/functions/_shared/db.ts';

/** A session lives while it has a refresh token, spent or not; logout deletes them all. */
export async function sessionLive(db: Db, sessionId: string): Promise<boolean> {
  const rows = await db.asService((tx) =>
    tx.query('select 1 from auth.refresh_tokens where session_id = $1 limit 1', [sessionId]),
  );
  return rows.length > 0;
}

/** `verify` that also refuses a token whose session ended; tokens with no session pass as before. */
export function refuseEndedSessions(verify: VerifyToken, db: Db): VerifyToken {
  return async (token) => {
    const claims = await verify(token);
    if (claims.session_id && !(await sessionLive(db, claims.session_id)))
      throw new AuthError('This session has ended (signed out). Sign in again.');
    return claims;
  };
}
