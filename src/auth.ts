// The signed-in session as React state, and the worker kept up to date with the access token.
import { useEffect, useState } from 'react';
import type { Session } from '@supabase/supabase-js';
import { supabase } from './supabase-client.ts';

export type AuthState = { loading: true } | { loading: false; session: Session | null };

const tokenListeners = new Set<(token: string | null) => void>();
/** Called with every new access token (sign-in, refresh, sign-out). */
export const onAccessToken = (listener: (token: string | null) => void) => {
  tokenListeners.add(listener);
  return () => void tokenListeners.delete(listener);
};

supabase.auth.onAuthStateChange((_event, session) => {
  for (const listener of tokenListeners) listener(session?.access_token ?? null);
});

export function useAuth(): AuthState {
  const [state, setState] = useState<AuthState>({ loading: true });
  useEffect(() => {
    let alive = true;
    void supabase.auth.getSession().then(({ data }) => {
      if (alive) setState({ loading: false, session: data.session });
    });
    const { data } = supabase.auth.onAuthStateChange((_event, session) => {
      if (alive) setState({ loading: false, session });
    });
    return () => {
      alive = false;
      data.subscription.unsubscribe();
    };
  }, []);
  return state;
}
