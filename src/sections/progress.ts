// How much of a section the author has written: pure, from the fields and what they hold.
import type { SectionDefinition } from './sections.ts';

/** A field counts as filled when it holds some non-blank text (or any other saved value). */
export function filledCount(section: SectionDefinition, data: Record<string, unknown>): number {
  return section.fields.filter((f) => {
    const value = data[f.name];
    if (value == null) return false;
    return typeof value === 'string' ? value.trim() !== '' : true;
  }).length;
}

/** "3 of 6 filled" */
export const progressText = (section: SectionDefinition, data: Record<string, unknown>) =>
  `${filledCount(section, data)} of ${section.fields.length} filled`;
