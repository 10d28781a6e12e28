// The real Api against a stubbed fetch: the contract's answers become data outcomes, and so do
// network errors, timeouts and bodies that aren't what the contract says.
import { describe, expect, it } from 'vitest';
import { FetchApi, parseRetryAfter } from './fetch-api.ts';
import { AUTH, PLAN, SECTION } from './fetch-test-data.ts';

interface Call {
  url: string;
  init: RequestInit;
}

function stub(status: number, body: unknown, calls: Call[] = []) {
  const fetchImpl = async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(text, { status, headers: { 'Content-Type': 'application/json' } });
  };
  return new FetchApi({ fetch: fetchImpl as typeof fetch });
}

const save = { planId: PLAN, sectionKey: 'section-one' as const, data: { a: 1 }, version: 3 };

/** Answers each request in turn (the last one repeats). */
function sequence(answers: Array<{ status: number; body: unknown }>, calls: Call[] = []) {
  const fetchImpl = async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const { status, body } = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return new Response(JSON.stringify(body), { status });
  };
  return new FetchApi({ fetch: fetchImpl as typeof fetch });
}

describe('FetchApi', () => {
  it("U3: a 404 asks the plan's list: 200 [] is never saved, 404 is not available", async () => {
    const missing = { status: 404, body: { success: false, error: 'NOT_FOUND', message: 'x' } };
    const calls: Call[] = [];
    const mine = sequence([missing, { status: 200, body: { success: true, data: [] } }], calls);
    expect(await mine.getSection(AUTH, PLAN, 'section-one')).toEqual({ kind: 'not-found' });
    expect(calls[1]?.url).toBe(`http://localhost:54321/functions/v1/plan-sections?planId=${PLAN}`);
    expect(new Headers(calls[1]?.init.headers).get('authorization')).toBe('Bearer tok');
    expect(await sequence([missing, missing]).getSection(AUTH, PLAN, 'section-one')).toEqual({
      kind: 'not-available',
    });
    // Saved between the two answers: the list has it.
    const since = sequence([missing, { status: 200, body: { success: true, data: [SECTION] } }]);
    expect(await since.getSection(AUTH, PLAN, 'section-one')).toEqual({
      kind: 'found',
      section: SECTION,
    });
    const down = sequence([missing, { status: 503, body: 'x' }]);
    expect(await down.getSection(AUTH, PLAN, 'section-one')).toMatchObject({
      kind: 'unavailable',
      status: 503,
    });
  });

  it('GETs one section with the bearer token and validates it', async () => {
    const calls: Call[] = [];
    const api = stub(200, { success: true, data: SECTION }, calls);
    expect(await api.getSection(AUTH, PLAN, 'section-one')).toEqual({
      kind: 'found',
      section: SECTION,
    });
    expect(calls[0]?.url).toBe(
      `http://localhost:54321/functions/v1/plan-sections/section-one?planId=${PLAN}`,
    );
    expect(new Headers(calls[0]?.init.headers).get('authorization')).toBe('Bearer tok');
  });

  it('PUTs exactly the contract body as JSON', async () => {
    const calls: Call[] = [];
    const api = stub(200, { success: true, data: { ...SECTION, version: 4 } }, calls);
    expect(await api.saveSection(AUTH, save)).toMatchObject({
      kind: 'saved',
      section: { version: 4 },
    });
    expect(calls[0]?.init.method).toBe('PUT');
    expect(calls[0]?.url).toBe('http://localhost:54321/functions/v1/plan-sections/section-one');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({
      planId: PLAN,
      data: { a: 1 },
      version: 3,
    });
    // R18: a save attempt's mutation id goes along when there is one.
    await api.saveSection(AUTH, { ...save, mutationId: 'w1:m7' });
    expect(JSON.parse(String(calls[1]?.init.body))).toMatchObject({ mutationId: 'w1:m7' });
    expect(new Headers(calls[0]?.init.headers).get('content-type')).toBe('application/json');
  });

  it('maps the contract statuses', async () => {
    const failure = (error: string, message: string) => ({ success: false, error, message });
    // U3: a 404 whose plan list is a 404 too: the plan doesn't exist or isn't the caller's.
    expect(
      await stub(404, failure('NOT_FOUND', 'nope')).getSection(AUTH, PLAN, 'section-one'),
    ).toEqual({
      kind: 'not-available',
    });
    expect(await stub(404, failure('NOT_FOUND', 'nope')).saveSection(AUTH, save)).toEqual({
      kind: 'not-found',
      message: 'nope',
    });
    expect(await stub(401, failure('UNAUTHORIZED', 'x')).saveSection(AUTH, save)).toEqual({
      kind: 'unauthorized',
    });
    expect(
      await stub(413, failure('PAYLOAD_TOO_LARGE', 'too big')).saveSection(AUTH, save),
    ).toEqual({ kind: 'rejected', status: 413, message: 'too big' });
    expect(await stub(503, 'Service Unavailable').saveSection(AUTH, save)).toMatchObject({
      kind: 'unavailable',
      status: 503,
    });
    expect(await stub(429, failure('RATE', 'slow down')).saveSection(AUTH, save)).toMatchObject({
      kind: 'unavailable',
      status: 429,
    });
    expect(
      await stub(409, {
        ...failure('VERSION_CONFLICT', 'stale'),
        serverVersion: 5,
        clientVersion: 3,
        serverData: { a: 2 },
      }).saveSection(AUTH, save),
    ).toEqual({ kind: 'conflict', serverVersion: 5, serverData: { a: 2 } });
  });

  it('turns bad bodies, network errors and timeouts into outcomes', async () => {
    expect(
      await stub(200, { success: true, data: { id: 1 } }).saveSection(AUTH, save),
    ).toMatchObject({ kind: 'unavailable', status: 200 });
    expect(await stub(200, '<html>').getSection(AUTH, PLAN, 'section-one')).toMatchObject({
      kind: 'unavailable',
    });
    expect(await stub(409, { success: false }).saveSection(AUTH, save)).toMatchObject({
      kind: 'unavailable',
      status: 409,
    });
    const down = new FetchApi({
      fetch: (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch,
    });
    expect(await down.saveSection(AUTH, save)).toEqual({
      kind: 'unavailable',
      message: "the server can't be reached (Failed to fetch)",
    });
    const hanging = new FetchApi({
      timeoutMs: 20,
      fetch: ((_url: string, init: RequestInit) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        )) as unknown as typeof fetch,
    });
    expect(await hanging.saveSection(AUTH, save)).toEqual({
      kind: 'unavailable',
      message: 'the server did not answer within 0.02 s',
    });
  });
});

describe('FetchApi: Retry-After (R10)', () => {
  it('passes the delay of a 429 or 503 on, in seconds or as a date', async () => {
    const answer = (status: number, retryAfter: string) =>
      new FetchApi({
        fetch: (async () =>
          new Response('{"success":false,"error":"X","message":"busy"}', {
            status,
            headers: { 'Content-Type': 'application/json', 'Retry-After': retryAfter },
          })) as typeof fetch,
      });
    expect(await answer(429, '1').saveSection(AUTH, save)).toMatchObject({
      kind: 'unavailable',
      status: 429,
      retryAfterMs: 1000,
    });
    expect(await answer(503, '7').getSection(AUTH, PLAN, 'section-one')).toMatchObject({
      retryAfterMs: 7000,
    });
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});
