// The prepared snapshot a fresh start unpacks (server/pgdata-snapshot.tar.gz) is current, and the
// bundled PGlite makes data folders of the Postgres version pgdata.ts expects.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { expect, it } from 'vitest';
import { migrationFiles } from './migrate.ts';
import { PG_MAJOR, SNAPSHOT_FILE, untarInto } from './pgdata.ts';

/** A gzipped tar of plain files (no checksums: untarInto doesn't read them). */
function tarGz(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 'latin1');
    header.write('0000644\0', 100, 'latin1');
    header.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('0', 156, 'latin1');
    const data = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
    data.write(content);
    blocks.push(header, data);
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

it('unpacks a tar into the folder and refuses paths that leave it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpfs-untar-'));
  try {
    const good = path.join(dir, 'good.tar.gz');
    writeFileSync(good, tarGz({ '/PG_VERSION': '18\n', 'base/1/112': 'x'.repeat(700) }));
    untarInto(good, path.join(dir, 'out'));
    expect(readFileSync(path.join(dir, 'out', 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect(readFileSync(path.join(dir, 'out', 'base/1/112'), 'utf8')).toHaveLength(700);

    const evil = path.join(dir, 'evil.tar.gz');
    writeFileSync(evil, tarGz({ '../../escaped': 'no' }));
    // Normalized against the folder's root, `..` can't climb out of it.
    untarInto(evil, path.join(dir, 'out2'));
    expect(existsSync(path.join(dir, 'escaped'))).toBe(false);
    expect(existsSync(path.join(dir, 'out2', 'escaped'))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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
