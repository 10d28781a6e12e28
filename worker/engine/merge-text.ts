// Line-level three-way merge of one text field (docs/merge-rules.md, M5): two devices that edited
// different lines of a long text both keep their lines; lines both changed differently overlap.
import { diff3Merge } from 'node-diff3';

/** One place where both sides changed the same lines differently. */
export interface TextOverlap {
  base: string;
  mine: string;
  theirs: string;
}

export type TextMerge = { clean: true; text: string } | { clean: false; overlaps: TextOverlap[] };

const lines = (text: string) => text.split('\n');

/** Merges `mine` and `theirs`, both edited from `base`, line by line. Pure. */
export function mergeText(base: string, mine: string, theirs: string): TextMerge {
  if (mine === theirs) return { clean: true, text: mine };
  if (mine === base) return { clean: true, text: theirs };
  if (theirs === base) return { clean: true, text: mine };
  // The same change on both sides is not an overlap (excludeFalseConflicts).
  const regions = diff3Merge(lines(mine), lines(base), lines(theirs), {
    excludeFalseConflicts: true,
  });
  const out: string[] = [];
  const overlaps: TextOverlap[] = [];
  for (const region of regions) {
    if (region.ok) out.push(...region.ok);
    else if (region.conflict)
      overlaps.push({
        base: region.conflict.o.join('\n'),
        mine: region.conflict.a.join('\n'),
        theirs: region.conflict.b.join('\n'),
      });
  }
  return overlaps.length === 0 ? { clean: true, text: out.join('\n') } : { clean: false, overlaps };
}
