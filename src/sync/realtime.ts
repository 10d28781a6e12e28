// Hosted mode: Supabase Realtime tells the tab when a row of the plan changed, and the tab tells
// the worker, which refetches at once (docs/merge-rules.md, F5). Local mode has no Realtime: the
// worker's slow poll covers it.
import type { SyncClient } from './worker-client.ts';
import { supabase } from '../supabase-client.ts';
import { watchPlanWith, type PlanSubscribe } from './realtime-watch.ts';

/** Only a build pointed at a Supabase project has Realtime. */
export const REALTIME_AVAILABLE = Boolean(import.meta.env.VITE_SUPABASE_URL);
/**
 * A subscription to a table outside the `supabase_realtime` publication is SUBSCRIBED yet silent;
 * migration 20261125170000 adds `plan_sections` to it, so a live subscription stretches the poll
 * unless a build for a project without that migration says `VITE_REALTIME_PLAN_SECTIONS=0`.
 */
const REALTIME_TRUSTED = import.meta.env.VITE_REALTIME_PLAN_SECTIONS !== '0';

/** Subscribes to the plan's section rows while the editor shows one of them. Returns a stop. */
export function watchPlan(client: SyncClient, planId: string): () => void {
  if (!REALTIME_AVAILABLE) return () => {};
  return watchPlanWith(subscribePlan, client, planId, REALTIME_TRUSTED);
}

/** The Supabase side of it: one channel per plan, filtered to its section rows. */
const subscribePlan: PlanSubscribe = (planId, onChange, onStatus) => {
  const channel = supabase
    .channel(`plan-sections:${planId}`)
    .on(
      'postgres_changes',
      {
        event: '*',
        schema: 'public',
        table: 'plan_sections',
        filter: `business_plan_id=eq.${planId}`,
      },
      onChange,
    )
    .subscribe((status) => onStatus(status));
  return () => void supabase.removeChannel(channel);
};
