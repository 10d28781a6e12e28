// The local server app: the API of a Supabase project (Auth subset + the two Edge Functions) and
// the built web app, on one origin.
//   GET /health                      → 200 {"ok":true}
//   /auth/v1/*                       → local Auth (server/auth.ts)
//   /functions/v1/business-plans*    → the business-plans Edge Function app
//   /functions/v1/plan-sections*     → the plan-sections Edge Function app
//   /__test/*                        → test hooks, only with testHooks (TEST_HOOKS=1)
//   anything else (GET)              → static files from staticDir, SPA fallback to index.html
import { Hono, type Context } from 'hono';
import { bearerToken, createJwtVerifier } from '../supabase/functions/_shared/auth.ts';
import type { Db } from '../supabase/functions/_shared/db.ts';
import { ApiError, errorResponse } from '../supabase/functions/_shared/errors.ts';
import { readBodyBytes, toErrorResponse } from '../supabase/functions/_shared/http.ts';
import { createBusinessPlansApp } from '../supabase/functions/business-plans/app.ts';
import { createPlanSectionsApp } from '../supabase/functions/plan-sections/app.ts';
import { createAuthApp } from './auth.ts';
import { serveStatic } from './static.ts';

export interface ServerAppOptions {
  db: Db;
  /** HS256 secret for access tokens (signed by /auth/v1, verified by the functions). */
  jwtSecret: string;
  /** The Vite build (dist/); without it only the API is served. */
  staticDir?: string;
  /** Mount /__test/* (TEST_HOOKS=1). Off by default. */
  testHooks?: boolean;
  /** One line per request; default console.log. Pass () => {} to silence. */
  log?: (line: string) => void;
}

const FUNCTIONS_PREFIX = '/functions/v1';
const API_PREFIXES = ['/auth/', '/functions/', '/rest/', '/__test', '/health'];

/** Per-(plan, section) count of PUTs to plan-sections, for suites that count saves. */
class PutStats {
  puts = new Map<string, number>();
  total = 0;
  add(key: string) {
    this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
    this.total += 1;
  }
  reset() {
    this.puts.clear();
    this.total = 0;
  }
  toJSON() {
    return { puts: Object.fromEntries(this.puts), putsTotal: this.total };
  }
}

async function planIdOf(request: Request): Promise<string | undefined> {
  try {
    const bytes = await readBodyBytes(request);
    if (!bytes) return undefined;
    const body = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    const planId = (body as { planId?: unknown } | null)?.planId;
    return typeof planId === 'string' ? planId : undefined;
  } catch {
    return undefined;
  }
}

export function createServerApp(options: ServerAppOptions) {
  const { db, jwtSecret, staticDir } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const errorLog = (message: string, error?: unknown) =>
    console.error(`${message}:`, error instanceof Error ? (error.stack ?? error.message) : error);
  const verifyToken = createJwtVerifier(jwtSecret);
  const fnDeps = { db, verifyToken, log: errorLog };
  const functions: Record<string, { fetch: (request: Request) => Response | Promise<Response> }> = {
    'business-plans': createBusinessPlansApp(fnDeps),
    'plan-sections': createPlanSectionsApp(fnDeps),
  };
  const auth = createAuthApp({ db, jwtSecret, log: errorLog });
  const stats = new PutStats();

  const app = new Hono();

  // One line per request: method, path, status, duration, user id. Never bodies or tokens.
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round(performance.now() - started);
    let user = '-';
    const token = bearerToken(c.req.header('authorization'));
    if (token)
      user = await verifyToken(token).then(
        (claims) => claims.sub,
        () => '-',
      );
    log(`${c.req.method} ${c.req.path} ${c.res.status} ${ms}ms user=${user}`);
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

  if (options.testHooks) {
    app.get('/__test/stats', (c) => c.json(stats.toJSON()));
    app.post('/__test/stats/reset', (c) => {
      stats.reset();
      return c.json(stats.toJSON());
    });
    app.put(`${FUNCTIONS_PREFIX}/plan-sections/*`, async (c) => {
      const copy = c.req.raw.clone();
      const response = await forwardToFunction(c);
      const sectionKey = c.req.path.slice(`${FUNCTIONS_PREFIX}/plan-sections/`.length);
      stats.add(`${(await planIdOf(copy)) ?? 'unknown'}/${sectionKey}`);
      return response;
    });
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
