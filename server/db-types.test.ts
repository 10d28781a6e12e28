// The checked-in Database type (supabase/functions/_shared/database.types.ts) is what the
// migrations build: regenerated here with postgres-meta on a throwaway database and compared.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATABASE_TYPES_FILE, generateDatabaseTypes } from './db-types.ts';
import { postgresAvailable } from './test-support.ts';

describe.skipIf(!(await postgresAvailable()))('generated database types', () => {
  it('match the migrations (else run npm run db:types and commit the file)', async () => {
    const generated = await generateDatabaseTypes();
    expect(generated).toContain('export type Database');
    expect(
      readFileSync(DATABASE_TYPES_FILE, 'utf8'),
      'supabase/functions/_shared/database.types.ts is out of date: run `npm run db:types` and commit it',
    ).toBe(generated);
  });
});
