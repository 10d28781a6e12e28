// Local mode's signing material in the data folder (mode 600, made once):
//   signing-key.json  the ES256 key pair (private JWK with its kid); always made
//   jwt-secret        the HS256 secret: read when present (folders from before signing keys,
//                     whose tokens keep working), made only for JWT_ALG=HS256 without JWT_SECRET
// Env: JWT_ALG = ES256 (default) | HS256; JWT_SECRET overrides the jwt-secret file.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StartupError, firstLine } from './pgdata.ts';
import { SigningKeySchema, generateSigningKey, type LocalSigning } from './signing.ts';

export const SIGNING_KEY_FILE = 'signing-key.json';
export const SECRET_FILE = 'jwt-secret';
const MIN_SECRET_LENGTH = 32;

type Env = Record<string, string | undefined>;

export function loadLocalSigning(dataDir: string, env: Env = process.env): LocalSigning {
  const alg = env.JWT_ALG?.trim() || 'ES256';
  if (alg !== 'ES256' && alg !== 'HS256')
    throw new StartupError(
      `JWT_ALG=${alg.slice(0, 40)} is not supported: use ES256 (the default, as Supabase's signing keys) or HS256 (a legacy shared secret).`,
    );
  const key = guarded(path.join(dataDir, SIGNING_KEY_FILE), readOrMakeKey);
  const fromEnv = env.JWT_SECRET;
  if (fromEnv !== undefined && fromEnv.length < MIN_SECRET_LENGTH)
    throw new StartupError(
      `JWT_SECRET is too short: use at least ${MIN_SECRET_LENGTH} characters, or unset it.`,
    );
  const file = path.join(dataDir, SECRET_FILE);
  const secret =
    fromEnv ?? (alg === 'HS256' || existsSync(file) ? guarded(file, readOrMakeSecret) : undefined);
  return { alg, key, ...(secret ? { secret } : {}) };
}

function guarded<T>(file: string, read: (file: string) => T): T {
  try {
    return read(file);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(
      `${file} can't be read or made (${firstLine(error)}). Make it a readable file (or delete it: a new one is made at start, and tokens made with the old one stop working).`,
    );
  }
}

/** Writes `text` to `file` only if it doesn't exist, whole or not at all (mode 600). */
function createOnce(file: string, text: string) {
  if (existsSync(file)) return;
  const partial = `${file}.partial`;
  writeFileSync(partial, text, { mode: 0o600 });
  renameSync(partial, file);
  rmSync(partial, { force: true });
}

function readOrMakeKey(file: string) {
  createOnce(file, `${JSON.stringify(generateSigningKey())}\n`);
  chmodSync(file, 0o600);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    parsed = undefined;
  }
  const key = SigningKeySchema.safeParse(parsed);
  if (!key.success)
    throw new StartupError(
      `${file} holds no ES256 signing key. Delete it: a new one is made at start, and tokens made with the old one stop working.`,
    );
  return key.data;
}

function readOrMakeSecret(file: string): string {
  createOnce(file, randomBytes(48).toString('base64url') + '\n');
  chmodSync(file, 0o600);
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH)
    throw new StartupError(
      `${file} holds no usable secret. Delete it; a new one is made at start.`,
    );
  return secret;
}
