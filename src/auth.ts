// The signed-in session as one app-wide state, fed by supabase-js's auth events (which reach every
// tab of the profile) and by the sync worker's `signed-out` news. React reads it with useAuth.
import { useSyncExternalStore } from 'react';
import type { Session } from '@supabase/supabase-js';
import { supabase } from './supabase-client.ts';

export type AuthState = { loading: true } | { loading: false; session: Session | null };

let state: AuthState = { loading: true };
const listeners = new Set<() => void>();

function set(next: AuthState): void {
  state = next;
  for (const listener of listeners) listener();
}

export const getAuthState = (): AuthState => state;
export const userIdOf = (auth: AuthState): string | null =>
  auth.loading ? null : (auth.session?.user.id ?? null);

/** Called on every change: sign-in, sign-out, refreshed token, another tab's sign-out. */
export function subscribeAuth(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

// INITIAL_SESSION comes first (the stored session or null), then every change in any tab.
supabase.auth.onAuthStateChange((_event, session) => set({ loading: false, session }));

/** This tab ended the session itself (supabase-js could not): show it as signed out. */
export function markSignedOut(): void {
  set({ loading: false, session: null });
}

/**
 * The worker says `userId` signed out on this profile. The stored session is what counts: it may
 * already be another user's, or none, while this tab still shows `userId`'s.
 */
export async function signedOutElsewhere(userId: string): Promise<void> {
  if (userIdOf(state) !== userId) return;
  const { data } = await supabase.auth.getSession();
  const stored = data.session;
  set({ loading: false, session: stored && stored.user.id !== userId ? stored : null });
}

export function useAuth(): AuthState {
  return useSyncExternalStore(subscribeAuth, getAuthState);
}
