// `npm run db:snapshot`: rewrites server/pgdata-snapshot.tar.gz, the prepared data folder a fresh
// `npm start` unpacks instead of running initdb (see pgdata.ts). Run it after adding a migration
// or changing supabase/bootstrap/local.sql; server/pgdata.test.ts says when it is out of date.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDb } from './db-pglite.ts';
import { migrate } from './migrate.ts';
import { SNAPSHOT_FILE } from './pgdata.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mpfs-snapshot-'));
try {
  const pg = await PGlite.create({ dataDir: path.join(dir, 'pgdata') });
  const applied = await migrate(pgliteDb(pg));
  // A checkpoint, so the snapshot needs no recovery when opened.
  await pg.query('checkpoint');
  const blob = await pg.dumpDataDir('gzip');
  await pg.close();
  writeFileSync(SNAPSHOT_FILE, Buffer.from(await blob.arrayBuffer()));
  console.log(
    `Wrote ${path.relative(process.cwd(), SNAPSHOT_FILE)} (${Math.round(blob.size / 1024)} KiB) with ${applied.length} migration(s): ${applied.join(', ')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
