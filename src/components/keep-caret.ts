// R1, R21: a field's value can change under the author's caret (another tab's keystrokes merged
// into the one being typed): the caret stays by the text it was next to instead of jumping.
import { useLayoutEffect, useRef, type RefObject } from 'react';

/**
 * Where a caret at `pos` in `old` belongs in `next`: where it was if the change is after it,
 * moved by the change's length if before it, after the changed text if inside it.
 */
export function caretAfter(old: string, next: string, pos: number): number {
  let head = 0;
  while (head < old.length && head < next.length && old[head] === next[head]) head += 1;
  if (pos <= head) return pos;
  let tail = 0;
  const room = Math.min(old.length, next.length) - head;
  while (tail < room && old[old.length - 1 - tail] === next[next.length - 1 - tail]) tail += 1;
  if (pos >= old.length - tail) return pos + next.length - old.length;
  return next.length - tail;
}

type Field = HTMLInputElement | HTMLTextAreaElement;
type Seen = { value: string; start: number; end: number };

const seen = (el: Field): Seen => ({
  value: el.value,
  start: el.selectionStart ?? 0,
  end: el.selectionEnd ?? 0,
});

/** What moves a caret without changing the value, so the last one seen stays current. */
const CARET_EVENTS = ['input', 'keyup', 'mouseup', 'focus', 'select', 'selectionchange'] as const;

/**
 * Keeps the caret of a focused field by its text when `value` comes from elsewhere: React writing
 * a new value moves the caret to the end, so the value and caret seen last are kept and the caret
 * is put back, mapped onto the new value, before the browser paints.
 */
export function useKeepCaret(ref: RefObject<Field | null>, value: string): void {
  const last = useRef<Seen | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const note = () => void (last.current = seen(el));
    for (const name of CARET_EVENTS) el.addEventListener(name, note);
    return () => {
      for (const name of CARET_EVENTS) el.removeEventListener(name, note);
    };
  }, [ref]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const was = last.current;
    if (was && was.value !== el.value && el.ownerDocument.activeElement === el)
      el.setSelectionRange(
        caretAfter(was.value, el.value, was.start),
        caretAfter(was.value, el.value, was.end),
      );
    last.current = seen(el);
  }, [ref, value]);
}
