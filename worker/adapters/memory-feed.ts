// An in-memory PlanFeed over a MemoryApi's sections, with the server's ETag semantics (ids and
// versions) and a request log, for host tests.
import type { Credentials } from '../ports.ts';
import type { FeedOutcome, PlanFeed } from '../freshener.ts';
import type { MemoryApi } from './memory-api.ts';

export class MemoryFeed implements PlanFeed {
  readonly requests: Array<{
    planId: string;
    etag: string | null;
    answer: FeedOutcome['kind'];
    token?: string | null;
  }> = [];
  /** Makes every fetch fail until set back to false. */
  failing = false;

  constructor(private readonly api: MemoryApi) {}

  listSections(auth: Credentials, planId: string, etag: string | null): Promise<FeedOutcome> {
    const sections = [...this.api.sections.values()]
      .filter((s) => s.business_plan_id === planId)
      .sort((a, b) => a.section_key.localeCompare(b.section_key));
    const tag = `W/"${sections.map((s) => `${s.id}:${s.version}`).join(',')}"`;
    const answer: FeedOutcome = this.failing
      ? { kind: 'failed', message: 'network error' }
      : !this.api.canSee(auth, planId)
        ? { kind: 'gone' }
        : etag === tag
          ? { kind: 'not-modified' }
          : { kind: 'changed', sections: structuredClone(sections), etag: tag };
    this.requests.push({ planId, etag, answer: answer.kind, token: auth.accessToken });
    return Promise.resolve(answer);
  }
}
