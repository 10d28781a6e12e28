// R24: the status of each section the worker holds for this tab's user, as the navigation shows
// it. Fed only by the worker's `statuses` events, validated first (the worker may be another build).
import { createStore } from 'zustand/vanilla';
import type { SectionKey } from '../../supabase/functions/_shared/schema.ts';
import {
  SectionStatusesEventSchema,
  type SaveStatus,
  type SectionStatusEntry,
} from '../../worker/protocol.ts';

export interface NavStatusState {
  /** By `planId/sectionKey`; a section absent is open nowhere and has nothing unsaved. */
  byId: Readonly<Record<string, SaveStatus>>;
}

export const navStatusStore = createStore<NavStatusState>(() => ({ byId: {} }));

export const navStatusKey = (planId: string, sectionKey: SectionKey) => `${planId}/${sectionKey}`;

/** The whole summary replaces the last one; an event that fails the schema changes nothing. */
export function receiveStatuses(event: unknown): { ok: true } | { ok: false; message: string } {
  const parsed = SectionStatusesEventSchema.safeParse(event);
  if (!parsed.success)
    return { ok: false, message: `statuses event refused: ${parsed.error.issues[0]?.message}` };
  navStatusStore.setState({ byId: byIdOf(parsed.data.sections) });
  return { ok: true };
}

function byIdOf(sections: readonly SectionStatusEntry[]): Record<string, SaveStatus> {
  const byId: Record<string, SaveStatus> = {};
  for (const e of sections) byId[navStatusKey(e.planId, e.sectionKey)] = e.status;
  return byId;
}

/** Forgets the summary (the signed-in user changed). */
export function resetNavStatuses(): void {
  navStatusStore.setState({ byId: {} });
}
