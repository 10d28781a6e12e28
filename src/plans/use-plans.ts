// The signed-in user's plan list for a page: fetched on mount, again whenever the tab comes back
// (focus, visible, online: another device may have renamed or deleted a plan), and updated at
// once by the other tabs' news (plans-channel.ts).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BusinessPlan } from '../../supabase/functions/_shared/schema.ts';
import { listPlans } from '../api.ts';
import { useAuth, userIdOf } from '../auth.ts';
import { applyNews, mergeFetched } from './plan-list.ts';
import { announce, onPlanNews } from './plans-channel.ts';

/** News as a page sends it; the user is added here. */
export type PlanChange =
  { type: 'saved'; plan: BusinessPlan } | { type: 'deleted'; planId: string };

export interface PlansState {
  /** null until the first list arrived. */
  plans: BusinessPlan[] | null;
  /** Why the last fetch failed (the list shown, if any, is the previous one). */
  error: string | null;
  /** Plans this tab saw deleted (here, in another tab, or gone from a fresh list). */
  deleted: ReadonlySet<string>;
  /** Applies a change here and tells the other tabs of this user. */
  tell(change: PlanChange): void;
}

export function usePlans(): PlansState {
  const userId = userIdOf(useAuth());
  const [plans, setPlans] = useState<BusinessPlan[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<ReadonlySet<string>>(new Set());
  const shown = useRef<BusinessPlan[] | null>(null);
  const gone = useRef(new Set<string>());

  const show = useCallback((next: BusinessPlan[], vanished: readonly string[] = []) => {
    if (vanished.length > 0) {
      for (const id of vanished) gone.current.add(id);
      setDeleted(new Set(gone.current));
    }
    shown.current = next;
    setPlans(next);
  }, []);

  useEffect(() => {
    if (userId === null) return;
    let alive = true;
    const refetch = () =>
      void listPlans().then((result) => {
        if (!alive) return;
        if (!result.ok) return setError(result.message);
        setError(null);
        // A plan listed before and missing now was deleted elsewhere (another device).
        const listed = new Set(result.value.map((p) => p.id));
        const vanished = (shown.current ?? []).filter((p) => !listed.has(p.id)).map((p) => p.id);
        for (const id of vanished) gone.current.add(id);
        show(mergeFetched(result.value, shown.current, gone.current), vanished);
      });
    refetch();
    const onVisible = () => {
      if (document.visibilityState === 'visible') refetch();
    };
    window.addEventListener('focus', refetch);
    window.addEventListener('online', refetch);
    document.addEventListener('visibilitychange', onVisible);
    const stop = onPlanNews((news) => {
      if (!alive || news.userId !== userId) return;
      if (news.type === 'deleted') gone.current.add(news.planId);
      // Before the first list the fetch brings it all; a deletion is remembered meanwhile.
      if (shown.current === null) return;
      show(applyNews(shown.current, news), news.type === 'deleted' ? [news.planId] : []);
    });
    return () => {
      alive = false;
      window.removeEventListener('focus', refetch);
      window.removeEventListener('online', refetch);
      document.removeEventListener('visibilitychange', onVisible);
      stop();
    };
  }, [userId, show]);

  const tell = useCallback(
    (change: PlanChange) => {
      if (userId !== null) announce({ ...change, userId });
    },
    [userId],
  );

  return { plans, error, deleted, tell };
}
