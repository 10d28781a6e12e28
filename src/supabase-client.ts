import { createClient } from '@supabase/supabase-js';

// Local mode serves the API on the page's own origin; hosted mode names the Supabase project.
const url = (import.meta.env.VITE_SUPABASE_URL as string | undefined) || window.location.origin;
const anonKey = (import.meta.env.VITE_SUPABASE_ANON_KEY as string | undefined) || 'local-anon-key';

export const supabaseUrl = url.replace(/\/$/, '');
export const functionsUrl = `${supabaseUrl}/functions/v1`;
export const supabase = createClient(supabaseUrl, anonKey, {
  auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
});
