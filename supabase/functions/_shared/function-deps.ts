import type { VerifyToken } from './auth.ts';
import type { Db } from './db.ts';
import type { Logger } from './http.ts';

/** What an Edge Function app needs: the database port and the access-token verifier. */
export interface FunctionDeps {
  db: Db;
  verifyToken: VerifyToken;
  /** Where server faults are reported (default: console.error). */
  log?: Logger;
}
