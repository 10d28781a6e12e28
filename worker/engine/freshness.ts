// When the worker refetches what other devices saved (docs/merge-rules.md, F1–F6). Pure, like the
// sync engine: step(state, input) → { state, effects }; the host runs the fetches and the one
// poll timer and hands every newer section to the sync engine as a `remote` input.

/** The slow poll while any tab is visible (F3): one conditional GET per open plan per tick. */
export const POLL_MS = 30_000;
/** With a live Realtime subscription the poll is only a safety net (F5). */
export const POLL_REALTIME_MS = 300_000;

/** What a tab reports (protocol `freshen`). */
export type FreshnessSignal =
  /** The tab's page became visible or hidden. */
  | { kind: 'visibility'; visible: boolean }
  /** The tab's window gained focus. */
  | { kind: 'focus' }
  /** The browser came back online. */
  | { kind: 'online' }
  /** Realtime told the tab that one of the plan's rows changed. */
  | { kind: 'remote-change'; planId: string }
  /** The tab's Realtime subscription for the plan went live or stopped. */
  | { kind: 'realtime'; planId: string; live: boolean };

export interface PlanFreshness {
  /** The ETag of the last full answer applied; sent as If-None-Match. */
  etag: string | null;
  /** The fetch in flight (one per plan at most), or null. */
  fetchId: number | null;
  /** A change was announced while a fetch was in flight: fetch once more after it. */
  again: boolean;
  /** Tabs whose Realtime subscription for this plan is live. */
  realtimeTabs: readonly string[];
  /** Poll ticks skipped because Realtime is live. */
  skipped: number;
}

export interface FreshnessState {
  visibleTabs: readonly string[];
  plans: Readonly<Record<string, PlanFreshness>>;
  pollArmed: boolean;
  idSeq: number;
}

export type FetchResult =
  { kind: 'changed'; etag: string | null } | { kind: 'not-modified' } | { kind: 'failed' };

export type FreshnessInput =
  | { type: 'signal'; tab: string; signal: FreshnessSignal; openPlans: readonly string[] }
  | { type: 'poll'; openPlans: readonly string[] }
  | { type: 'fetched'; planId: string; fetchId: number; result: FetchResult }
  | { type: 'tab-gone'; tab: string; openPlans: readonly string[] }
  /** Sections were opened or forgotten: the plans to keep fresh changed. */
  | { type: 'plans'; openPlans: readonly string[] };

export type FreshnessEffect =
  | { type: 'fetch-plan'; planId: string; fetchId: number; etag: string | null }
  | { type: 'arm-poll'; ms: number }
  | { type: 'clear-poll' };

export function initialFreshness(): FreshnessState {
  return { visibleTabs: [], plans: {}, pollArmed: false, idSeq: 0 };
}

const emptyPlan = (): PlanFreshness => ({
  etag: null,
  fetchId: null,
  again: false,
  realtimeTabs: [],
  skipped: 0,
});

export function freshnessStep(
  state: FreshnessState,
  input: FreshnessInput,
): { state: FreshnessState; effects: FreshnessEffect[] } {
  const effects: FreshnessEffect[] = [];
  let { visibleTabs, pollArmed, idSeq } = state;
  const plans: Record<string, PlanFreshness> = { ...state.plans };

  const fetch = (planId: string, announced: boolean) => {
    const p = plans[planId];
    if (!p) return;
    // F6: one fetch per plan at a time; a focus during one shares it, an announced change waits.
    if (p.fetchId !== null) {
      if (announced) plans[planId] = { ...p, again: true };
      return;
    }
    idSeq += 1;
    plans[planId] = { ...p, fetchId: idSeq, again: false, skipped: 0 };
    effects.push({ type: 'fetch-plan', planId, fetchId: idSeq, etag: p.etag });
  };

  const track = (openPlans: readonly string[]) => {
    for (const planId of openPlans) plans[planId] ??= emptyPlan();
    // F1: a plan no open section belongs to is forgotten (its ETag too).
    for (const planId of Object.keys(plans)) if (!openPlans.includes(planId)) delete plans[planId];
  };

  switch (input.type) {
    case 'signal': {
      track(input.openPlans);
      const { tab, signal } = input;
      switch (signal.kind) {
        case 'visibility': {
          const was = visibleTabs.includes(tab);
          visibleTabs = signal.visible
            ? was
              ? visibleTabs
              : [...visibleTabs, tab]
            : visibleTabs.filter((t) => t !== tab);
          // F2: a tab becoming visible refetches every open plan.
          if (signal.visible && !was) for (const planId of input.openPlans) fetch(planId, false);
          break;
        }
        case 'focus':
        case 'online':
          // F2: focus or the network coming back refetches every open plan.
          for (const planId of input.openPlans) fetch(planId, false);
          break;
        case 'remote-change':
          // F5: Realtime announced a change: fetch it, even right after a fetch.
          fetch(signal.planId, true);
          break;
        case 'realtime': {
          const p = plans[signal.planId];
          if (!p) break;
          const others = p.realtimeTabs.filter((t) => t !== tab);
          plans[signal.planId] = { ...p, realtimeTabs: signal.live ? [...others, tab] : others };
          break;
        }
      }
      break;
    }
    case 'poll': {
      pollArmed = false;
      track(input.openPlans);
      for (const planId of input.openPlans) {
        const p = plans[planId];
        if (!p) continue;
        // F5: with Realtime live, poll only every POLL_REALTIME_MS.
        if (p.realtimeTabs.length > 0 && (p.skipped + 1) * POLL_MS < POLL_REALTIME_MS) {
          plans[planId] = { ...p, skipped: p.skipped + 1 };
          continue;
        }
        fetch(planId, false);
      }
      break;
    }
    case 'fetched': {
      const p = plans[input.planId];
      if (!p || p.fetchId !== input.fetchId) break; // a plan forgotten meanwhile
      // F4: the ETag is kept only from an answer whose sections were handed to the engine.
      const etag = input.result.kind === 'changed' ? input.result.etag : p.etag;
      plans[input.planId] = { ...p, fetchId: null, etag };
      if (p.again) fetch(input.planId, false);
      break;
    }
    case 'tab-gone': {
      visibleTabs = visibleTabs.filter((t) => t !== input.tab);
      track(input.openPlans);
      for (const [planId, p] of Object.entries(plans))
        if (p.realtimeTabs.includes(input.tab))
          plans[planId] = { ...p, realtimeTabs: p.realtimeTabs.filter((t) => t !== input.tab) };
      break;
    }
    case 'plans':
      track(input.openPlans);
      break;
  }

  // F3: the poll runs while any tab is visible and any plan is open.
  const wanted = visibleTabs.length > 0 && Object.keys(plans).length > 0;
  if (wanted && !pollArmed) {
    effects.push({ type: 'arm-poll', ms: POLL_MS });
    pollArmed = true;
  } else if (!wanted && pollArmed) {
    effects.push({ type: 'clear-poll' });
    pollArmed = false;
  }
  return { state: { visibleTabs, plans, pollArmed, idSeq }, effects };
}
