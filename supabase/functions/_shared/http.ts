// HTTP plumbing shared by the Edge Functions (and the local auth endpoints): CORS, allowed
// methods, bearer auth, bounded JSON body reading, validation messages and the error handler.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { AuthError, bearerToken, type VerifyToken } from './auth.ts';
import { sqlState, type UserClaims } from './db.ts';
import { ApiError, INTERNAL_MESSAGE, JSON_HEADERS, badRequest, errorResponse } from './errors.ts';
import { LIMITS } from './schema.ts';

export type Logger = (message: string, error?: unknown) => void;
export const defaultLogger: Logger = (message, error) =>
  error === undefined ? console.error(message) : console.error(message, error);

export type FunctionEnv = { Variables: { user: UserClaims } };

export const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers':
    'authorization, apikey, content-type, if-none-match, x-client-info, x-supabase-api-version, x-retry-count, x-region',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-expose-headers': 'etag, retry-after, x-supabase-api-version',
  'access-control-max-age': '86400',
};

/** Answers every OPTIONS preflight and adds permissive CORS headers to every answer. */
export function cors(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS')
      return new Response(null, { status: 204, headers: CORS_HEADERS });
    await next();
    for (const [name, value] of Object.entries(CORS_HEADERS)) c.res.headers.set(name, value);
  };
}

/** 405 for any method not listed (HEAD included: contract §3 lists the methods exactly). */
export function allowMethods(...methods: string[]): MiddlewareHandler {
  return async (c, next) => {
    if (!methods.includes(c.req.method)) {
      throw new ApiError(
        'METHOD_NOT_ALLOWED',
        `${c.req.method} is not supported here; use ${methods.join(' or ')}.`,
        {},
        { allow: methods.join(', ') },
      );
    }
    await next();
  };
}

/** Rejects a declared body over the limit before anything else reads it. */
export function limitDeclaredBody(maxBytes: number = LIMITS.maxBodyBytes): MiddlewareHandler {
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
    await next();
  };
}

/** Verifies the bearer token and puts its claims in `c.var.user`; 401 otherwise. */
export function requireUser(verifyToken: VerifyToken): MiddlewareHandler<FunctionEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token)
      throw new ApiError(
        'UNAUTHORIZED',
        'Sign in first: the request has no "Authorization: Bearer <access token>" header.',
      );
    try {
      c.set('user', await verifyToken(token));
    } catch (error) {
      if (error instanceof AuthError) throw new ApiError('UNAUTHORIZED', error.message);
      throw error;
    }
    await next();
  };
}

const payloadTooLarge = (maxBytes: number) =>
  new ApiError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than ${maxBytes} bytes. Send less data (a section's data must fit in ${maxBytes} bytes).`,
  );

export function isJsonContentType(header: string | null | undefined): boolean {
  if (!header) return false;
  return header.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Reads the raw body, counting bytes as they arrive: more than `maxBytes` (declared or actual)
 * → 413 without reading the rest. Returns null when no body (or an empty one) was sent.
 */
export async function readBodyBytes(
  request: Request,
  maxBytes: number = LIMITS.maxBodyBytes,
): Promise<Uint8Array | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
  if (!request.body) return null;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        void reader.cancel().catch(() => {});
        throw payloadTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw badRequest('The request body could not be read (the connection broke?). Send it again.');
  }
  if (total === 0) return null;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const NO_BODY = Symbol('no body');

/**
 * Reads a JSON body with the contract's checks: 413 over the size limit, 415 when a body comes
 * with a Content-Type other than application/json, 400 when it isn't valid UTF-8 JSON.
 * Returns `undefined` when no body was sent.
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  const value = await readJson(c.req.raw);
  return value === NO_BODY ? undefined : value;
}

async function readJson(request: Request): Promise<unknown> {
  const contentType = request.headers.get('content-type');
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  if (declared > LIMITS.maxBodyBytes) throw payloadTooLarge(LIMITS.maxBodyBytes);
  if (declared > 0 && !isJsonContentType(contentType)) throw unsupportedMediaType(contentType);
  const bytes = await readBodyBytes(request);
  if (bytes === null) return NO_BODY;
  if (!isJsonContentType(contentType)) throw unsupportedMediaType(contentType);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8. Send JSON encoded as UTF-8.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? ` (${error.message})` : '';
    throw badRequest(`The request body is not valid JSON${detail}. Send a JSON object.`);
  }
}

function unsupportedMediaType(contentType: string | null): ApiError {
  return new ApiError(
    'UNSUPPORTED_MEDIA_TYPE',
    `The request body has Content-Type ${contentType ? `"${contentType}"` : '(none)'}; send it as JSON with "Content-Type: application/json".`,
  );
}

/** Says, in words, what a zod validation found wrong. */
export function describeZodError(error: z.ZodError): string {
  const parts = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => JSON.stringify(key)).join(', ');
      const where = issue.path.length ? ` in ${issue.path.join('.')}` : '';
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`;
    }
    const path = issue.path.map(String).join('.');
    return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
  });
  return [...new Set(parts)].join('; ');
}

/** Validates `value` with `schema`; 400 BAD_REQUEST saying what is wrong otherwise. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badRequest(
    `The ${what} is not valid: ${describeZodError(result.error)}. Fix it and try again.`,
  );
}

/**
 * Turns any thrown error into an answer. ApiError → its status; a database "data exception"
 * (SQLSTATE class 22: a value Postgres refuses) → 400; anything else is a server fault:
 * logged, answered 500 INTERNAL.
 */
export function toErrorResponse(error: unknown, log: Logger): Response {
  if (error instanceof ApiError) return errorResponse(error);
  const state = sqlState(error);
  if (state?.startsWith('22')) {
    return errorResponse(
      badRequest('The database refused a value in the request. Check the data and try again.'),
    );
  }
  log('internal error', error);
  return new Response(
    JSON.stringify({ success: false, error: 'INTERNAL', message: INTERNAL_MESSAGE }),
    { status: 500, headers: JSON_HEADERS },
  );
}

/** A Hono app with CORS, the JSON 404 and the error handler every Edge Function uses. */
export function createFunctionBase(log: Logger = defaultLogger): Hono<FunctionEnv> {
  const app = new Hono<FunctionEnv>();
  app.use('*', cors());
  app.notFound(() =>
    errorResponse(
      new ApiError('NOT_FOUND', 'There is nothing at this path. Check the URL against the API.'),
    ),
  );
  app.onError((error) => toErrorResponse(error, log));
  return app;
}
