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

/**
 * R21: merges two tabs' typing in one text, character by character: changes at different places
 * both stay, and text both inserted at the same place is kept once if one contains the other (a
 * resend of a keystroke already there) or else both, `mine` first. Null when both changed the same
 * characters differently (a real overlap, for the author).
 */
export function mergeTyping(base: string, mine: string, theirs: string): string | null {
  if (mine === theirs || theirs === base) return mine;
  if (mine === base) return theirs;
  // Only the part between what all three share at both ends is compared (typing is local).
  const [b, m, t] = [Array.from(base), Array.from(mine), Array.from(theirs)];
  let head = 0;
  while (head < b.length && b[head] === m[head] && b[head] === t[head]) head += 1;
  let tail = 0;
  const room = Math.min(b.length, m.length, t.length) - head;
  while (tail < room && b.at(-1 - tail) === m.at(-1 - tail) && b.at(-1 - tail) === t.at(-1 - tail))
    tail += 1;
  const middle = (x: string[]) => x.slice(head, x.length - tail);
  // Character diffs cost length²: far-apart changes in a long text merge by line (M5) instead.
  if (Math.max(b.length, m.length, t.length) - head - tail > TYPING_MERGE_MAX) {
    const byLine = mergeText(base, mine, theirs);
    return byLine.clean ? byLine.text : null;
  }
  const regions = diff3Merge(middle(m), middle(b), middle(t));
  let out = b.slice(0, head).join('');
  for (const region of regions) {
    if (region.ok) out += region.ok.join('');
    else if (region.conflict) {
      const { a, o, b: their } = region.conflict;
      if (o.length > 0) return null;
      const [mi, th] = [a.join(''), their.join('')];
      out += mi.includes(th) ? mi : th.includes(mi) ? th : mi + th;
    }
  }
  return out + b.slice(b.length - tail).join('');
}

/** Beyond this many differing characters, typing merges by line (see mergeTyping). */
const TYPING_MERGE_MAX = 2_000;
