import { describe, expect, it } from 'vitest';
import { caretAfter } from './keep-caret.ts';

describe('R1, R21: the caret when another tab’s keystrokes merge into the field', () => {
  it('stays where it is when the text changed after it', () => {
    expect(caretAfter('aSTART END', 'aSTART END b', 1)).toBe(1);
  });
  it('moves by what was inserted before it', () => {
    expect(caretAfter('START END b', 'aSTART END b', 11)).toBe(12);
    expect(caretAfter('START END b', 'aSTART END b', 5)).toBe(6);
  });
  it('moves back by what was removed before it', () => {
    expect(caretAfter('xxSTART', 'START', 7)).toBe(5);
  });
  it('goes after the changed text when it was inside it', () => {
    expect(caretAfter('a-----b', 'aXb', 3)).toBe(2);
  });
  it('stays put when nothing changed', () => {
    expect(caretAfter('same', 'same', 2)).toBe(2);
  });
});
