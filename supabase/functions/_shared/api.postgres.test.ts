// The API suite on a real Postgres (a throwaway database mpfs_test_<random>, dropped after).
import { describe } from 'vitest';
import { createPostgresTestDatabase, postgresAvailable } from '../../../server/test-support.ts';
import { defineApiSuite } from './api-suite.ts';

describe.skipIf(!(await postgresAvailable()))('API on Postgres', () => {
  defineApiSuite(() => createPostgresTestDatabase());
});
