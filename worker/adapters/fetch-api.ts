// The real Api: the plan-sections Edge Function over fetch. Every way a request can go wrong
// (no network, timeout, 5xx, a body that isn't what the contract says) comes back as data.
import { z } from 'zod';
import {
  ApiFailureSchema,
  PlanSectionSchema,
  VersionConflictSchema,
  type SectionKey,
} from '../../supabase/functions/_shared/schema.ts';
import type { Api, Credentials, LoadOutcome, SaveOutcome, SaveSectionArgs } from '../ports.ts';

/** A request that hasn't answered by then is abandoned and retried like a network error. */
export const REQUEST_TIMEOUT_MS = 15_000;

const SectionBodySchema = z.object({ success: z.literal(true), data: PlanSectionSchema });
const ListBodySchema = z.object({ success: z.literal(true), data: z.array(PlanSectionSchema) });

export interface FetchApiOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

type Answer =
  | { ok: true; status: number; body: unknown; retryAfterMs?: number }
  | { ok: false; outcome: { kind: 'unavailable'; status?: number; message: string } };

export class FetchApi implements Api {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: FetchApiOptions = {}) {
    // Bound: a bare `fetch` called as a method of another object throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  async getSection(
    auth: Credentials,
    planId: string,
    sectionKey: SectionKey,
  ): Promise<LoadOutcome> {
    const url = `${sectionUrl(auth, sectionKey)}?planId=${encodeURIComponent(planId)}`;
    const answer = await this.request(auth, url, { method: 'GET' });
    if (!answer.ok) return answer.outcome;
    const { status, body } = answer;
    if (status === 200) {
      const parsed = SectionBodySchema.safeParse(body);
      return parsed.success
        ? { kind: 'found', section: parsed.data.data }
        : unexpected(status, 'the section it sent back is not a plan section');
    }
    // U3: a 404 is a section never saved AND a plan that isn't yours; the plan's list tells.
    if (status === 404) return this.planAccess(auth, planId, sectionKey);
    return failureOutcome(status, body, answer.retryAfterMs);
  }

  /** U3: `GET /plan-sections?planId=ID`: 404 for a plan that isn't the caller's, else its list. */
  private async planAccess(
    auth: Credentials,
    planId: string,
    sectionKey: SectionKey,
  ): Promise<LoadOutcome> {
    const url = `${auth.functionsUrl.replace(/\/+$/, '')}/plan-sections?planId=${encodeURIComponent(planId)}`;
    const answer = await this.request(auth, url, { method: 'GET', cache: 'no-store' });
    if (!answer.ok) return answer.outcome;
    const { status, body } = answer;
    if (status === 404) return { kind: 'not-available' };
    if (status === 200) {
      const parsed = ListBodySchema.safeParse(body);
      if (!parsed.success) return unexpected(status, 'the section list is not a list of sections');
      // Saved since the first answer: take it.
      const saved = parsed.data.data.find((s) => s.section_key === sectionKey);
      return saved ? { kind: 'found', section: saved } : { kind: 'not-found' };
    }
    return failureOutcome(status, body, answer.retryAfterMs);
  }

  async saveSection(auth: Credentials, req: SaveSectionArgs): Promise<SaveOutcome> {
    const answer = await this.request(auth, sectionUrl(auth, req.sectionKey), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      // Exactly the contract's body (unknown fields would be a 400), plus the mutation id (R18).
      body: JSON.stringify({
        planId: req.planId,
        data: req.data,
        version: req.version,
        ...(req.mutationId === undefined ? {} : { mutationId: req.mutationId }),
      }),
    });
    if (!answer.ok) return answer.outcome;
    const { status, body } = answer;
    if (status === 200) {
      const parsed = SectionBodySchema.safeParse(body);
      return parsed.success
        ? { kind: 'saved', section: parsed.data.data }
        : unexpected(status, 'the saved section it sent back is not a plan section');
    }
    if (status === 409) {
      const parsed = VersionConflictSchema.safeParse(body);
      return parsed.success
        ? {
            kind: 'conflict',
            serverVersion: parsed.data.serverVersion,
            serverData: parsed.data.serverData,
          }
        : unexpected(status, 'its conflict answer is missing the server version or data');
    }
    if (status === 404) return { kind: 'not-found', message: messageOf(body, status) };
    return failureOutcome(status, body, answer.retryAfterMs);
  }

  private async request(auth: Credentials, url: string, init: RequestInit): Promise<Answer> {
    const headers = new Headers(init.headers);
    if (auth.accessToken) headers.set('Authorization', `Bearer ${auth.accessToken}`);
    headers.set('Accept', 'application/json');
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        ...init,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      return {
        ok: false,
        outcome: {
          kind: 'unavailable',
          message: timedOut
            ? `the server did not answer within ${this.timeoutMs / 1000} s`
            : `the server can't be reached (${errorText(error)})`,
        },
      };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return {
        ok: false,
        outcome: {
          kind: 'unavailable',
          status: response.status,
          message: `the answer was cut off (${errorText(error)})`,
        },
      };
    }
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), Date.now());
    return retryAfterMs === undefined
      ? { ok: true, status: response.status, body }
      : { ok: true, status: response.status, body, retryAfterMs };
  }
}

function sectionUrl(auth: Credentials, sectionKey: SectionKey): string {
  return `${auth.functionsUrl.replace(/\/+$/, '')}/plan-sections/${encodeURIComponent(sectionKey)}`;
}

function messageOf(body: unknown, status: number): string {
  const parsed = ApiFailureSchema.safeParse(body);
  return parsed.success ? parsed.data.message : `The server refused the save (HTTP ${status}).`;
}

function unexpected(status: number, what: string) {
  return {
    kind: 'unavailable' as const,
    status,
    message: `The server gave an unexpected answer (HTTP ${status}): ${what}.`,
  };
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `now`; undefined if absent or bad. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function failureOutcome(
  status: number,
  body: unknown,
  retryAfterMs?: number,
):
  | { kind: 'unauthorized' }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'unavailable'; status?: number; message: string; retryAfterMs?: number } {
  if (status === 401) return { kind: 'unauthorized' };
  if (status === 429 || status >= 500)
    return retryAfterMs === undefined
      ? { kind: 'unavailable', status, message: messageOf(body, status) }
      : { kind: 'unavailable', status, message: messageOf(body, status), retryAfterMs };
  if (status >= 400) return { kind: 'rejected', status, message: messageOf(body, status) };
  return unexpected(status, 'a status the API never sends');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
