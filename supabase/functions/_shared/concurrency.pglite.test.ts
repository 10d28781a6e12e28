// PGlite serves one query at a time: the adapter's transactions queue (docs/server.md), so
// concurrent callers still get correct answers. The same writers as on Postgres.
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createPgliteTestDatabase,
  createTestUser,
  type TestDatabase,
  type TestUser,
} from '../../../server/test-support.ts';
import { concurrencyHarness, describeWriters } from './concurrency-support.ts';

let env: TestDatabase;
let user: TestUser;
beforeAll(async () => {
  env = await createPgliteTestDatabase();
  user = await createTestUser(env.db);
});
afterAll(async () => {
  await env?.close();
});

// 20 writers, not 50: on a serial database every retry waits for all the others, so the work
// grows with the square of the writers; 20 already queue hundreds of transactions.
it('queues 20 concurrent read-modify-write writers on PGlite: no save is lost', async () => {
  const app = concurrencyHarness(env.db, user);
  const result = await app.writers(await app.newPlan(), 20);
  console.log(describeWriters('PGlite, 20 writers', result));
  expect(result.gaveUp).toBe(0);
  expect(result.ok).toBe(20);
  expect(result.counter).toBe(20);
  expect(result.version).toBe(20);
});

it('answers 100 concurrent mixed requests correctly, each in its own transaction', async () => {
  const app = concurrencyHarness(env.db, user);
  const planId = await app.newPlan();
  const statuses = await app.sameVersion(planId, 30, 0);
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  const reads = await Promise.all(Array.from({ length: 70 }, () => app.read(planId)));
  for (const read of reads) expect(read.version).toBe(1);
});
