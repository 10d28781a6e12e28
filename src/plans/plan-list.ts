// The plan list as data: what the tabs tell each other about plans (validated, per user), how a
// message or a fresh list changes what a tab shows, and the words for a plan's last save. Pure.
import { z } from 'zod';
import { BusinessPlanSchema, type BusinessPlan } from '../../supabase/functions/_shared/schema.ts';
import { savedTime } from '../components/status-words.ts';

/** One tab's news for the others of the profile; `userId`: only that user's tabs take it. */
export const PlanNewsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('saved'), userId: z.string().min(1), plan: BusinessPlanSchema }),
  z.object({ type: z.literal('deleted'), userId: z.string().min(1), planId: z.string().min(1) }),
]);
export type PlanNews = z.infer<typeof PlanNewsSchema>;

/** Newest edit first, as the server lists them; ties keep the newer plan first. */
export function byLastEdit(plans: readonly BusinessPlan[]): BusinessPlan[] {
  return [...plans].sort(
    (a, b) =>
      b.updated_at.localeCompare(a.updated_at) ||
      b.created_at.localeCompare(a.created_at) ||
      a.id.localeCompare(b.id),
  );
}

/** The list after a rename or a new plan (`saved`) or a deletion, kept in last-edit order. */
export function applyNews(plans: readonly BusinessPlan[], news: PlanNews): BusinessPlan[] {
  if (news.type === 'deleted') return plans.filter((p) => p.id !== news.planId);
  const known = plans.find((p) => p.id === news.plan.id);
  // An older copy (a message overtaken by a fresher list) never rolls a title back.
  if (known && known.updated_at > news.plan.updated_at) return [...plans];
  return byLastEdit([...plans.filter((p) => p.id !== news.plan.id), news.plan]);
}

/**
 * A fetched list meets what the tab shows: a plan the tab knows in a newer version (news that
 * overtook the fetch) keeps it, and a plan the tab heard was deleted stays out.
 */
export function mergeFetched(
  fetched: readonly BusinessPlan[],
  shown: readonly BusinessPlan[] | null,
  deleted: ReadonlySet<string>,
): BusinessPlan[] {
  const newer = new Map((shown ?? []).map((p) => [p.id, p]));
  return byLastEdit(
    fetched
      .filter((p) => !deleted.has(p.id))
      .map((p) => {
        const known = newer.get(p.id);
        return known && known.updated_at > p.updated_at ? known : p;
      }),
  );
}

/** "Saved 10:42" today, "Saved 2026-11-30 10:42" another day; a never-edited plan: "Created …". */
export function lastSavedWords(plan: BusinessPlan, now: Date = new Date()): string {
  const edited = plan.updated_at !== plan.created_at;
  const when = savedTime(edited ? plan.updated_at : plan.created_at, now);
  if (when === null) return '';
  return `${edited ? 'Saved' : 'Created'} ${when}`;
}

export type TitleCheck = { ok: true; title: string } | { ok: false; message: string };

/** The rename field's value as the API will take it (trimmed, 1–`max` characters). */
export function checkTitle(value: string, max: number): TitleCheck {
  const title = value.trim();
  if (title === '')
    return {
      ok: false,
      message: 'A plan needs a title: type one, or press Escape to keep the old one.',
    };
  if (title.length > max)
    return { ok: false, message: `A title can have at most ${max} characters: shorten it.` };
  return { ok: true, title };
}
