// A seeded, bounded fuzz of the plan-sections function, run on both adapters (fuzz.*.test.ts):
// a few thousand requests made from valid saves by mutating their bodies, their encoding, their
// headers, methods and paths. Never a 5xx; every answer is the contract's JSON. The fuzz keeps its
// own model of each section (version, data, last mutationId) and checks every answer against it:
// a 200 only when the sent version was the model's (or the save replays its mutationId), the
// version up by exactly one and the stored data equal to what was sent; a 409 exactly when the
// versions differ, naming the model's version and data; nothing else changes the database.
// Fixed seeds run every time, plus a fresh one (printed, in every failure message); FUZZ_SEED
// replays one seed alone, FUZZ_COUNT changes the number of requests per seed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import {
  TEST_SECRET,
  createFunctionApps,
  createTestUser,
  signTestToken,
  type TestDatabase,
  type TestUser,
} from '../../../server/test-support.ts';
import type { createPlanSectionsApp } from '../plan-sections/app.ts';
import { LIMITS, SECTION_KEYS } from './schema.ts';

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const WEIRD_STRINGS = [
  '',
  ' ',
  'x'.repeat(1000),
  '😀👩‍👩‍👧',
  'مرحبا',
  'e\u0301',
  '\u202e',
  "'; drop table public.plan_sections; --",
  '../../etc/passwd',
  '__proto__',
  'constructor',
  '\\u0000',
  '{"json":"in a string"}',
  '%00',
  '\u2028',
];

function randomScalar(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => rng.pick(WEIRD_STRINGS),
    () => rng.int(2_000_000) - 1_000_000,
    () => rng.next() * 1e6,
    () => rng.pick([0, -1, 1.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 1e308, -0]),
    () => rng.chance(0.5),
    () => null,
  ])();
}

function randomJson(rng: Rng, depth = 0): unknown {
  if (depth > 3 || rng.chance(0.4)) return randomScalar(rng);
  if (rng.chance(0.3)) return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
  return Object.fromEntries(
    Array.from({ length: rng.int(5) }, () => [
      rng.chance(0.8) ? `k${rng.int(20)}` : rng.pick(WEIRD_STRINGS),
      randomJson(rng, depth + 1),
    ]),
  );
}

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { d: value };
  return value;
}

interface FuzzContext {
  planId: string;
  otherPlanId: string;
  version: (key: string) => number;
}

type Body = Record<string, unknown>;

/** Changes a valid body in one of many ways (some still valid). */
function mutateBody(rng: Rng, body: Body, ctx: FuzzContext): unknown {
  const fields = ['planId', 'data', 'version', 'mutationId'];
  switch (rng.int(12)) {
    case 0:
      delete body[rng.pick(fields)];
      return body;
    case 1:
      body[rng.pick(fields)] = randomJson(rng);
      return body;
    case 2:
      body[rng.pick(['extra', 'id', 'user_id', 'version_', 'Version', '__proto__'])] =
        randomScalar(rng);
      return body;
    case 3:
      body.planId = rng.pick([
        ctx.otherPlanId,
        '00000000-0000-0000-0000-000000000000',
        ctx.planId.toUpperCase(),
        `${ctx.planId} `,
        "' or 1=1 --",
        ctx.planId.slice(0, 35),
      ]);
      return body;
    case 4:
      body.data = rng.pick([
        nested(LIMITS.maxDepth - 1 + rng.int(3)),
        Object.fromEntries(
          Array.from({ length: LIMITS.maxKeys - 1 + rng.int(3) }, (_, i) => [`k${i}`, i]),
        ),
        { long: 'y'.repeat(rng.int(200_000)) },
        { nul: 'a\u0000b' },
      ]);
      return body;
    case 5:
      body.version = rng.pick([
        -1,
        1.5,
        '1',
        2 ** 31,
        Number.MAX_SAFE_INTEGER,
        null,
        true,
        ctx.version(String(body.key)) + 1,
      ]);
      return body;
    case 6:
      body.mutationId = rng.pick(['', 'm'.repeat(101), 7, `m-${rng.int(5)}`, null]);
      return body;
    case 7:
      return [body];
    case 8:
      return rng.pick([null, 'string', 42, true, []]);
    case 9:
      body.data = rng.pick([[], 'text', 3, null, true]);
      return body;
    default:
      return body; // valid
  }
}

/** Changes the encoded body: cut, flipped, inserted or replaced bytes. */
function mutateBytes(rng: Rng, text: string): string | Uint8Array {
  const bytes = new TextEncoder().encode(text);
  switch (rng.int(8)) {
    case 0:
      return bytes.slice(0, rng.int(bytes.length + 1));
    case 1: {
      const copy = bytes.slice();
      const at = rng.int(copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 << rng.int(8));
      return copy;
    }
    case 2: {
      const at = rng.int(text.length);
      return (
        text.slice(0, at) +
        rng.pick(['\\ud800', '"', '\\', ',', '}', '\u0000', '\\u0000', 'NaN']) +
        text.slice(at)
      );
    }
    case 3:
      return new Uint8Array(Array.from({ length: rng.int(64) }, () => rng.int(256)));
    case 4:
      return text.replace(
        /"version":\d+/,
        `"version":${rng.pick(['1e3', '-0', '0.0', '01', '1E400', '"0"'])}`,
      );
    case 5:
      return `${'['.repeat(rng.int(50_000))}`;
    default:
      return text;
  }
}

/** The fuzz's own model of one of the plan's sections: what the server must hold. */
interface ModelSection {
  version: number;
  data: unknown;
  lastMutationId: string | null;
}

/** What the fuzz sent, read back from the bytes as the server would (null: not a JSON object). */
function sentBody(payload: string | Uint8Array): Body | null {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : null;
  } catch {
    return null;
  }
}

/** Fixed seeds run every time; a fresh random one is added unless FUZZ_SEED picks one. */
const FIXED_SEEDS = [1, 20261125];

export function defineFuzzSuite(open: () => Promise<TestDatabase>, defaultCount: number) {
  const count = Number(process.env.FUZZ_COUNT ?? defaultCount);
  const seeds = process.env.FUZZ_SEED
    ? [Number(process.env.FUZZ_SEED)]
    : [...FIXED_SEEDS, Math.floor(Math.random() * 2 ** 31)];
  let env: TestDatabase;
  let alice: TestUser;
  let bob: TestUser;
  let sections: ReturnType<typeof createPlanSectionsApp>;
  let plans: ReturnType<typeof createFunctionApps>['plans'];

  beforeAll(async () => {
    env = await open();
    const apps = createFunctionApps(env.db);
    sections = apps.sections;
    plans = apps.plans;
    alice = await createTestUser(env.db);
    bob = await createTestUser(env.db);
  });
  afterAll(async () => {
    await env?.close();
  });

  const newPlan = async (user: TestUser) => {
    const res = await plans.request('/business-plans', {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Fuzz' }),
    });
    return ((await res.json()) as { data: { id: string } }).data.id;
  };

  type Row = {
    id: string;
    business_plan_id: string;
    section_key: string;
    version: number;
    data: unknown;
  };
  /** The sections of one seed's two plans (every seed has its own, see below). */
  const snapshot = async (plans: readonly string[]) => {
    const rows = await env.db.asService((tx) =>
      tx.query<Row>(
        'select id, business_plan_id, section_key, version, data from public.plan_sections where business_plan_id = any($1::uuid[]) order by id',
        [plans],
      ),
    );
    return new Map(rows.map((row) => [row.id, { ...row, version: Number(row.version) }]));
  };
  const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  it.each(seeds)(
    `answers ${count} mutated requests (seed %i) as the model of the sections predicts`,
    async (seed) => {
      console.log(`fuzz: seed ${seed} (FUZZ_SEED=${seed} FUZZ_COUNT=${count} replays this run)`);
      // Each seed gets its own plans, so the model starts empty and seeds don't see each other.
      const planId = await newPlan(alice);
      const otherPlanId = await newPlan(bob);
      const rng = prng(seed);
      const now = Math.floor(Date.now() / 1000);
      const tokens = [
        alice.token,
        alice.token,
        alice.token,
        bob.token,
        'garbage',
        '',
        await signTestToken({ sub: alice.id, now: now - 7200 }),
        await new SignJWT({ role: 'authenticated', sub: alice.id })
          .setProtectedHeader({ alg: 'HS384' })
          .setExpirationTime(now + 600)
          .sign(new TextEncoder().encode(TEST_SECRET)),
      ];
      const model = new Map<string, ModelSection>();
      // Keyed by plan and section: bob may save his own plan when a mutation names it.
      const modelOf = (plan: string, key: string): ModelSection =>
        model.get(`${plan}/${key}`) ?? { version: 0, data: {}, lastMutationId: null };
      const ctx: FuzzContext = {
        planId,
        otherPlanId,
        version: (key) => modelOf(planId, key).version,
      };
      const rowIds = new Map<string, string>();
      const plans = [planId, otherPlanId];
      let before = await snapshot(plans);
      const statuses = new Map<number, number>();
      let cleanSaves = 0;

      for (let i = 0; i < count; i++) {
        const key = rng.chance(0.9)
          ? rng.pick(SECTION_KEYS)
          : rng.pick(['section-six', 'SECTION-ONE', '..%2f', '%00', 'a'.repeat(300), '']);
        const method = rng.chance(0.85)
          ? 'PUT'
          : rng.pick(['GET', 'POST', 'PATCH', 'DELETE', 'GET']);
        const body: Body = {
          planId,
          data: randomJson(rng, 1) ?? {},
          version: rng.chance(0.8) ? ctx.version(key) : rng.int(5),
        };
        if (typeof body.data !== 'object' || body.data === null || Array.isArray(body.data))
          body.data = { value: body.data };
        if (rng.chance(0.3)) body.mutationId = `m-${rng.int(5)}`;
        const bodyMutated = rng.chance(0.6);
        const mutated = bodyMutated ? mutateBody(rng, { ...body, key }, ctx) : { ...body, key };
        if (mutated && typeof mutated === 'object' && !Array.isArray(mutated))
          delete (mutated as Body).key;
        let payload: string | Uint8Array = JSON.stringify(mutated) ?? '';
        const bytesMutated = rng.chance(0.15);
        if (bytesMutated) payload = mutateBytes(rng, payload);
        const headers: Record<string, string> = {};
        const token = rng.chance(0.85) ? alice.token : rng.pick(tokens);
        const plainAuth = rng.chance(0.97);
        if (plainAuth) headers.authorization = `Bearer ${token}`;
        else
          headers.authorization = rng.pick([
            'Basic abc',
            'Bearer',
            `bearer  ${alice.token}`,
            alice.token,
          ]);
        const jsonType = rng.chance(0.9);
        headers['content-type'] = jsonType
          ? 'application/json'
          : rng.pick([
              'text/plain',
              'application/json; charset=latin1',
              'application/jsonx',
              '',
              '*/*',
            ]);
        if (rng.chance(0.05)) headers['if-none-match'] = rng.pick(['*', 'W/"x"', '"', ',,,']);
        const query =
          method === 'PUT' ? '' : `?planId=${rng.chance(0.8) ? planId : rng.pick(WEIRD_STRINGS)}`;
        const path = `/plan-sections${key === '' ? '' : `/${key}`}${query}`;
        const hasBody = method !== 'GET';
        const where = () =>
          `seed ${seed}, request ${i}: ${method} ${path} ${JSON.stringify(headers).slice(0, 300)} ${
            typeof payload === 'string' ? payload.slice(0, 300) : `<${payload.length} bytes>`
          }`;

        let res: Response;
        try {
          res = await sections.request(path, {
            method,
            headers,
            body: hasBody && payload.length ? (payload as BodyInit) : undefined,
          });
        } catch (error) {
          throw new Error(`the app threw (${String(error)}) at ${where()}`);
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const text = await res.text();
        expect(res.status, where()).toBeLessThan(500);
        let json: Record<string, unknown> = {};
        if (res.status !== 304) {
          expect(() => (json = JSON.parse(text) as Record<string, unknown>), where()).not.toThrow();
          expect(typeof json.success, where()).toBe('boolean');
          if (!json.success) {
            expect(typeof json.error, where()).toBe('string');
            expect(typeof json.message, where()).toBe('string');
          }
        }

        // The model's verdict on a save to one of the plan's sections: written, replayed
        // (its mutationId wrote the section last) or a conflict.
        const sent = method === 'PUT' ? sentBody(payload) : null;
        // A UUID is case-blind: the upper-case spelling names the same plan.
        const sentPlan = String(sent?.planId).toLowerCase();
        // The plan the caller may write: bob's token only reaches bob's plan.
        const ownPlan = plainAuth && token === bob.token ? otherPlanId : planId;
        const current = modelOf(sentPlan, key);
        const sentVersion = sent ? (sent.version ?? 0) : undefined;
        const sentMutationId = typeof sent?.mutationId === 'string' ? sent.mutationId : null;
        const replay =
          sentMutationId !== null &&
          current.version > 0 &&
          current.lastMutationId === sentMutationId;
        const matches = sentVersion === current.version;
        // A save the fuzz left whole: the model alone decides its answer.
        const clean =
          method === 'PUT' &&
          (SECTION_KEYS as readonly string[]).includes(key) &&
          !bodyMutated &&
          !bytesMutated &&
          plainAuth &&
          token === alice.token &&
          jsonType &&
          !headers['if-none-match'];
        if (clean) {
          cleanSaves++;
          expect(res.status, `a whole save is a 200 or a 409 as the model says: ${where()}`).toBe(
            replay || matches ? 200 : 409,
          );
        }

        const after = await snapshot(plans);
        const expected = new Map(before);
        if (res.status === 200 && method === 'PUT') {
          expect(sentPlan, `a 200 for a plan that is not the caller's: ${where()}`).toBe(ownPlan);
          const saved = json.data as Row;
          expect(saved.section_key, where()).toBe(key);
          if (replay) {
            expect(saved.version, `a replay writes nothing: ${where()}`).toBe(current.version);
            expect(saved.data, `a replay answers the stored data: ${where()}`).toEqual(
              current.data,
            );
          } else {
            expect(
              sentVersion,
              `a 200 only when the sent version is the stored one: ${where()}`,
            ).toBe(current.version);
            expect(saved.version, `a save bumps the version by one: ${where()}`).toBe(
              current.version + 1,
            );
            const stored = after.get(saved.id);
            expect(stored?.data, `the stored data is what was sent: ${where()}`).toEqual(
              sent?.data,
            );
            const next = {
              version: saved.version,
              data: sent?.data,
              lastMutationId: sentMutationId,
            };
            model.set(`${sentPlan}/${key}`, next);
            rowIds.set(`${sentPlan}/${key}`, saved.id);
            expected.set(saved.id, {
              id: saved.id,
              business_plan_id: sentPlan,
              section_key: key,
              version: next.version,
              data: next.data,
            });
          }
        }
        if (res.status === 409 && method === 'PUT') {
          expect(json.error, where()).toBe('VERSION_CONFLICT');
          expect(sentPlan, `a 409 for a plan that is not the caller's: ${where()}`).toBe(ownPlan);
          expect(replay || matches, `a 409 only when the versions differ: ${where()}`).toBe(false);
          expect(json.serverVersion, `a 409 names the stored version: ${where()}`).toBe(
            current.version,
          );
          expect(json.serverData, `a 409 carries the stored data: ${where()}`).toEqual(
            current.data,
          );
        }
        expect([...after.values()].sort(byId), where()).toEqual([...expected.values()].sort(byId));
        before = after;
      }
      // The stored sections are the model, read back one last time.
      for (const [key, section] of model) {
        const row = before.get(rowIds.get(key) ?? '');
        expect({ version: row?.version, data: row?.data }, `seed ${seed}, ${key}`).toEqual({
          version: section.version,
          data: section.data,
        });
      }
      console.log(
        `fuzz: seed ${seed}, ${count} requests (${cleanSaves} whole saves), answers ${[
          ...statuses.entries(),
        ]
          .sort((a, b) => a[0] - b[0])
          .map(([status, n]) => `${status}×${n}`)
          .join(' ')}`,
      );
      expect(statuses.get(200) ?? 0, 'some saves went through').toBeGreaterThan(count / 20);
      expect(statuses.get(409) ?? 0, 'some saves were refused').toBeGreaterThan(count / 50);
    },
    // Bounded by FUZZ_COUNT, not by time: ~5 s alone, but a loaded 2-core machine stretches it.
    10 * 60_000,
  );
}
