// The real PlanFeed: `GET /plan-sections?planId=ID` with `If-None-Match`, answered 304 when no
// section of the plan changed. Every failure comes back as data (a poll never throws).
import { z } from 'zod';
import { PlanSectionSchema } from '../../supabase/functions/_shared/schema.ts';
import type { Credentials } from '../ports.ts';
import type { FeedOutcome, PlanFeed } from '../freshener.ts';

const ListBodySchema = z.object({ success: z.literal(true), data: z.array(PlanSectionSchema) });
const NotFoundBodySchema = z.object({ success: z.literal(false), error: z.literal('NOT_FOUND') });

/** A poll that hasn't answered by then is dropped; the next trigger fetches again. */
export const FEED_TIMEOUT_MS = 15_000;

export class FetchFeed implements PlanFeed {
  private readonly fetchImpl: typeof fetch;

  constructor(options: { fetch?: typeof fetch } = {}) {
    // Bound: a bare `fetch` called as a method of another object throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async listSections(auth: Credentials, planId: string, etag: string | null): Promise<FeedOutcome> {
    const url = `${auth.functionsUrl.replace(/\/+$/, '')}/plan-sections?planId=${encodeURIComponent(planId)}`;
    const headers = new Headers({ Accept: 'application/json' });
    if (auth.accessToken) headers.set('Authorization', `Bearer ${auth.accessToken}`);
    if (etag) headers.set('If-None-Match', etag);
    let response: Response;
    try {
      // no-store: the browser cache must neither answer nor turn our 304 into its own 200.
      response = await this.fetchImpl(url, {
        method: 'GET',
        headers,
        cache: 'no-store',
        signal: AbortSignal.timeout(FEED_TIMEOUT_MS),
      });
    } catch (error) {
      return { kind: 'failed', message: `the server can't be reached (${String(error)})` };
    }
    if (response.status === 304) return { kind: 'not-modified' };
    // U7: only the API's own 404 says the plan is gone (a proxy's page says nothing about it).
    if (response.status === 404) {
      const body: unknown = await response.json().catch(() => undefined);
      return NotFoundBodySchema.safeParse(body).success
        ? { kind: 'gone' }
        : { kind: 'failed', message: 'HTTP 404' };
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      return { kind: 'failed', message: `HTTP ${response.status}` };
    }
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = ListBodySchema.safeParse(body);
    if (!parsed.success)
      return { kind: 'failed', message: 'the section list is not a list of sections' };
    return { kind: 'changed', sections: parsed.data.data, etag: response.headers.get('ETag') };
  }
}
