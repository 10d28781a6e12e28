// An in-memory fake of the plan-sections API with the real version semantics (compare-and-set,
// 409 with the stored data), a request log, switchable failures and a gate to hold answers.
import type { PlanSection, SectionKey } from '../../supabase/functions/_shared/schema.ts';
import type { Api, Credentials, LoadOutcome, SaveOutcome, SaveSectionArgs } from '../ports.ts';
import { userOf } from '../user.ts';

/** A token userOf reads back as `user` (header and signature are dummies); `tag` tells apart refreshes. */
export function tokenFor(user: string, tag = ''): string {
  const payload = btoa(JSON.stringify({ sub: user, ...(tag ? { tag } : {}) }));
  return `h.${payload.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.s`;
}

export type MemoryApiFailure =
  | { kind: 'network' }
  | { kind: 'server'; status: number; retryAfterMs?: number }
  | { kind: 'rejected'; status: number; message: string };

export interface LoggedRequest {
  method: 'GET' | 'PUT';
  planId: string;
  sectionKey: SectionKey;
  token: string | null;
  /** PUT only */
  version?: number;
  data?: Record<string, unknown>;
  mutationId?: string;
}

export class MemoryApi implements Api {
  readonly sections = new Map<string, PlanSection>();
  /** R18: the last applied mutation id per section, as the server keeps it. */
  readonly lastMutation = new Map<string, string>();
  readonly requests: LoggedRequest[] = [];
  /** Tokens the fake accepts; any other (or none) gets 401. */
  readonly validTokens = new Set<string>(['token-1']);
  /**
   * U3: plan owners (user ids, as userOf reads tokens). A plan listed here is a 404 to anyone
   * else, as the API answers a plan that isn't yours; a plan not listed is open to every token.
   */
  readonly planOwners = new Map<string, string>();
  /** Makes every request fail this way until set back to null. */
  failure: MemoryApiFailure | null = null;
  /** When true, a PUT that fails with `network` is still committed (answer lost on the way back). */
  commitThenDrop = false;
  private gate: { promise: Promise<void>; open: () => void } | null = null;
  private clock = 0;

  get puts(): LoggedRequest[] {
    return this.requests.filter((r) => r.method === 'PUT');
  }

  putsFor(planId: string, sectionKey: SectionKey): number {
    return this.puts.filter((r) => r.planId === planId && r.sectionKey === sectionKey).length;
  }

  /** Answers wait until resume(). Requests are still logged (and PUTs decided) when they arrive. */
  pause(): void {
    if (this.gate) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  resume(): void {
    this.gate?.open();
    this.gate = null;
  }

  /** Another device saves: bumps the version like a real save would. */
  writeAsOtherDevice(planId: string, sectionKey: SectionKey, data: Record<string, unknown>) {
    return this.commit(planId, sectionKey, data);
  }

  get(planId: string, sectionKey: SectionKey): PlanSection | undefined {
    return this.sections.get(`${planId}/${sectionKey}`);
  }

  async getSection(
    auth: Credentials,
    planId: string,
    sectionKey: SectionKey,
  ): Promise<LoadOutcome> {
    this.requests.push({ method: 'GET', planId, sectionKey, token: auth.accessToken });
    const outcome = this.decideGet(auth, planId, sectionKey);
    await this.gate?.promise;
    return structuredClone(outcome);
  }

  async saveSection(auth: Credentials, req: SaveSectionArgs): Promise<SaveOutcome> {
    this.requests.push({
      method: 'PUT',
      planId: req.planId,
      sectionKey: req.sectionKey,
      token: auth.accessToken,
      version: req.version,
      data: structuredClone(req.data),
      ...(req.mutationId === undefined ? {} : { mutationId: req.mutationId }),
    });
    const outcome = this.decidePut(auth, req);
    await this.gate?.promise;
    return structuredClone(outcome);
  }

  /** U7: the plan is deleted with its sections: a 404 to every token from now on. */
  deletePlan(planId: string): void {
    this.planOwners.set(planId, 'nobody (deleted)');
    for (const [key, section] of this.sections)
      if (section.business_plan_id === planId) this.sections.delete(key);
  }

  /** U3: whether the token's user may read and write the plan. */
  canSee(auth: Credentials, planId: string): boolean {
    const owner = this.planOwners.get(planId);
    return owner === undefined || (auth.accessToken !== null && userOf(auth.accessToken) === owner);
  }

  private decideGet(auth: Credentials, planId: string, sectionKey: SectionKey): LoadOutcome {
    const failed = this.failed(auth);
    if (failed) return failed;
    // What FetchApi makes of a 404 whose plan list is a 404 too.
    if (!this.canSee(auth, planId)) return { kind: 'not-available' };
    const section = this.get(planId, sectionKey);
    return section ? { kind: 'found', section } : { kind: 'not-found' };
  }

  private decidePut(auth: Credentials, req: SaveSectionArgs): SaveOutcome {
    if (this.failure?.kind === 'network' && this.commitThenDrop && this.validAuth(auth)) {
      const stored = this.get(req.planId, req.sectionKey);
      const replay =
        req.mutationId !== undefined &&
        this.lastMutation.get(`${req.planId}/${req.sectionKey}`) === req.mutationId;
      if (!replay && (stored?.version ?? 0) === req.version)
        this.commit(req.planId, req.sectionKey, req.data, req.mutationId);
      return { kind: 'unavailable', message: 'network error (answer lost)' };
    }
    const failed = this.failed(auth);
    if (failed) return failed;
    if (!this.canSee(auth, req.planId))
      return {
        kind: 'not-found',
        message:
          'No plan with this planId exists for your account. Check the planId, or list your plans.',
      };
    const stored = this.get(req.planId, req.sectionKey);
    // R18: a replay of the last applied mutation is answered with the stored section, no write.
    if (
      stored &&
      req.mutationId !== undefined &&
      this.lastMutation.get(`${req.planId}/${req.sectionKey}`) === req.mutationId
    )
      return { kind: 'saved', section: structuredClone(stored) };
    const current = stored?.version ?? 0;
    if (current !== req.version)
      return { kind: 'conflict', serverVersion: current, serverData: stored?.data ?? {} };
    return {
      kind: 'saved',
      section: this.commit(req.planId, req.sectionKey, req.data, req.mutationId),
    };
  }

  private validAuth(auth: Credentials): boolean {
    return auth.accessToken !== null && this.validTokens.has(auth.accessToken);
  }

  private failed(
    auth: Credentials,
  ): Exclude<LoadOutcome, { kind: 'found' | 'not-found' | 'not-available' }> | null {
    const f = this.failure;
    if (f?.kind === 'network') return { kind: 'unavailable', message: 'network error' };
    if (f?.kind === 'server')
      return f.retryAfterMs === undefined
        ? { kind: 'unavailable', status: f.status, message: 'server' }
        : {
            kind: 'unavailable',
            status: f.status,
            message: 'server',
            retryAfterMs: f.retryAfterMs,
          };
    if (!this.validAuth(auth)) return { kind: 'unauthorized' };
    if (f?.kind === 'rejected') return { kind: 'rejected', status: f.status, message: f.message };
    return null;
  }

  private commit(
    planId: string,
    sectionKey: SectionKey,
    data: Record<string, unknown>,
    mutationId?: string,
  ) {
    const key = `${planId}/${sectionKey}`;
    if (mutationId === undefined) this.lastMutation.delete(key);
    else this.lastMutation.set(key, mutationId);
    const stored = this.sections.get(key);
    const now = new Date(Date.UTC(2026, 0, 1) + ++this.clock * 1000).toISOString();
    const section: PlanSection = {
      id: stored?.id ?? `row-${this.sections.size + 1}`,
      business_plan_id: planId,
      section_key: sectionKey,
      data: structuredClone(data),
      version: (stored?.version ?? 0) + 1,
      updated_at: now,
      created_at: stored?.created_at ?? now,
    };
    this.sections.set(key, section);
    return structuredClone(section);
  }
}
