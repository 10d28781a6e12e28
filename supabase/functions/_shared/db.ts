// The database port. The Edge Functions talk to Postgres only through this interface, so the same
// handlers run on Supabase (postgres.js, db-postgres.ts) and in local mode (PGlite,
// server/db-pglite.ts).

/** The JWT claims a request runs with; `auth.uid()` reads `sub` from them. */
export interface UserClaims {
  sub: string;
  email?: string;
  role?: string;
  session_id?: string;
}

export interface Tx {
  /** One statement with `$1…$n` parameters; returns the rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db {
  /**
   * Runs `fn` in ONE transaction as role `authenticated` with `request.jwt.claims` set to `claims`,
   * so row-level security decides what the caller may read and write. Commits when `fn` resolves,
   * rolls back when it throws.
   */
  asUser<T>(claims: UserClaims, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction as the connecting (owner) role: migrations and local auth. */
  asService<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The statements every adapter runs first in an `asUser` transaction. */
export const SET_ROLE_SQL = 'set local role authenticated';
export const SET_CLAIMS_SQL = "select set_config('request.jwt.claims', $1, true)";

export function claimsJson(claims: UserClaims): string {
  return JSON.stringify({ role: 'authenticated', ...claims });
}

/** The SQLSTATE of a database error from either driver, if it has one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
