// The prepared snapshot a fresh start unpacks (server/pgdata-snapshot.tar.gz) is current, and the
// bundled PGlite makes data folders of the Postgres version pgdata.ts expects.
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { expect, it } from 'vitest';
import { migrationFiles } from './migrate.ts';
import { PG_MAJOR, SNAPSHOT_FILE } from './pgdata.ts';

it('the snapshot holds every migration (else run npm run db:snapshot) and our Postgres version', async () => {
  const blob = new Blob([readFileSync(SNAPSHOT_FILE)], { type: 'application/x-gzip' });
  const pg = await PGlite.create({ loadDataDir: blob });
  try {
    const rows = await pg.query<{ name: string }>(
      'select name from local_meta.schema_migrations order by name',
    );
    expect(
      rows.rows.map((row) => row.name),
      'server/pgdata-snapshot.tar.gz is out of date: run `npm run db:snapshot` and commit it',
    ).toEqual(await migrationFiles());
    const [version] = (
      await pg.query<{ v: string }>("select current_setting('server_version_num') as v")
    ).rows;
    expect(String(Math.floor(Number(version?.v) / 10_000))).toBe(PG_MAJOR);
  } finally {
    await pg.close();
  }
});
