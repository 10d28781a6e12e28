import { describe, expect, it } from 'vitest';
import { filledCount, progressText } from './progress.ts';
import { SECTIONS } from './sections.ts';

const one = SECTIONS[0]!;

describe('section progress', () => {
  it('counts the fields holding non-blank text', () => {
    expect(filledCount(one, {})).toBe(0);
    expect(filledCount(one, { motivation: 'Bread', vision: '   ', concerns: '' })).toBe(1);
  });

  it('ignores keys that are not fields of the section', () => {
    expect(filledCount(one, { motivation: 'Bread', businessName: 'Bakery' })).toBe(1);
  });

  it('says it as "N of M filled"', () => {
    expect(progressText(one, { motivation: 'a', strengths: 'b', success: 'c' })).toBe(
      `3 of ${one.fields.length} filled`,
    );
  });
});

describe('sections', () => {
  it('every section has at least five fields, each with a label, help text and a unique key', () => {
    for (const section of SECTIONS) {
      expect(section.fields.length).toBeGreaterThanOrEqual(5);
      const names = section.fields.map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
      for (const f of section.fields) {
        expect(f.label.trim()).not.toBe('');
        expect(f.help.trim()).not.toBe('');
      }
    }
  });
});
