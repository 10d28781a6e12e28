// A text too long for one field is refused at the field, before it reaches the worker: one
// field over the save's size limit would stop every save of its section (413), the other
// fields' included.
import { MAX_FIELD_BYTES, fieldBytes } from '../../supabase/functions/_shared/schema.ts';

const size = (bytes: number) =>
  bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1_000)} KB`;

/** Why `text` can't go into a field (null: it can). */
export function fieldTooLong(text: string): string | null {
  const bytes = fieldBytes(text);
  if (bytes <= MAX_FIELD_BYTES) return null;
  return `This text was not added: it is ${size(bytes)}, and a field holds at most ${MAX_FIELD_BYTES.toLocaleString('en-US')} bytes (about ${size(MAX_FIELD_BYTES)}). Shorten it and try again; the rest of the section keeps saving.`;
}
