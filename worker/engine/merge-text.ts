// Line-level three-way merge of one text field (docs/merge-rules.md, M5): two devices that edited
// different lines of a long text both keep their lines; lines both changed differently overlap.
import { diff3Merge } from 'node-diff3';

/** One place where both sides changed the same lines differently. */
export interface TextOverlap {
  base: string;
  mine: string;
  theirs: string;
}

export type TextMerge =
  | { clean: true; text: string }
  | {
      clean: false;
      overlaps: TextOverlap[];
      /**
       * M7: the whole text each choice saves: every cleanly merged line of both sides, and the
       * chosen side's lines where they overlap.
       */
      resolved: { mine: string; theirs: string };
    };

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
  const keepMine: string[] = [];
  const keepTheirs: string[] = [];
  const overlaps: TextOverlap[] = [];
  for (const region of regions) {
    if (region.ok) {
      keepMine.push(...region.ok);
      keepTheirs.push(...region.ok);
    } else if (region.conflict) {
      keepMine.push(...region.conflict.a);
      keepTheirs.push(...region.conflict.b);
      overlaps.push({
        base: region.conflict.o.join('\n'),
        mine: region.conflict.a.join('\n'),
        theirs: region.conflict.b.join('\n'),
      });
    }
  }
  return overlaps.length === 0
    ? { clean: true, text: keepMine.join('\n') }
    : {
        clean: false,
        overlaps,
        resolved: { mine: keepMine.join('\n'), theirs: keepTheirs.join('\n') },
      };
}
