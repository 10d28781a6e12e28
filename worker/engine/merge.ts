// Three-way merge of a section's data, field by field (docs/merge-rules.md, M1–M7). Pure: the
// engine calls it on a 409, on a newer server copy found by a refetch, and to resolve a conflict.
import type { SectionData } from '../../supabase/functions/_shared/schema.ts';
import { jsonEqual } from './json.ts';
import { mergeText, type TextOverlap } from './merge-text.ts';

/** A field both sides changed to different values that no finer merge could join (M4). */
export interface FieldConflict {
  field: string;
  /** undefined: the field is absent on that side (never set, or deleted). */
  base: unknown;
  mine: unknown;
  theirs: unknown;
  /** Text fields: the lines both sides changed differently (M5). */
  overlaps?: TextOverlap[];
  /** Multi-line text: the whole text each choice saves, the clean lines of both sides kept (M7). */
  resolved?: { mine: string; theirs: string };
}

export interface SectionMerge {
  /** Every field merged; a conflicting field keeps `mine` (local edits are never dropped, M6). */
  merged: SectionData;
  conflicts: FieldConflict[];
}

type ValueMerge =
  | { ok: true; value: unknown }
  | { ok: false; overlaps?: TextOverlap[]; resolved?: { mine: string; theirs: string } };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Merges one value: `base` is what both sides started from, `mine` the local value, `theirs` the
 * server's. undefined means absent. Rules M1–M5.
 */
export function mergeValue(base: unknown, mine: unknown, theirs: unknown): ValueMerge {
  // M1: both sides agree (unchanged, the same change, or both deleted).
  if (jsonEqual(mine, theirs)) return { ok: true, value: mine };
  // M2: only the server changed (or deleted) it.
  if (jsonEqual(mine, base)) return { ok: true, value: theirs };
  // M2: only this device changed (or deleted) it.
  if (jsonEqual(theirs, base)) return { ok: true, value: mine };
  // M3: nested objects changed on both sides merge key by key; any clash makes the field clash.
  if (isRecord(mine) && isRecord(theirs)) {
    const merged = mergeRecords(isRecord(base) ? base : {}, mine, theirs);
    return merged.conflicts.length === 0 ? { ok: true, value: merged.merged } : { ok: false };
  }
  // M5: text changed on both sides merges line by line where the lines don't overlap.
  if (typeof mine === 'string' && typeof theirs === 'string') {
    const text = mergeText(typeof base === 'string' ? base : '', mine, theirs);
    if (text.clean) return { ok: true, value: text.text };
    // One-line text: the overlap is the whole value, shown already.
    const multiline = [base, mine, theirs].some((v) => typeof v === 'string' && v.includes('\n'));
    return multiline
      ? { ok: false, overlaps: text.overlaps, resolved: text.resolved }
      : { ok: false };
  }
  // M4: changed on both sides to different values.
  return { ok: false };
}

function mergeRecords(
  base: Record<string, unknown>,
  mine: Record<string, unknown>,
  theirs: Record<string, unknown>,
): SectionMerge {
  const merged: SectionData = {};
  const conflicts: FieldConflict[] = [];
  const keys = [...new Set([...Object.keys(mine), ...Object.keys(theirs), ...Object.keys(base)])];
  for (const field of keys) {
    const b = base[field];
    const m = mine[field];
    const t = theirs[field];
    const result = mergeValue(b, m, t);
    if (result.ok) {
      // M1/M2: a deletion that wins leaves the field out.
      if (result.value !== undefined) merged[field] = result.value;
    } else {
      // M6: the local value stays until the author decides.
      if (m !== undefined) merged[field] = m;
      conflicts.push({
        field,
        base: b,
        mine: m,
        theirs: t,
        ...(result.overlaps ? { overlaps: result.overlaps } : {}),
        ...(result.resolved ? { resolved: result.resolved } : {}),
      });
    }
  }
  return { merged, conflicts };
}

/** Three-way merge of a section's data: base = the server copy the local edits started from. */
export function mergeSection(
  base: SectionData,
  mine: SectionData,
  theirs: SectionData,
): SectionMerge {
  return mergeRecords(base, mine, theirs);
}

/**
 * M7: the value a choice saves for one clashing field: multi-line text keeps the cleanly merged
 * lines of both sides and takes the chosen side only where they overlap; any other field is the
 * chosen side's whole value (undefined: absent).
 */
export function resolvedValue(c: FieldConflict, choice: 'theirs' | 'mine'): unknown {
  if (c.resolved) return c.resolved[choice];
  return choice === 'mine' ? c.mine : c.theirs;
}

/**
 * M7: the author's decision. `theirs` takes the server's side of the conflicting fields, `mine`
 * the author's; the merged non-conflicting fields (and lines) stay either way.
 */
export function resolveMerge(result: SectionMerge, choice: 'theirs' | 'mine'): SectionData {
  const out: SectionData = { ...result.merged };
  for (const c of result.conflicts) {
    const value = resolvedValue(c, choice);
    if (value === undefined) delete out[c.field];
    else out[c.field] = value;
  }
  return out;
}
