// The test hooks of the local server (TEST_HOOKS=1 only; never part of the Edge Functions):
//   GET  /__test/stats                     counts of PUTs and GETs to plan-sections, and 304s
//   POST /__test/stats/reset               zeroes them
//   GET|POST|DELETE /__test/faults         a fault switch for /functions/v1/*
//   POST /__test/revoke-access-tokens      every access token issued before now → 401
// Every call needs the header X-Test-Hooks-Secret (the server writes a new secret to
// DATA_DIR/test-hooks-secret at each start) and is refused from a web page (Origin, Sec-Fetch-Site).
// See docs/testing.md §5, §6, §9 and §10.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { AuthError, type VerifyToken } from '../supabase/functions/_shared/auth.ts';
import {
  CORS_HEADERS,
  describeZodError,
  readBodyBytes,
  readJsonBody,
} from '../supabase/functions/_shared/http.ts';
import { ApiError, JSON_HEADERS, errorResponse } from '../supabase/functions/_shared/errors.ts';

export const FUNCTIONS_PREFIX = '/functions/v1';
const SECTIONS_PREFIX = `${FUNCTIONS_PREFIX}/plan-sections`;

/** Counts of what plan-sections received, per `<planId>/<sectionKey>` (`*` for the list). */
export class RequestStats {
  private puts = new Map<string, number>();
  private gets = new Map<string, number>();
  private putsTotal = 0;
  private notModified = 0;
  put(key: string) {
    this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
    this.putsTotal += 1;
  }
  get(key: string) {
    this.gets.set(key, (this.gets.get(key) ?? 0) + 1);
  }
  notModifiedAnswer() {
    this.notModified += 1;
  }
  reset() {
    this.puts.clear();
    this.gets.clear();
    this.putsTotal = 0;
    this.notModified = 0;
  }
  toJSON() {
    return {
      puts: Object.fromEntries(this.puts),
      putsTotal: this.putsTotal,
      gets: Object.fromEntries(this.gets),
      notModified: this.notModified,
    };
  }
}

export const FaultSchema = z
  .strictObject(
    {
      status: z
        .number({ error: 'status must be an HTTP error status from 400 to 599' })
        .int('status must be an HTTP error status from 400 to 599')
        .min(400, 'status must be an HTTP error status from 400 to 599')
        .max(599, 'status must be an HTTP error status from 400 to 599')
        .optional(),
      network: z.boolean({ error: 'network must be true or false' }).optional(),
      count: z
        .number({ error: 'count must be a whole number from 1' })
        .int('count must be a whole number from 1')
        .min(1, 'count must be a whole number from 1')
        .optional(),
      method: z.enum(['GET', 'PUT'], { error: 'method must be "GET" or "PUT"' }).optional(),
    },
    { error: 'the body must be a JSON object { status?, network?, count?, method? }' },
  )
  .refine((fault) => fault.network === true || fault.status !== undefined, {
    error: 'give a status (e.g. 503) or "network": true',
  });
export type Fault = z.infer<typeof FaultSchema>;

const FAULT_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
  500: 'INTERNAL',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** The error answer of an injected fault: the contract's error body, with CORS headers. */
export function faultResponse(status: number): Response {
  const headers: Record<string, string> = { ...JSON_HEADERS, ...CORS_HEADERS };
  if (status === 429 || status === 503) headers['retry-after'] = '1';
  const body = {
    success: false,
    error: FAULT_CODES[status] ?? `HTTP_${status}`,
    message: `Injected fault (POST /__test/faults): this request was answered ${status} without reaching the function. Try again.`,
  };
  return new Response(JSON.stringify(body), { status, headers });
}

/** The fault switch: the next `count` requests (or all, until cleared) matching `method`. */
export class FaultSwitch {
  private fault: Fault | null = null;
  set(fault: Fault) {
    this.fault = { ...fault };
  }
  clear() {
    this.fault = null;
  }
  /** The fault for a request with this method, if one applies; uses up one of `count`. */
  take(method: string): Fault | null {
    const fault = this.fault;
    if (!fault || method === 'OPTIONS') return null;
    if (fault.method && fault.method !== method) return null;
    if (fault.count !== undefined) {
      fault.count -= 1;
      if (fault.count <= 0) this.fault = null;
    }
    return fault;
  }
  toJSON() {
    return { fault: this.fault };
  }
}

/**
 * "Expire every access token issued so far", for everyone or for one user: tokens whose `iat` is
 * before the cut-off second are refused. The local auth signs tokens issued after a revocation at
 * the cut-off second or later (`clock`), so a refreshed token works at once.
 */
export class TokenRevocation {
  /** Seconds since the epoch; tokens issued before it are refused. 0 = none revoked. */
  private cutoff = 0;
  /** The same, per user id (a suite revoking only its own user disturbs no other test). */
  private readonly userCutoffs = new Map<string, number>();
  private latest = 0;
  revokeNow(userId?: string): number {
    const cutoff = Math.ceil(Date.now() / 1000);
    if (userId === undefined) this.cutoff = cutoff;
    else this.userCutoffs.set(userId, cutoff);
    this.latest = Math.max(this.latest, cutoff);
    return cutoff;
  }
  /** The seconds clock local auth signs with: never before a cut-off. */
  clock = (): number => Math.max(Math.floor(Date.now() / 1000), this.latest);
  /** `verify` that also refuses revoked tokens, as if they had expired. */
  wrap(verify: VerifyToken): VerifyToken {
    return async (token) => {
      const claims = await verify(token);
      if (this.latest > 0) {
        const { iat, sub } = decodeJwt(token);
        const cutoff = Math.max(
          this.cutoff,
          (typeof sub === 'string' && this.userCutoffs.get(sub)) || 0,
        );
        if (typeof iat !== 'number' || iat < cutoff)
          throw new AuthError(
            'The access token has expired: refresh the session or sign in again.',
          );
      }
      return claims;
    };
  }
}

/** The header that carries the hooks' secret, and the file in DATA_DIR that holds it. */
export const TEST_HOOKS_SECRET_HEADER = 'x-test-hooks-secret';
export const TEST_HOOKS_SECRET_FILE = 'test-hooks-secret';

/** A new secret for a server start (32 random bytes, base64url). */
export const newTestHooksSecret = (): string => randomBytes(32).toString('base64url');

const RevokeSchema = z.strictObject({ userId: z.uuid() });

export interface TestHooks {
  stats: RequestStats;
  faults: FaultSwitch;
  revocation: TokenRevocation;
  secret: string;
}

export function createTestHooks(secret: string): TestHooks {
  if (secret.length < 32) throw new Error('the test hooks need a secret of 32 characters or more');
  return {
    stats: new RequestStats(),
    faults: new FaultSwitch(),
    revocation: new TokenRevocation(),
    secret,
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Why a request may not use the hooks (null: it may). Pure, for the guard below. */
export function hooksRefusal(
  headers: { get(name: string): string | null | undefined },
  secret: string,
): string | null {
  // A browser names the page's origin (Origin) or the kind of request (Sec-Fetch-Site).
  if (headers.get('origin') || headers.get('sec-fetch-site'))
    return 'The test hooks answer a test runner only, never a web page (the request has Origin or Sec-Fetch-Site).';
  const given = headers.get(TEST_HOOKS_SECRET_HEADER);
  if (!given || !timingSafeEqual(digest(given), digest(secret)))
    return `The test hooks need the header X-Test-Hooks-Secret with the contents of DATA_DIR/${TEST_HOOKS_SECRET_FILE} (written at each start of the server with TEST_HOOKS=1).`;
  return null;
}

const forbidden = (message: string) =>
  new Response(JSON.stringify({ success: false, error: 'FORBIDDEN', message }), {
    status: 403,
    headers: JSON_HEADERS,
  });

/** The body's planId, reading at most the API's body limit (a copy of an oversized body stops). */
async function planIdOfBody(request: Request): Promise<string | undefined> {
  try {
    const bytes = await readBodyBytes(request);
    if (!bytes) return undefined;
    const body = JSON.parse(new TextDecoder().decode(bytes)) as { planId?: unknown } | null;
    return typeof body?.planId === 'string' ? body.planId : undefined;
  } catch {
    return undefined;
  }
}

type NodeEnv = { incoming?: { socket?: { destroy(): void } } } | undefined;

/**
 * Middleware for /functions/v1/*: counts PUTs and GETs of plan-sections (faulted ones included)
 * and 304 answers, and applies the fault switch.
 */
export function functionsHooks(hooks: TestHooks): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    const isSections = path === SECTIONS_PREFIX || path.startsWith(`${SECTIONS_PREFIX}/`);
    const sectionKey = path.slice(SECTIONS_PREFIX.length + 1) || '*';
    const countPut =
      isSections && method === 'PUT' && path.startsWith(`${SECTIONS_PREFIX}/`)
        ? c.req.raw.clone()
        : null;
    if (isSections && method === 'GET')
      hooks.stats.get(`${c.req.query('planId') ?? 'unknown'}/${sectionKey}`);
    const recordPut = async () => {
      if (countPut) hooks.stats.put(`${(await planIdOfBody(countPut)) ?? 'unknown'}/${sectionKey}`);
    };

    const fault = hooks.faults.take(method);
    if (fault) {
      await recordPut();
      const socket = (c.env as NodeEnv)?.incoming?.socket;
      if (fault.network) {
        // Drop the connection with no answer, as a dead network would.
        socket?.destroy();
        c.res = faultResponse(fault.status ?? 503);
        c.header('x-injected-fault', 'network');
        return;
      }
      c.res = faultResponse(fault.status ?? 503);
      c.header('x-injected-fault', 'status');
      return;
    }
    await next();
    await recordPut();
    if (c.res.status === 304) hooks.stats.notModifiedAnswer();
  };
}

/** Mounts /__test/* on the server app, each behind the secret and the origin check. */
export function mountTestHooks(app: Hono, hooks: TestHooks) {
  app.use('/__test/*', async (c, next) => {
    const refusal = hooksRefusal(c.req.raw.headers, hooks.secret);
    if (refusal) return forbidden(refusal);
    await next();
  });
  app.get('/__test/stats', (c) => c.json(hooks.stats.toJSON()));
  app.post('/__test/stats/reset', (c) => {
    hooks.stats.reset();
    return c.json(hooks.stats.toJSON());
  });

  app.get('/__test/faults', (c) => c.json(hooks.faults.toJSON()));
  app.post('/__test/faults', async (c: Context) => {
    const parsed = FaultSchema.safeParse((await readJsonBody(c)) ?? {});
    if (!parsed.success)
      return errorResponse(
        new ApiError(
          'BAD_REQUEST',
          `The fault is not valid: ${describeZodError(parsed.error)}. Send { "status"?: 400-599, "network"?: true, "count"?: n, "method"?: "GET" | "PUT" }.`,
        ),
      );
    hooks.faults.set(parsed.data);
    return c.json(hooks.faults.toJSON());
  });
  app.delete('/__test/faults', (c) => {
    hooks.faults.clear();
    return c.json(hooks.faults.toJSON());
  });

  app.post('/__test/revoke-access-tokens', async (c) => {
    // No body: every user's tokens; { "userId" }: only that user's.
    const text = await c.req.text();
    let userId: string | undefined;
    if (text.trim() !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
      const parsed = RevokeSchema.safeParse(body);
      if (!parsed.success)
        return errorResponse(
          new ApiError(
            'BAD_REQUEST',
            `The revocation is not valid: ${describeZodError(parsed.error)}. Send no body (every user) or { "userId": "<uuid>" }.`,
          ),
        );
      userId = parsed.data.userId;
    }
    const cutoff = hooks.revocation.revokeNow(userId);
    return c.json({ revokedBefore: new Date(cutoff * 1000).toISOString() });
  });
}
