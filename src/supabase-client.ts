import { createClient } from '@supabase/supabase-js';
import { supabaseConfig, type SupabaseBuildEnv } from './supabase-config.ts';

const config = supabaseConfig(
  import.meta.env as SupabaseBuildEnv,
  globalThis.location?.origin ?? '',
);

export const supabaseUrl = config.url;
export const functionsUrl = `${supabaseUrl}/functions/v1`;
export const supabase = createClient(supabaseUrl, config.key, {
  auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
});
