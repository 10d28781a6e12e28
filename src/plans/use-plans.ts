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

const NONE: ReadonlySet<string> = new Set();

export function usePlans(): PlansState {
  const userId = userIdOf(useAuth());
  // Whose list `plans` is: another user's is never shown (U1), even before the next answer.
  const [plans, setPlans] = useState<{ user: string; list: BusinessPlan[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<{ user: string; ids: ReadonlySet<string> } | null>(null);
  const shown = useRef<BusinessPlan[] | null>(null);
  const gone = useRef(new Set<string>());

  const show = useCallback(
    (user: string, next: BusinessPlan[], vanished: readonly string[] = []) => {
      if (vanished.length > 0) {
        for (const id of vanished) gone.current.add(id);
        setDeleted({ user, ids: new Set(gone.current) });
      }
      shown.current = next;
      setPlans({ user, list: next });
    },
    [],
  );

  useEffect(() => {
    if (userId === null) return;
    let alive = true;
    // Another user's list never shows through (U1): start over.
    shown.current = null;
    gone.current = new Set();
    // Only the latest request's answer counts: news that arrives while one is on its way may be
    // newer than that answer, so it asks again (an older answer would drop a new plan).
    let requested = 0;
    let answered = 0;
    let listedBefore: ReadonlySet<string> | null = null;
    const refetch = () => {
      const n = ++requested;
      void listPlans().then((result) => {
        if (!alive || n !== requested) return;
        answered = n;
        if (!result.ok) return setError(result.message);
        setError(null);
        // Listed by the previous answer and missing now: deleted meanwhile (another device).
        const listed = new Set(result.value.map((p) => p.id));
        const vanished = [...(listedBefore ?? [])].filter((id) => !listed.has(id));
        listedBefore = listed;
        for (const id of vanished) gone.current.add(id);
        show(userId, mergeFetched(result.value, shown.current, gone.current), vanished);
      });
    };
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
      if (answered !== requested) refetch();
      // Before the first list the fetch brings it all; a deletion is remembered meanwhile.
      if (shown.current === null) return;
      show(userId, applyNews(shown.current, news), news.type === 'deleted' ? [news.planId] : []);
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

  const mine = userId !== null;
  return {
    plans: mine && plans?.user === userId ? plans.list : null,
    error,
    deleted: mine && deleted?.user === userId ? deleted.ids : NONE,
    tell,
  };
}
