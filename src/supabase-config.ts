// Which Supabase the app talks to: local mode serves the API on the page's own origin; a hosted
// build names the project's URL and its public key (publishable, or the legacy anon key).

export interface SupabaseBuildEnv {
  VITE_SUPABASE_URL?: string;
  VITE_SUPABASE_PUBLISHABLE_KEY?: string;
  VITE_SUPABASE_ANON_KEY?: string;
}

export interface SupabaseConfig {
  url: string;
  /** The key supabase-js sends as `apikey`; local mode accepts any. */
  key: string;
  hosted: boolean;
}

/** Local auth takes any apikey: this one only shows up in local mode's requests. */
export const LOCAL_KEY = 'local-anon-key';

export function supabaseConfig(env: SupabaseBuildEnv, origin: string): SupabaseConfig {
  const hostedUrl = env.VITE_SUPABASE_URL?.trim();
  const key =
    env.VITE_SUPABASE_PUBLISHABLE_KEY?.trim() || env.VITE_SUPABASE_ANON_KEY?.trim() || LOCAL_KEY;
  return { url: (hostedUrl || origin).replace(/\/+$/, ''), key, hosted: Boolean(hostedUrl) };
}
