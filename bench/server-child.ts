// The server side of `npm run bench:server`, in its own process so the load generator doesn't
// share its event loop: one database (PGlite in a temporary folder, or a throwaway Postgres
// database), served over loopback HTTP twice — by the real app (atomic save) and by the same app
// with the save swapped for a plain unconditional UPDATE. Prints {"atomic":port,"plain":port};
// stops (and drops the database) on SIGTERM or when its parent goes away (stdin closes).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { createServerApp } from '../server/app.ts';
import { createPgliteDb } from '../server/db-pglite.ts';
import { migrate } from '../server/migrate.ts';
import {
  TEST_SIGNING,
  createPostgresTestDatabase,
  plainUpdate,
  silentLog,
  withSaveVariant,
} from '../server/test-support.ts';

const adapter = process.argv[2];
let cleanup: () => Promise<void>;
let db;
if (adapter === 'pglite') {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpfs-bench-'));
  db = await createPgliteDb({ dataDir: path.join(dir, 'pgdata') });
  await migrate(db);
  const opened = db;
  cleanup = async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  };
} else {
  const env = await createPostgresTestDatabase(Number(process.env.BENCH_PG_POOL ?? 20));
  db = env.db;
  cleanup = () => env.close();
}

const serve = (app: ReturnType<typeof createServerApp>) =>
  new Promise<Server>((resolve) => {
    const server = createServer(getRequestListener(app.fetch));
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
const options = { signing: TEST_SIGNING, log: silentLog };
const atomic = await serve(createServerApp({ db, ...options }));
const plain = await serve(createServerApp({ db: withSaveVariant(db, plainUpdate), ...options }));
const port = (server: Server) => (server.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ atomic: port(atomic), plain: port(plain) })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  for (const server of [atomic, plain]) {
    server.closeAllConnections();
    server.close();
  }
  await cleanup();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
