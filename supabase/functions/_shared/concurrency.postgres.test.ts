// Concurrency through the app on a real Postgres (PGlite runs one transaction at a time, so only a
// real server can interleave them): read-modify-write writers and same-version savers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_SECRET,
  createPostgresTestDatabase,
  createTestUser,
  postgresAvailable,
  silentLog,
  type TestDatabase,
  type TestUser,
} from '../../../server/test-support.ts';
import { createBusinessPlansApp } from '../business-plans/app.ts';
import { createPlanSectionsApp } from '../plan-sections/app.ts';
import { createJwtVerifier } from './auth.ts';

describe.skipIf(!(await postgresAvailable()))('concurrent saves on Postgres', () => {
  let env: TestDatabase;
  let sections: ReturnType<typeof createPlanSectionsApp>;
  let plans: ReturnType<typeof createBusinessPlansApp>;
  let user: TestUser;

  beforeAll(async () => {
    env = await createPostgresTestDatabase(20);
    const deps = { db: env.db, verifyToken: createJwtVerifier(TEST_SECRET), log: silentLog };
    sections = createPlanSectionsApp(deps);
    plans = createBusinessPlansApp(deps);
    user = await createTestUser(env.db);
  });
  afterAll(async () => {
    await env?.close();
  });

  const headers = () => ({
    authorization: `Bearer ${user.token}`,
    'content-type': 'application/json',
  });

  async function newPlan(): Promise<string> {
    const res = await plans.request('/business-plans', {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ title: 'Concurrency' }),
    });
    return ((await res.json()) as { data: { id: string } }).data.id;
  }

  async function read(planId: string) {
    const res = await sections.request(`/plan-sections/section-one?planId=${planId}`, {
      headers: headers(),
    });
    if (res.status === 404) return { version: 0, counter: 0 };
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { version: number; data: { counter: number } } };
    return { version: body.data.version, counter: body.data.data.counter };
  }

  const save = (planId: string, data: unknown, version: number) =>
    sections.request('/plan-sections/section-one', {
      method: 'PUT',
      headers: headers(),
      body: JSON.stringify({ planId, data, version }),
    });

  it('50 read-modify-write writers: the counter equals the number of successful saves', async () => {
    const planId = await newPlan();
    const writers = 50;
    const maxAttempts = 200;
    let ok = 0;
    let conflicts = 0;
    let gaveUp = 0;
    const attemptsPerWriter: number[] = [];

    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let attempt = 1; attempt <= maxAttempts; attempt++) {
          const current = await read(planId);
          const res = await save(planId, { counter: current.counter + 1 }, current.version);
          await res.body?.cancel();
          if (res.status === 200) {
            ok += 1;
            attemptsPerWriter.push(attempt);
            return;
          }
          expect(res.status).toBe(409);
          conflicts += 1;
          // A little jitter so the retries don't stay in lockstep.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        }
        gaveUp += 1;
      }),
    );

    const final = await read(planId);
    const totalAttempts = ok + conflicts;
    console.log(
      `50 writers: ${ok} saves (200), ${conflicts} conflicts (409) retried, ${gaveUp} gave up; ` +
        `${totalAttempts} attempts in all, at most ${Math.max(...attemptsPerWriter)} for one writer; ` +
        `final counter ${final.counter}, version ${final.version}`,
    );
    expect(conflicts, 'the writers really contended').toBeGreaterThan(0);
    expect(gaveUp).toBe(0);
    expect(ok).toBe(writers);
    expect(final.counter).toBe(ok);
    expect(final.version).toBe(ok);
  });

  it('30 concurrent saves carrying one version: exactly one 200 and 29 409s', async () => {
    const planId = await newPlan();
    for (const version of [0, 1]) {
      const statuses = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const res = await save(planId, { saver: i, round: version }, version);
          await res.body?.cancel();
          return res.status;
        }),
      );
      const count = (status: number) => statuses.filter((s) => s === status).length;
      console.log(`30 savers with version ${version}: ${count(200)} × 200, ${count(409)} × 409`);
      expect(count(200)).toBe(1);
      expect(count(409)).toBe(29);
    }
    expect((await read(planId)).version).toBe(2);
  });
});
