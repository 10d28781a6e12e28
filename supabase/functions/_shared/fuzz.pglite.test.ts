// The seeded fuzz (fuzz-suite.ts) on PGlite.
import { describe } from 'vitest';
import { createPgliteTestDatabase } from '../../../server/test-support.ts';
import { defineFuzzSuite } from './fuzz-suite.ts';

describe('fuzz on PGlite', () => {
  defineFuzzSuite(createPgliteTestDatabase, 2000);
});
