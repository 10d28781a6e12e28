// The shell of freshness (docs/merge-rules.md, F1–F6): runs the pure freshness rules, the one poll
// timer and the conditional plan fetches, and hands each newer section to the sync engine.
import type { PlanSection } from '../supabase/functions/_shared/schema.ts';
import {
  freshnessStep,
  initialFreshness,
  type FetchResult,
  type FreshnessEffect,
  type FreshnessInput,
  type FreshnessSignal,
  type FreshnessState,
} from './engine/freshness.ts';
import type { Clock, Credentials, TimerHandle } from './ports.ts';

export { FreshnessSignalSchema } from './protocol.ts';
export type { FreshnessSignal };

/** A plan's saved sections, fetched conditionally. Never throws. */
export type FeedOutcome =
  | { kind: 'changed'; sections: PlanSection[]; etag: string | null }
  | { kind: 'not-modified' }
  /** U7: 404 NOT_FOUND: the plan doesn't exist (deleted) or isn't the caller's. */
  | { kind: 'gone' }
  | { kind: 'failed'; message: string };

/** The port: `GET /plan-sections?planId=ID` with `If-None-Match`. */
export interface PlanFeed {
  listSections(auth: Credentials, planId: string, etag: string | null): Promise<FeedOutcome>;
}

export interface FreshenerOptions {
  feed: PlanFeed;
  clock: Clock;
  /**
   * U1: plans are keys the host makes (user and plan id): the credentials of the user whose copy
   * it is, and the plan id to fetch.
   */
  credentials(plan: string): Credentials | null;
  planIdOf(plan: string): string;
  /** Plans with a section open in a tab (keys as above). */
  openPlans(): string[];
  /**
   * A fetched plan's sections: the host turns newer ones into engine `remote` inputs. False: one
   * could not be taken yet (still loading), so the next fetch must not be conditional.
   */
  onSections(planId: string, sections: PlanSection[]): boolean;
  /** U7: the plan's list answered 404: its open sections end (the host tells their tabs). */
  onPlanGone(plan: string): void;
  track(task: Promise<unknown>): void;
}

export class Freshener {
  private state: FreshnessState = initialFreshness();
  private poll: TimerHandle | null = null;
  private plansKey = '';
  private stopped = false;

  constructor(private readonly options: FreshenerOptions) {}

  signal(tab: string, signal: FreshnessSignal): void {
    this.run({ type: 'signal', tab, signal, openPlans: this.openPlans() });
  }

  tabGone(tab: string): void {
    this.run({ type: 'tab-gone', tab, openPlans: this.openPlans() });
  }

  /** Called after every engine step: cheap unless the set of open plans changed. */
  plansMaybeChanged(): void {
    const openPlans = this.openPlans();
    const key = openPlans.join(',');
    if (key === this.plansKey) return;
    this.plansKey = key;
    this.run({ type: 'plans', openPlans });
  }

  stop(): void {
    this.stopped = true;
    if (this.poll !== null) this.options.clock.clearTimeout(this.poll);
    this.poll = null;
  }

  private openPlans(): string[] {
    return [...new Set(this.options.openPlans())].sort();
  }

  private run(input: FreshnessInput): void {
    if (this.stopped) return;
    const { state, effects } = freshnessStep(this.state, input);
    this.state = state;
    for (const effect of effects) this.execute(effect);
  }

  private execute(effect: FreshnessEffect): void {
    const { clock } = this.options;
    switch (effect.type) {
      case 'arm-poll':
        if (this.poll !== null) clock.clearTimeout(this.poll);
        this.poll = clock.setTimeout(() => {
          this.poll = null;
          this.run({ type: 'poll', openPlans: this.openPlans() });
        }, effect.ms);
        return;
      case 'clear-poll':
        if (this.poll !== null) clock.clearTimeout(this.poll);
        this.poll = null;
        return;
      case 'fetch-plan':
        this.options.track(this.fetch(effect.planId, effect.fetchId, effect.etag));
        return;
    }
  }

  private async fetch(planId: string, fetchId: number, etag: string | null): Promise<void> {
    const auth = this.options.credentials(planId);
    let result: FetchResult;
    if (!auth?.accessToken) result = { kind: 'failed' };
    else {
      const outcome = await this.options.feed
        .listSections(auth, this.options.planIdOf(planId), etag)
        .catch((error: unknown): FeedOutcome => ({ kind: 'failed', message: String(error) }));
      if (outcome.kind === 'changed') {
        // F4: the ETag is kept only once every open section of the answer reached the engine.
        const absorbed = !this.stopped && this.options.onSections(planId, outcome.sections);
        result = { kind: 'changed', etag: absorbed ? outcome.etag : null };
      } else if (outcome.kind === 'gone') {
        if (!this.stopped) this.options.onPlanGone(planId);
        result = { kind: 'failed' };
      } else result = outcome.kind === 'not-modified' ? outcome : { kind: 'failed' };
    }
    this.run({ type: 'fetched', planId, fetchId, result });
  }
}
