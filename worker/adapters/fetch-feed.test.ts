// The real PlanFeed against a stubbed fetch: the conditional list GET (F4) and every way it can
// fail, as data.
import { describe, expect, it } from 'vitest';
import { FetchFeed } from './fetch-feed.ts';
import { AUTH, PLAN, SECTION } from './fetch-test-data.ts';

function feed(answer: () => Response | Promise<Response>, calls: Request[] = []) {
  const fetchImpl = async (url: string | URL | Request, init?: RequestInit) => {
    calls.push(new Request(url, init));
    return answer();
  };
  return new FetchFeed({ fetch: fetchImpl as typeof fetch });
}

describe('FetchFeed', () => {
  it('F4: lists the plan with the token and the ETag, no browser cache', async () => {
    const calls: Request[] = [];
    const f = feed(
      () =>
        new Response(JSON.stringify({ success: true, data: [SECTION] }), {
          status: 200,
          headers: { ETag: 'W/"two"' },
        }),
      calls,
    );
    expect(await f.listSections(AUTH, PLAN, 'W/"one"')).toEqual({
      kind: 'changed',
      sections: [SECTION],
      etag: 'W/"two"',
    });
    const [call] = calls;
    expect(call?.url).toBe(`http://localhost:54321/functions/v1/plan-sections?planId=${PLAN}`);
    expect(call?.headers.get('If-None-Match')).toBe('W/"one"');
    expect(call?.headers.get('Authorization')).toBe('Bearer tok');
    expect(call?.cache).toBe('no-store');
  });

  it('F4: no ETag yet, no If-None-Match; 304 is not-modified', async () => {
    const calls: Request[] = [];
    const f = feed(() => new Response(null, { status: 304 }), calls);
    expect(await f.listSections(AUTH, PLAN, null)).toEqual({ kind: 'not-modified' });
    expect(calls[0]?.headers.has('If-None-Match')).toBe(false);
  });

  it('F6: network errors, error statuses and bodies that are not section lists fail as data', async () => {
    const down = feed(() => Promise.reject(new TypeError('Failed to fetch')));
    expect(await down.listSections(AUTH, PLAN, null)).toMatchObject({ kind: 'failed' });
    const unauthorized = feed(() => new Response('{}', { status: 401 }));
    expect(await unauthorized.listSections(AUTH, PLAN, null)).toEqual({
      kind: 'failed',
      message: 'HTTP 401',
    });
    const wrong = feed(
      () => new Response(JSON.stringify({ success: true, data: [{ id: 1 }] }), { status: 200 }),
    );
    expect(await wrong.listSections(AUTH, PLAN, null)).toMatchObject({ kind: 'failed' });
    const notJson = feed(() => new Response('<html>', { status: 200 }));
    expect(await notJson.listSections(AUTH, PLAN, null)).toMatchObject({ kind: 'failed' });
  });

  it("U7: the API's 404 NOT_FOUND says the plan is gone; another 404 is only a failure", async () => {
    const gone = feed(
      () =>
        new Response(
          JSON.stringify({
            success: false,
            error: 'NOT_FOUND',
            message: 'No plan with this planId',
          }),
          { status: 404 },
        ),
    );
    expect(await gone.listSections(AUTH, PLAN, null)).toEqual({ kind: 'gone' });
    const proxy = feed(() => new Response('<html>not found</html>', { status: 404 }));
    expect(await proxy.listSections(AUTH, PLAN, null)).toEqual({
      kind: 'failed',
      message: 'HTTP 404',
    });
  });
});
