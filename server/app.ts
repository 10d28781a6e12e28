// The local server app: the API of a Supabase project (Auth subset + the two Edge Functions) and
// the built web app, on one origin.
//   GET /health                      → 200 {"ok":true}
//   /auth/v1/*                       → local Auth (server/auth.ts)
//   /functions/v1/business-plans*    → the business-plans Edge Function app
//   /functions/v1/plan-sections*     → the plan-sections Edge Function app
//   /__test/*                        → test hooks, only with testHooks (TEST_HOOKS=1)
//   anything else (GET)              → static files from staticDir, SPA fallback to index.html
import { Hono, type Context } from 'hono';
import { bearerToken, createTokenVerifier } from '../supabase/functions/_shared/auth.ts';
import type { Db } from '../supabase/functions/_shared/db.ts';
import { ApiError, errorResponse } from '../supabase/functions/_shared/errors.ts';
import { toErrorResponse } from '../supabase/functions/_shared/http.ts';
import { createBusinessPlansApp } from '../supabase/functions/business-plans/app.ts';
import { createPlanSectionsApp } from '../supabase/functions/plan-sections/app.ts';
import { createAuthApp } from './auth.ts';
import { refuseEndedSessions } from './ended-sessions.ts';
import { escapeLogField, requestLevel, shouldLog, type LogLevel } from './log.ts';
import { verifierKeys, type LocalSigning } from './signing.ts';
import { serveStatic } from './static.ts';
import { FUNCTIONS_PREFIX, createTestHooks, functionsHooks, mountTestHooks } from './test-hooks.ts';

export interface ServerAppOptions {
  db: Db;
  /** The access tokens' keys (signed by /auth/v1, verified by the functions; signing.ts). */
  signing: LocalSigning;
  /** The Vite build (dist/); without it only the API is served. */
  staticDir?: string;
  /** Mount /__test/* (TEST_HOOKS=1), callable with this secret only. Off by default. */
  testHooks?: { secret: string } | false;
  /** Where request lines go; default console.log (status < 500) and console.error (500+). */
  log?: (line: string, status: number) => void;
  /** Request lines below this level are not printed (default info; see log.ts). */
  logLevel?: LogLevel;
  /** Access token lifetime in seconds (default 600, auth.ts). */
  accessTokenTtl?: number;
}

const API_PREFIXES = ['/auth/', '/functions/', '/rest/', '/__test', '/health'];

export function createServerApp(options: ServerAppOptions) {
  const { db, signing, staticDir } = options;
  const logLevel = options.logLevel ?? 'info';
  const log =
    options.log ??
    ((line: string, status: number) => (status >= 500 ? console.error(line) : console.log(line)));
  const errorLog = (message: string, error?: unknown) =>
    console.error(`${message}:`, error instanceof Error ? (error.stack ?? error.message) : error);
  const hooks = options.testHooks ? createTestHooks(options.testHooks.secret) : null;
  // The functions get the keys as on Supabase: the public JWKS (SUPABASE_JWKS), a legacy secret.
  const signedBy = createTokenVerifier(verifierKeys(signing));
  // With the test hooks, tokens issued before POST /__test/revoke-access-tokens are refused.
  const verifyToken = hooks ? hooks.revocation.wrap(signedBy) : signedBy;
  // A signed-out session's access tokens stop working at once, not at `exp`.
  const fnDeps = { db, verifyToken: refuseEndedSessions(verifyToken, db), log: errorLog };
  const functions: Record<string, { fetch: (request: Request) => Response | Promise<Response> }> = {
    'business-plans': createBusinessPlansApp(fnDeps),
    'plan-sections': createPlanSectionsApp(fnDeps),
  };
  const auth = createAuthApp({
    db,
    signing,
    log: errorLog,
    accessTokenTtl: options.accessTokenTtl,
    verifyToken,
    clock: hooks?.revocation.clock,
  });

  const app = new Hono();

  // One line per request: method, path, status, duration, user id. Never bodies or tokens.
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    if (!shouldLog(requestLevel(status), logLevel)) return;
    const ms = Math.round(performance.now() - started);
    let user = '-';
    const token = bearerToken(c.req.header('authorization'));
    if (token)
      user = await signedBy(token).then(
        (claims) => claims.sub,
        () => '-',
      );
    const fault = c.res.headers.get('x-injected-fault');
    // The path as sent (still percent-encoded), each field escaped: no request can forge a line.
    const fields = [c.req.method, new URL(c.req.url).pathname, String(status), `${ms}ms`];
    fields.push(`user=${user}`, ...(fault ? [`fault=${fault}`] : []));
    log(fields.map(escapeLogField).join(' '), status);
  });

  app.get('/health', (c) => c.json({ ok: true }));

  app.all('/auth/v1/*', (c) => auth.fetch(c.req.raw));

  const forwardToFunction = async (c: Context) => {
    const url = new URL(c.req.url);
    const rest = url.pathname.slice(FUNCTIONS_PREFIX.length);
    const name = rest.split('/')[1] ?? '';
    const fn = functions[name];
    if (!fn)
      return errorResponse(
        new ApiError(
          'NOT_FOUND',
          `There is no function "${name}". Use business-plans or plan-sections.`,
        ),
      );
    url.pathname = rest;
    // Supabase hands a function the path without /functions/v1.
    return fn.fetch(new Request(url, c.req.raw));
  };

  if (hooks) {
    mountTestHooks(app, hooks);
    app.use(`${FUNCTIONS_PREFIX}/*`, functionsHooks(hooks));
  }

  app.all(`${FUNCTIONS_PREFIX}/*`, forwardToFunction);

  app.all('*', async (c) => {
    const pathname = c.req.path;
    const isApi = API_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(prefix));
    if (!isApi && staticDir && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
      const response = await serveStatic(staticDir, pathname, c.req.method);
      if (response) return response;
    }
    return errorResponse(new ApiError('NOT_FOUND', `Nothing is served at ${pathname}.`));
  });

  app.onError((error) => toErrorResponse(error, errorLog));
  return app;
}
