// The API suite on PGlite (in memory, one database for the file, emptied between tests).
import { describe } from 'vitest';
import { createPgliteTestDatabase } from '../../../server/test-support.ts';
import { defineApiSuite } from './api-suite.ts';

describe('API on PGlite', () => {
  defineApiSuite(createPgliteTestDatabase);
});
