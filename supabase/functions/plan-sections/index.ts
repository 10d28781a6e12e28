// Supabase Edge Function entry (Deno). On Supabase it needs no secrets of its own: it reads
// SUPABASE_DB_URL and the signing keys (SUPABASE_JWKS, else SUPABASE_URL's JWKS); JWT_SECRET only
// for a project still on the legacy HS256 secret (see _shared/function-env.ts).
import { createTokenVerifier } from '../_shared/auth.ts';
import { createPostgresDb } from '../_shared/db-postgres.ts';
import { readFunctionEnv } from '../_shared/function-env.ts';
import { createPlanSectionsApp } from './app.ts';

const env = readFunctionEnv((name) => Deno.env.get(name));
if (!env.ok) {
  console.error(env.message);
  Deno.exit(1);
}

const app = createPlanSectionsApp({
  db: createPostgresDb(env.dbUrl),
  verifyToken: createTokenVerifier(env.keys),
});
Deno.serve(app.fetch);
