// Concurrent writers through the app, for the concurrency tests on both adapters: read → change
// → save, retrying on 409, bounded in attempts.
import { expect } from 'vitest';
import { createFunctionApps, type TestUser } from '../../../server/test-support.ts';
import type { Db } from './db.ts';

export interface WritersResult {
  ok: number;
  conflicts: number;
  gaveUp: number;
  maxAttempts: number;
  counter: number;
  version: number;
}

export function concurrencyHarness(db: Db, user: TestUser) {
  const { sections, plans } = createFunctionApps(db);
  const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };

  async function newPlan(): Promise<string> {
    const res = await plans.request('/business-plans', {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Concurrency' }),
    });
    return ((await res.json()) as { data: { id: string } }).data.id;
  }

  async function read(planId: string) {
    const res = await sections.request(`/plan-sections/section-one?planId=${planId}`, {
      headers,
    });
    if (res.status === 404) return { version: 0, counter: 0 };
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { version: number; data: { counter: number } } };
    return { version: body.data.version, counter: body.data.data.counter };
  }

  const save = async (planId: string, data: unknown, version: number) => {
    const res = await sections.request('/plan-sections/section-one', {
      method: 'PUT',
      headers,
      body: JSON.stringify({ planId, data, version }),
    });
    await res.body?.cancel();
    return res.status;
  };

  /** `writers` concurrent read-modify-write loops, each until one 200 (≤ 200 attempts). */
  async function writers(planId: string, writers: number): Promise<WritersResult> {
    const attemptsLimit = 200;
    let ok = 0;
    let conflicts = 0;
    let gaveUp = 0;
    let maxAttempts = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let attempt = 1; attempt <= attemptsLimit; attempt++) {
          const current = await read(planId);
          const status = await save(planId, { counter: current.counter + 1 }, current.version);
          if (status === 200) {
            ok += 1;
            maxAttempts = Math.max(maxAttempts, attempt);
            return;
          }
          expect(status).toBe(409);
          conflicts += 1;
          // A little jitter so the retries don't stay in lockstep.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        }
        gaveUp += 1;
      }),
    );
    const final = await read(planId);
    return { ok, conflicts, gaveUp, maxAttempts, counter: final.counter, version: final.version };
  }

  /** `count` concurrent saves all carrying `version`; returns their statuses. */
  const sameVersion = (planId: string, count: number, version: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) => save(planId, { saver: i, round: version }, version)),
    );

  return { newPlan, read, writers, sameVersion };
}

export const describeWriters = (label: string, r: WritersResult) =>
  `${label}: ${r.ok} saves (200), ${r.conflicts} conflicts (409) retried, ${r.gaveUp} gave up, ` +
  `at most ${r.maxAttempts} attempts for one writer; final counter ${r.counter}, version ${r.version}`;
