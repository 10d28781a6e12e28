// The seeded fuzz (fuzz-suite.ts) on a real Postgres.
import { describe } from 'vitest';
import { createPostgresTestDatabase, postgresAvailable } from '../../../server/test-support.ts';
import { defineFuzzSuite } from './fuzz-suite.ts';

describe.skipIf(!(await postgresAvailable()))('fuzz on Postgres', () => {
  defineFuzzSuite(() => createPostgresTestDatabase(), 1000);
});
