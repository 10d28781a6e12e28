// `npm start`'s entry (server/main.ts) as a real process: the printed URL, /health, data kept
// across a restart (database and signing key), clean stops, LOG_LEVEL, and the one-line errors for
// a taken port, a data folder in use, unusable, damaged or from a newer version (left untouched).
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, spawnServer, startServer, stopAll, type ServerProcess } from './process-support.ts';

const root = mkdtempSync(path.join(tmpdir(), 'mpfs-main-'));
afterAll(() => {
  stopAll();
  rmSync(root, { recursive: true, force: true });
});

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });

describe('server/main.ts (npm start)', () => {
  it('starts, keeps data across restarts, refuses a taken port or data folder, stops cleanly', async () => {
    const dataDir = path.join(root, 'data');
    const first = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    expect(first.output()).toContain(`Data is kept in ${dataDir}`);
    const url = first.url.replace('127.0.0.1', 'localhost');
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true });
    const port = new URL(url).port;
    // localhost answers on both loopback addresses.
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    const signup = await post(`${url}/auth/v1/signup`, {
      email: 'keep@example.com',
      password: 'keep-password',
    });
    expect(signup.status).toBe(200);
    const { access_token: token } = (await signup.json()) as { access_token: string };
    const created = await post(`${url}/functions/v1/business-plans`, { title: 'Kept' }, token);
    expect(created.status).toBe(201);
    expect(statSync(path.join(dataDir, 'signing-key.json')).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(false);
    // One line per request at LOG_LEVEL=info, without the password or the token.
    expect(first.output()).toMatch(/^POST \/auth\/v1\/signup 200 \d+ms user=-$/m);
    expect(first.output()).toMatch(
      /^POST \/functions\/v1\/business-plans 201 \d+ms user=[0-9a-f-]{36}$/m,
    );
    expect(first.output()).not.toContain('keep-password');
    expect(first.output()).not.toContain(token);

    const portTaken = spawnServer({ DATA_DIR: path.join(root, 'other'), PORT: port });
    expect(await portTaken.exited).toBe(1);
    expect(portTaken.output().trim().split('\n')).toHaveLength(1);
    expect(portTaken.output()).toMatch(/Port \d+ is already in use.*PORT=/);

    const dirTaken = spawnServer({ DATA_DIR: dataDir });
    expect(await dirTaken.exited).toBe(1);
    expect(dirTaken.output()).toMatch(/Another myplanforsuccess .* is using/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Stopped.');
    expect(existsSync(path.join(dataDir, 'server.pid'))).toBe(false);

    const second = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    // Same signing key: the old access token still works, and the plan is still there.
    const plans = await fetch(`${second.url}/functions/v1/business-plans`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(plans.status).toBe(200);
    expect(((await plans.json()) as { data: Array<{ title: string }> }).data).toEqual([
      expect.objectContaining({ title: 'Kept' }),
    ]);
    const signIn = await post(`${second.url}/auth/v1/token?grant_type=password`, {
      email: 'keep@example.com',
      password: 'keep-password',
    });
    expect(signIn.status).toBe(200);
    // LOG_LEVEL=warn: no request lines for 2xx–4xx answers.
    expect((await fetch(`${second.url}/functions/v1/business-plans`)).status).toBe(401);
    expect(second.output()).not.toMatch(/^(GET|POST) \//m);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });
});

describe('startup errors: one line that says the fix, exit 1, nothing overwritten', () => {
  let template: string;
  beforeAll(async () => {
    // One good data folder to copy and damage (a start makes and migrates it).
    template = path.join(root, 'template');
    const made: ServerProcess = await startServer({ DATA_DIR: template });
    made.child.kill('SIGTERM');
    await made.exited;
  });

  function copyTemplate(name: string) {
    const dir = path.join(root, name);
    cpSync(template, dir, { recursive: true });
    return dir;
  }

  /** Every file under `dir` with its size and modification time. */
  function listing(dir: string): string {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const file = path.join(d, entry.name);
        if (entry.isDirectory()) walk(file);
        else {
          const st = statSync(file);
          out.push(`${path.relative(dir, file)} ${st.size} ${st.mtimeMs}`);
        }
      }
    };
    walk(dir);
    return out.sort().join('\n');
  }

  async function expectOneLine(
    env: Record<string, string>,
    message: RegExp,
    as: { uid?: number; gid?: number } = {},
  ) {
    const started = spawnServer(env, as);
    expect(await started.exited).toBe(1);
    const lines = started.output().trim().split('\n');
    expect(lines, started.output()).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(started.output()).not.toMatch(/^\s+at /m);
  }

  it('DATA_DIR is a file', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    await expectOneLine(
      { DATA_DIR: file },
      /DATA_DIR .*a-file is a file, not a folder\. Set DATA_DIR/,
    );
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  // Root reads every folder, so this needs another user: run as `nobody` when the suite is root
  // and `nobody` can read the project (a checkout under /root can't be).
  const nobodyCanRun =
    process.getuid?.() === 0 &&
    spawnSync(
      process.execPath,
      [
        '-e',
        `require('fs').accessSync(${JSON.stringify(path.join(ROOT, 'node_modules/tsx/package.json'))})`,
      ],
      { uid: 65534, gid: 65534, cwd: '/' },
    ).status === 0;
  it.skipIf(!nobodyCanRun)('DATA_DIR is not readable by the user', async () => {
    const dir = path.join(root, 'roots-only');
    mkdirSync(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    chmodSync(root, 0o755);
    await expectOneLine(
      { DATA_DIR: path.join(dir, 'data') },
      /DATA_DIR .* is not readable and writable by this user\. Set DATA_DIR/,
      { uid: 65534, gid: 65534 },
    );
  });

  it('the jwt-secret is unreadable (a folder)', async () => {
    const dir = path.join(root, 'secret-dir');
    mkdirSync(path.join(dir, 'jwt-secret'), { recursive: true });
    await expectOneLine(
      { DATA_DIR: dir },
      /jwt-secret can't be read or made .*Make it a readable file/,
    );
  });

  it('the signing key is damaged', async () => {
    const dir = path.join(root, 'bad-key');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'signing-key.json'), '{"kty":"EC","crv":"P-256"}\n');
    const before = listing(dir);
    await expectOneLine(
      { DATA_DIR: dir },
      /signing-key\.json holds no ES256 signing key\. Delete it/,
    );
    expect(readFileSync(path.join(dir, 'signing-key.json'), 'utf8')).toBe(
      '{"kty":"EC","crv":"P-256"}\n',
    );
    expect(listing(dir)).toBe(before);
  });

  it('pgdata is not a database', async () => {
    const dir = path.join(root, 'not-db');
    mkdirSync(path.join(dir, 'pgdata'), { recursive: true });
    writeFileSync(path.join(dir, 'pgdata', 'notes.txt'), 'mine');
    const before = listing(dir);
    await expectOneLine({ DATA_DIR: dir }, /is not a database folder .*left as it is/);
    expect(listing(dir)).toBe(before);
  });

  it.each([
    ['pg_control overwritten with noise', 'global/pg_control'],
    ['the pg_proc catalog cut short', 'base/5/1255'],
  ])('a damaged database: %s', async (_name, file) => {
    const dir = copyTemplate(`damaged-${file.replace(/\W/g, '_')}`);
    const damagedFile = path.join(dir, 'pgdata', file);
    writeFileSync(damagedFile, Buffer.alloc(100, 7));
    const before = readdirSync(path.join(dir, 'pgdata'), { recursive: true, encoding: 'utf8' });
    await expectOneLine({ DATA_DIR: dir }, /The database in .* can't be opened .*left as it is/);
    // Postgres may have touched its own files trying, but nothing was made anew or removed.
    expect(readFileSync(damagedFile)).toEqual(Buffer.alloc(100, 7));
    const after = readdirSync(path.join(dir, 'pgdata'), { recursive: true, encoding: 'utf8' });
    expect(after).toEqual(expect.arrayContaining(before));
    expect(existsSync(path.join(dir, 'pgdata.incomplete'))).toBe(false);
  });

  it('a database from a newer version (an unknown migration, or a newer Postgres)', async () => {
    const future = '29990101000000_from_the_future.sql';
    const dir = copyTemplate('newer-schema');
    writeFileSync(path.join(dir, 'schema-version'), `${future}\n`);
    const before = listing(dir);
    const newer = new RegExp(`was written by a newer myplanforsuccess .*${future}.*newer version`);
    await expectOneLine({ DATA_DIR: dir }, newer);
    expect(listing(dir)).toBe(before);

    // The database itself says so too (the schema-version file lost or old).
    const inDb = copyTemplate('newer-schema-in-db');
    rmSync(path.join(inDb, 'schema-version'));
    const pg = await PGlite.create({ dataDir: path.join(inDb, 'pgdata') });
    await pg.query('insert into local_meta.schema_migrations (name) values ($1)', [future]);
    await pg.close();
    await expectOneLine({ DATA_DIR: inDb }, newer);
    const check = await PGlite.create({ dataDir: path.join(inDb, 'pgdata') });
    const names = await check.query<{ name: string }>(
      'select name from local_meta.schema_migrations order by name',
    );
    await check.close();
    expect(names.rows.at(-1)?.name).toBe(future);

    const newerPg = copyTemplate('newer-postgres');
    writeFileSync(path.join(newerPg, 'pgdata', 'PG_VERSION'), '99\n');
    const beforePg = listing(newerPg);
    await expectOneLine({ DATA_DIR: newerPg }, /made by a newer myplanforsuccess \(Postgres 99/);
    expect(listing(newerPg)).toBe(beforePg);
  });

  it('a start stopped while making the database is redone', async () => {
    const dir = path.join(root, 'half-made');
    mkdirSync(path.join(dir, 'pgdata', 'base'), { recursive: true });
    writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), '18\n');
    writeFileSync(path.join(dir, 'pgdata.incomplete'), '');
    const server = await startServer({ DATA_DIR: dir });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(existsSync(path.join(dir, 'pgdata.incomplete'))).toBe(false);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it.each([
    [{ PORT: 'abc' }, /PORT=abc is not a port number/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL=loud is not a log level/],
    [{ ACCESS_TOKEN_TTL_SECONDS: '0' }, /ACCESS_TOKEN_TTL_SECONDS=0 is not a lifetime/],
    [{ JWT_ALG: 'none' }, /JWT_ALG=none is not supported: use ES256/],
  ])('a bad setting %j', async (env, message) => {
    await expectOneLine({ DATA_DIR: path.join(root, 'unused'), ...env }, message);
  });
});
