// Keeps the sync worker told who is signed in, from any page: every sign-in, refreshed token and
// sign-out (this tab's or another's) reaches it as setAuth, in the order they happened. A tab
// connects to the worker once someone is signed in in it, and stays connected.
import { getAuthState, signedOutElsewhere, subscribeAuth, userIdOf } from '../auth.ts';
import { resetNavStatuses } from '../stores/nav-status-store.ts';
import { resetSectionStores } from '../stores/section-store.ts';
import { functionsUrl } from '../supabase-client.ts';
import { connectSync, onSignedOut, type SyncClient } from '../sync/worker-client.ts';
import { sendRevokes } from './sign-out.ts';

let told: string | null = null;
let user: string | null = null;
let connected: Promise<SyncClient | null> | null = null;
let chain: Promise<unknown> = Promise.resolve();

/** Resolves once the worker has heard of the latest sign-in state (before opening a section). */
export const authSynced = (): Promise<unknown> => chain;

function update(): void {
  const auth = getAuthState();
  if (auth.loading) return;
  const token = auth.session?.access_token ?? null;
  const userId = userIdOf(auth);
  if (userId !== user) {
    // What this tab mirrors of one user's sections must not show under another's.
    if (user !== null) {
      resetSectionStores();
      resetNavStatuses();
    }
    if (userId !== null) void sendRevokes();
    user = userId;
  }
  if (token === told) return;
  told = token;
  if (token !== null)
    connected ??= connectSync(functionsUrl, token).then((r) => (r.ok ? r.value : null));
  // Nobody signed in and never connected: the worker has nothing of this tab to forget.
  if (!connected) return;
  const link = connected;
  chain = chain.then(async () => (await link)?.setAuth(token));
}

let started = false;
export function startSessionLink(): void {
  if (started) return;
  started = true;
  subscribeAuth(update);
  update();
  onSignedOut((userId) => void signedOutElsewhere(userId));
}
