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
  // 30 creating saves and 70 reads, interleaved and all in flight at once.
  const requests = Array.from({ length: 100 }, (_, i) =>
    i % 10 < 3
      ? app.sameVersion(planId, 1, 0).then(([status]) => ({ kind: 'save' as const, status }))
      : app.read(planId).then(({ version }) => ({ kind: 'read' as const, version })),
  );
  const answers = await Promise.all(requests);
  const saves = answers.flatMap((a) => (a.kind === 'save' ? [a.status] : []));
  const reads = answers.flatMap((a) => (a.kind === 'read' ? [a.version] : []));
  expect(saves).toHaveLength(30);
  expect(saves.filter((s) => s === 200)).toHaveLength(1);
  expect(saves.filter((s) => s === 409)).toHaveLength(29);
  // Each read is its own transaction: it sees the section before the one write or after it.
  expect(reads).toHaveLength(70);
  for (const version of reads) expect([0, 1]).toContain(version);
  expect((await app.read(planId)).version).toBe(1);
});
