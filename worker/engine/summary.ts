// R24: what the navigation shows of each section, derived from the engine state alone.
import type { SectionStatusEntry } from '../protocol.ts';
import { statusOf } from './step.ts';
import type { EngineState } from './types.ts';

/**
 * One entry per section this engine holds (open in a tab, or unsaved without one), in id order so
 * two equal summaries compare equal as text. A section still loading with no edit of its own says
 * nothing yet: its status is not known.
 */
export function sectionStatuses(state: EngineState): SectionStatusEntry[] {
  return Object.values(state.sections)
    .filter((s) => s.phase === 'ready' || s.pending.length > 0 || s.blocker !== null)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((s) => ({ planId: s.planId, sectionKey: s.sectionKey, status: statusOf(s).status }));
}
