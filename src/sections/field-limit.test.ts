import { describe, expect, it } from 'vitest';
import { LIMITS, MAX_FIELD_BYTES, fieldBytes } from '../../supabase/functions/_shared/schema.ts';
import { SECTIONS } from './sections.ts';
import { fieldTooLong } from './field-limit.ts';

describe('fieldTooLong', () => {
  it('accepts a text up to the limit and refuses one byte more, saying the limit', () => {
    const fits = 'x'.repeat(MAX_FIELD_BYTES - 2); // the two quotes of the JSON string
    expect(fieldBytes(fits)).toBe(MAX_FIELD_BYTES);
    expect(fieldTooLong(fits)).toBeNull();
    expect(fieldTooLong(`${fits}x`)).toMatch(/at most 131,072 bytes/);
    expect(fieldTooLong('x'.repeat(1_100_000))).toMatch(/it is 1\.1 MB/);
  });

  it('counts what the save sends: escapes and UTF-8', () => {
    expect(fieldBytes('a\nb')).toBe(6);
    expect(fieldBytes('é')).toBe(4);
    expect(fieldTooLong('\u0001'.repeat(Math.ceil(MAX_FIELD_BYTES / 6)))).not.toBeNull();
  });

  it('leaves room for every field of a section at the limit in one save', () => {
    const most = Math.max(...SECTIONS.map((s) => s.fields.length));
    expect(most * MAX_FIELD_BYTES + 4_096).toBeLessThan(LIMITS.maxBodyBytes);
  });
});
