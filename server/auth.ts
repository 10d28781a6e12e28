// Local Auth: the subset of Supabase Auth (GoTrue) that supabase-js 2.x uses (contract §2).
//   POST /auth/v1/signup                            { email, password } → session (email confirmed)
//   POST /auth/v1/token?grant_type=password         { email, password } → session
//   POST /auth/v1/token?grant_type=refresh_token    { refresh_token }   → new session (rotated)
//   GET  /auth/v1/user                              Bearer → user
//   POST /auth/v1/logout?scope=global|local|others  Bearer → 204
//   GET  /auth/v1/.well-known/jwks.json             → the public signing keys (signing.ts)
// Errors have the API's `{ success: false, error, message }` plus what supabase-js reads from
// GoTrue (`msg`, `error_code`, `code` with the X-Supabase-Api-Version header), so its AuthApiError
// carries a useful message and code.
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import {
  AuthError,
  JWKS_PATH,
  bearerToken,
  createTokenVerifier,
  type VerifyToken,
} from '../supabase/functions/_shared/auth.ts';
import { sqlState, type Db, type Tx, type UserClaims } from '../supabase/functions/_shared/db.ts';
import { ApiError } from '../supabase/functions/_shared/errors.ts';
import {
  CORS_HEADERS,
  cors,
  defaultLogger,
  describeZodError,
  readJsonBody,
  type Logger,
} from '../supabase/functions/_shared/http.ts';
import { toIso } from '../supabase/functions/_shared/plans.ts';
import { isStorableText } from '../supabase/functions/_shared/schema.ts';
import { sessionLive } from './ended-sessions.ts';
import {
  publicJwks,
  signAccessToken,
  signerOf,
  verifierKeys,
  type LocalSigning,
} from './signing.ts';

export interface AuthAppOptions {
  db: Db;
  /** Signs access tokens (JWT_ALG, default ES256) and publishes the JWKS. */
  signing: LocalSigning;
  /** Access token lifetime in seconds (default ACCESS_TOKEN_TTL_DEFAULT). */
  accessTokenTtl?: number;
  /** Seconds a just-rotated refresh token may still be used, e.g. by a second tab (default 10). */
  refreshReuseSeconds?: number;
  log?: Logger;
  /** Checks access tokens on /user and /logout (default: the verifier for signing's keys). */
  verifyToken?: VerifyToken;
  /** Seconds since the epoch that tokens are signed at (default: now). */
  clock?: () => number;
}

/** 10 minutes, as supabase/config.toml's jwt_expiry: a leaked token is good for little time. */
export const ACCESS_TOKEN_TTL_DEFAULT = 600;

export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

// ---------------------------------------------------------------------------------------------
// Passwords: scrypt (a slow, memory-hard KDF from Node's crypto), random 16-byte salt.
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64, maxmem: 64 * 1024 * 1024 };

function scryptKey(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  keylen: number,
) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      salt,
      keylen,
      { N, r, p, maxmem: SCRYPT.maxmem },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptKey(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return [
    'scrypt',
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltText, keyText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !keyText) return false;
  const expected = Buffer.from(keyText, 'base64');
  const key = await scryptKey(
    password,
    Buffer.from(saltText, 'base64'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return key.length === expected.length && timingSafeEqual(key, expected);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// ---------------------------------------------------------------------------------------------
// Answers.
const API_VERSION_HEADERS = { 'x-supabase-api-version': '2024-01-01' };

const ERROR_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  500: 'INTERNAL',
};

class AuthApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 405 | 413 | 415 | 422 | 500,
    readonly errorCode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function authErrorResponse(error: AuthApiError): Response {
  const body = {
    success: false,
    error: ERROR_BY_STATUS[error.status] ?? 'BAD_REQUEST',
    message: error.message,
    msg: error.message,
    error_code: error.errorCode,
    code: error.errorCode,
    ...error.extra,
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...API_VERSION_HEADERS },
  });
}

const invalidCredentials = () =>
  new AuthApiError(
    400,
    'invalid_credentials',
    'Invalid login credentials: the email or the password is wrong. Check both, or create an account.',
  );

// ---------------------------------------------------------------------------------------------
// Users and sessions.
type UserRow = {
  id: string;
  email: string;
  encrypted_password: string;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  email_confirmed_at: unknown;
  last_sign_in_at: unknown;
  created_at: unknown;
  updated_at: unknown;
};

const USER_COLUMNS =
  'id, email, encrypted_password, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, last_sign_in_at, created_at, updated_at';

const isoOrNull = (value: unknown) => (value == null ? null : toIso(value));

/** The user object as GoTrue sends it (the fields supabase-js reads). */
export function toAuthUser(row: UserRow) {
  return {
    id: row.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: row.email,
    email_confirmed_at: isoOrNull(row.email_confirmed_at),
    confirmed_at: isoOrNull(row.email_confirmed_at),
    phone: '',
    last_sign_in_at: isoOrNull(row.last_sign_in_at),
    app_metadata: row.raw_app_meta_data,
    user_metadata: row.raw_user_meta_data,
    identities: [],
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    is_anonymous: false,
  };
}

const normalizeEmail = (email: string) => email.trim().toLowerCase();
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const CredentialsSchema = z.looseObject({
  email: z.string({ error: 'email must be a string' }),
  password: z.string({ error: 'password must be a string' }),
});
const SignupSchema = CredentialsSchema.extend({
  data: z.record(z.string(), z.unknown()).nullish(),
});
const RefreshSchema = z.looseObject({
  refresh_token: z.string({ error: 'refresh_token must be a string' }).min(1),
});

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new AuthApiError(
    400,
    'validation_failed',
    `The request is not valid: ${describeZodError(result.error)}. Fix it and try again.`,
  );
}

export function createAuthApp(options: AuthAppOptions) {
  const { db, signing } = options;
  const signer = signerOf(signing);
  const ttl = options.accessTokenTtl ?? ACCESS_TOKEN_TTL_DEFAULT;
  const reuseSeconds = options.refreshReuseSeconds ?? 10;
  const log = options.log ?? defaultLogger;
  const verify = options.verifyToken ?? createTokenVerifier(verifierKeys(signing));
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  // Compared against when the email is unknown, so both failures take the same time.
  let dummyHash: Promise<string> | undefined;

  async function issueSession(tx: Tx, user: UserRow, sessionId: string, parentId: number | null) {
    const refreshToken = randomBytes(32).toString('base64url');
    await tx.query(
      'insert into auth.refresh_tokens (token_hash, user_id, session_id, parent_id) values ($1, $2, $3, $4)',
      [sha256(refreshToken), user.id, sessionId, parentId],
    );
    return { user, sessionId, refreshToken };
  }

  async function sessionBody(issued: { user: UserRow; sessionId: string; refreshToken: string }) {
    const now = clock();
    const accessToken = await signAccessToken(signer, {
      sub: issued.user.id,
      email: issued.user.email,
      sessionId: issued.sessionId,
      expiresIn: ttl,
      now,
    });
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: ttl,
      expires_at: now + ttl,
      refresh_token: issued.refreshToken,
      user: toAuthUser(issued.user),
    };
  }

  async function requireClaims(c: Context): Promise<UserClaims> {
    const token = bearerToken(c.req.header('authorization'));
    if (!token)
      throw new AuthApiError(
        401,
        'no_authorization',
        'Sign in first: the request has no "Authorization: Bearer <access token>" header.',
      );
    try {
      return await verify(token);
    } catch (error) {
      if (error instanceof AuthError) throw new AuthApiError(401, 'bad_jwt', error.message);
      throw error;
    }
  }

  const app = new Hono().basePath('/auth/v1');
  app.use('*', cors());
  app.use('*', async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(API_VERSION_HEADERS)) c.res.headers.set(name, value);
  });
  const only =
    (...methods: string[]) =>
    async (c: Context, next: () => Promise<void>) => {
      if (!methods.includes(c.req.method))
        throw new AuthApiError(
          405,
          'method_not_allowed',
          `${c.req.method} is not supported here; use ${methods.join(' or ')}.`,
        );
      await next();
    };
  app.use('/signup', only('POST'));
  app.use('/token', only('POST'));
  app.use('/user', only('GET'));
  app.use('/logout', only('POST'));
  app.use(JWKS_PATH.slice('/auth/v1'.length), only('GET'));

  // As Supabase Auth: cacheable for a while, so a verifier elsewhere need not ask on every token.
  app.get(JWKS_PATH.slice('/auth/v1'.length), (c) =>
    c.json(publicJwks(signing), 200, { 'cache-control': 'public, max-age=600' }),
  );

  app.post('/signup', async (c) => {
    const body = parseBody(SignupSchema, await readJsonBody(c));
    const email = normalizeEmail(body.email);
    if (email.length > 254 || !EMAIL.test(email) || !isStorableText(email))
      throw new AuthApiError(
        400,
        'validation_failed',
        'Unable to validate email address: invalid format. Check the email address.',
      );
    if ([...body.password].length < MIN_PASSWORD_LENGTH)
      throw new AuthApiError(
        422,
        'weak_password',
        `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters.`,
        {
          weak_password: {
            reasons: ['length'],
            message: `Use at least ${MIN_PASSWORD_LENGTH} characters.`,
          },
        },
      );
    if (body.password.length > MAX_PASSWORD_LENGTH || !isStorableText(body.password))
      throw new AuthApiError(
        400,
        'validation_failed',
        `The password must be at most ${MAX_PASSWORD_LENGTH} characters of text.`,
      );

    const emailTaken = () =>
      new AuthApiError(
        422,
        'user_already_exists',
        'A user with this email address has already been registered. Sign in instead.',
      );
    const existing = await db.asService((tx) =>
      tx.query('select 1 from auth.users where email = $1', [email]),
    );
    if (existing.length > 0) throw emailTaken();

    const metadata = body.data && isStorableText(JSON.stringify(body.data)) ? body.data : {};
    const hash = await hashPassword(body.password);
    let issued;
    try {
      issued = await db.asService(async (tx) => {
        const [user] = await tx.query<UserRow>(
          `insert into auth.users (email, encrypted_password, raw_user_meta_data, email_confirmed_at, last_sign_in_at)
           values ($1, $2, $3::text::jsonb, now(), now()) returning ${USER_COLUMNS}`,
          [email, hash, JSON.stringify(metadata)],
        );
        if (!user) throw new Error('insert into auth.users returned no row');
        return issueSession(tx, user, randomUUID(), null);
      });
    } catch (error) {
      if (sqlState(error) === '23505') throw emailTaken();
      throw error;
    }
    return c.json(await sessionBody(issued));
  });

  app.post('/token', async (c) => {
    const grantType = c.req.query('grant_type');
    const raw = await readJsonBody(c);

    if (grantType === 'password') {
      const body = parseBody(CredentialsSchema, raw);
      const email = normalizeEmail(body.email);
      if (!isStorableText(email)) throw invalidCredentials();
      const [user] = await db.asService((tx) =>
        tx.query<UserRow>(`select ${USER_COLUMNS} from auth.users where email = $1`, [email]),
      );
      dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      const ok = await verifyPassword(body.password, user?.encrypted_password ?? (await dummyHash));
      if (!user || !ok) throw invalidCredentials();
      const issued = await db.asService(async (tx) => {
        const [signedIn] = await tx.query<UserRow>(
          `update auth.users set last_sign_in_at = now() where id = $1 returning ${USER_COLUMNS}`,
          [user.id],
        );
        return issueSession(tx, signedIn ?? user, randomUUID(), null);
      });
      return c.json(await sessionBody(issued));
    }

    if (grantType === 'refresh_token') {
      const body = parseBody(RefreshSchema, raw);
      const tokenHash = sha256(body.refresh_token);
      const issued = await db.asService(async (tx) => {
        // Use the token once: revoke it, atomically, and continue its session with a new one.
        let [used] = await tx.query<{ id: number; user_id: string; session_id: string }>(
          `update auth.refresh_tokens set revoked = true, revoked_at = now()
           where token_hash = $1 and not revoked returning id, user_id, session_id`,
          [tokenHash],
        );
        if (!used) {
          const [spent] = await tx.query<{
            id: number;
            user_id: string;
            session_id: string;
            recent: boolean;
          }>(
            `select id, user_id, session_id, revoked_at > now() - make_interval(secs => $2) as recent
             from auth.refresh_tokens where token_hash = $1 and revoked`,
            [tokenHash, reuseSeconds],
          );
          if (!spent) return null;
          // Used again long after it was rotated: a copy of a spent token (401, as GoTrue's
          // reuse detection). Just rotated (a second tab refreshing at the same moment): still
          // accepted briefly.
          if (!spent.recent) return 'reused' as const;
          used = spent;
        }
        const [user] = await tx.query<UserRow>(
          `select ${USER_COLUMNS} from auth.users where id = $1`,
          [used.user_id],
        );
        if (!user) return null;
        return issueSession(tx, user, used.session_id, Number(used.id));
      });
      if (issued === 'reused')
        throw new AuthApiError(
          401,
          'refresh_token_already_used',
          'Invalid Refresh Token: Already Used (it was replaced by a newer one). Sign in again.',
        );
      if (!issued)
        throw new AuthApiError(
          400,
          'refresh_token_not_found',
          'Invalid Refresh Token: Refresh Token Not Found. Sign in again.',
        );
      return c.json(await sessionBody(issued));
    }

    throw new AuthApiError(
      400,
      'validation_failed',
      'Unsupported grant_type: use ?grant_type=password or ?grant_type=refresh_token.',
    );
  });

  app.get('/user', async (c) => {
    const claims = await requireClaims(c);
    if (claims.session_id && !(await sessionLive(db, claims.session_id)))
      throw new AuthApiError(
        401,
        'session_not_found',
        'This session has ended (signed out). Sign in again.',
      );
    const user = await db.asService(async (tx) => {
      const [row] = await tx.query<UserRow>(
        `select ${USER_COLUMNS} from auth.users where id = $1`,
        [claims.sub],
      );
      return row ?? null;
    });
    if (!user)
      throw new AuthApiError(
        401,
        'user_not_found',
        'The user of this access token no longer exists. Sign up or sign in again.',
      );
    return c.json(toAuthUser(user));
  });

  app.post('/logout', async (c) => {
    const claims = await requireClaims(c);
    const scope = c.req.query('scope') ?? 'global';
    if (!['global', 'local', 'others'].includes(scope))
      throw new AuthApiError(400, 'validation_failed', 'scope must be global, local or others.');
    await db.asService(async (tx) => {
      if (scope === 'global' || !claims.session_id) {
        await tx.query('delete from auth.refresh_tokens where user_id = $1', [claims.sub]);
      } else if (scope === 'local') {
        await tx.query('delete from auth.refresh_tokens where session_id = $1', [
          claims.session_id,
        ]);
      } else {
        await tx.query('delete from auth.refresh_tokens where user_id = $1 and session_id <> $2', [
          claims.sub,
          claims.session_id,
        ]);
      }
    });
    return c.body(null, 204);
  });

  app.notFound(() =>
    authErrorResponse(
      new AuthApiError(404, 'not_found', 'This auth endpoint does not exist in local mode.'),
    ),
  );
  app.onError((error) => {
    if (error instanceof AuthApiError) return withCors(authErrorResponse(error));
    if (error instanceof ApiError) {
      const status = error.status === 409 ? 400 : error.status;
      return withCors(
        authErrorResponse(
          new AuthApiError(
            status,
            error.code === 'BAD_REQUEST' ? 'validation_failed' : error.code.toLowerCase(),
            error.message,
          ),
        ),
      );
    }
    if (sqlState(error)?.startsWith('22'))
      return withCors(
        authErrorResponse(
          new AuthApiError(
            400,
            'validation_failed',
            'The database refused a value in the request. Check it and try again.',
          ),
        ),
      );
    log('auth: internal error', error);
    return withCors(
      authErrorResponse(
        new AuthApiError(
          500,
          'unexpected_failure',
          'Something went wrong on the server. Try again; if it keeps happening, report it.',
        ),
      ),
    );
  });
  return app;
}

function withCors(response: Response): Response {
  for (const [name, value] of Object.entries(CORS_HEADERS)) response.headers.set(name, value);
  return response;
}
