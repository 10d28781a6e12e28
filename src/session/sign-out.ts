// Signing out ends the session on this device at once, online or not; the server is told when it
// can be reached (revoke-queue.ts), from this tab or any later one.
import { z } from 'zod';
import { markSignedOut } from '../auth.ts';
import { authStorageKey, revokeQueue, supabase } from '../supabase-client.ts';

const QUEUE_LOCK = 'mpfs-revoke-queue';

/** Sends the queued revocations, one tab at a time. */
export function sendRevokes(): Promise<unknown> {
  const flush = () => revokeQueue.flush();
  return typeof navigator !== 'undefined' && navigator.locks
    ? navigator.locks.request(QUEUE_LOCK, flush)
    : flush();
}

let started = false;
/** At start and whenever the network is back, what waits is sent. */
export function startRevokeSender(): void {
  if (started) return;
  started = true;
  void sendRevokes();
  window.addEventListener('online', () => void sendRevokes());
}

const StoredSessionSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
});

/** The session as supabase-js stored it, read without the network (getSession may refresh). */
function storedSession() {
  try {
    const parsed = StoredSessionSchema.safeParse(
      JSON.parse(localStorage.getItem(authStorageKey) ?? 'null'),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Signs out on this device (every tab of it); `everywhere`: every session of the user ends, on
 * every device, once the server hears it (local mode then refuses those sessions' tokens too).
 */
export async function signOut({ everywhere = false } = {}): Promise<void> {
  const session = storedSession();
  // Queued before supabase-js forgets the refresh token: it revokes the session if the access
  // token runs out before the network is back.
  if (session)
    revokeQueue.add({
      accessToken: session.access_token,
      refreshToken: session.refresh_token,
      ...(everywhere ? { scope: 'global' } : {}),
    });
  const { error } = await supabase.auth.signOut({ scope: everywhere ? 'global' : 'local' });
  if (error) {
    // E.g. an expired access token it could not renew offline: end the session here anyway.
    for (const suffix of ['', '-user', '-code-verifier'])
      localStorage.removeItem(`${authStorageKey}${suffix}`);
    markSignedOut();
  }
  void sendRevokes();
}
