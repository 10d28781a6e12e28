// Supabase Edge Function entry (Deno). Set the project's JWT secret once:
//   supabase secrets set JWT_SECRET=<Project Settings → API → JWT secret>
import { createJwtVerifier } from '../_shared/auth.ts';
import { createPostgresDb } from '../_shared/db-postgres.ts';
import { createBusinessPlansApp } from './app.ts';

const secret = Deno.env.get('JWT_SECRET') ?? Deno.env.get('SUPABASE_JWT_SECRET');
const dbUrl = Deno.env.get('SUPABASE_DB_URL');
if (!secret || !dbUrl) throw new Error('Set JWT_SECRET (and SUPABASE_DB_URL) for this function.');

const app = createBusinessPlansApp({
  db: createPostgresDb(dbUrl),
  verifyToken: createJwtVerifier(secret),
});
Deno.serve(app.fetch);
