import { createClient } from '@supabase/supabase-js';
import { createRevokeQueue } from './session/revoke-queue.ts';
import { supabaseConfig, type SupabaseBuildEnv } from './supabase-config.ts';

const config = supabaseConfig(
  import.meta.env as SupabaseBuildEnv,
  globalThis.location?.origin ?? '',
);

export const supabaseUrl = config.url;
export const functionsUrl = `${supabaseUrl}/functions/v1`;
/** supabase-js's own default key, named so a sign-out can end the session without it. */
export const authStorageKey = `sb-${new URL(supabaseUrl || 'http://localhost').hostname.split('.')[0]}-auth-token`;

const network: typeof fetch = (input, init) => fetch(input, init);
/** Sessions signed out here that the server still has to hear about (session/revoke-queue.ts). */
export const revokeQueue = createRevokeQueue({
  storage: globalThis.localStorage,
  fetch: network,
  url: supabaseUrl,
  apikey: config.key,
});

const LOGOUT_PATH = '/auth/v1/logout';
/**
 * supabase-js waits for POST /logout before it ends the session, and keeps it signed in when that
 * fails (offline): here the request is queued instead and answered at once, so signing out never
 * waits for the network (session/sign-out.ts sends the queue).
 */
const appFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  if (method === 'POST' && url.pathname.endsWith(LOGOUT_PATH)) {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : {}));
    const token = /^Bearer (.+)$/i.exec(headers.get('authorization') ?? '')?.[1];
    const global = url.searchParams.get('scope') === 'global';
    if (token) revokeQueue.add({ accessToken: token, ...(global ? { scope: 'global' } : {}) });
    return Promise.resolve(new Response(null, { status: 204 }));
  }
  return network(input, init);
};

export const supabase = createClient(supabaseUrl, config.key, {
  auth: {
    persistSession: true,
    autoRefreshToken: true,
    detectSessionInUrl: false,
    storageKey: authStorageKey,
  },
  global: { fetch: appFetch },
});
