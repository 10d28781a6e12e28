// Schemas of what the store keeps: every record read back from IndexedDB is checked against
// them before the engine sees it (a record from an older version or a damaged one is skipped).
import { z } from 'zod';
import {
  SectionDataSchema,
  SectionKeySchema,
  VersionSchema,
} from '../supabase/functions/_shared/schema.ts';
import type { OutboxRecord, SnapshotRecord } from './ports.ts';

// Fields added later are optional: records written by the previous build still pass, and mean
// what they meant then (a conflict with the server, on the snapshot as base; nothing queued).
const ConflictSchema = z.object({
  serverVersion: VersionSchema,
  serverData: SectionDataSchema,
  base: SectionDataSchema.optional(),
  source: z.literal('device').optional(),
});

/** R21: another copy's clashing edits waiting for the open conflict. */
const OtherSideSchema = z.object({
  fields: z.array(z.string()),
  base: SectionDataSchema,
  theirs: SectionDataSchema,
});

export const SnapshotRecordSchema = z.object({
  id: z.string().min(1),
  owner: z.string().min(1),
  /** U1; absent in the previous build's records (U6). */
  user: z.string().min(1).optional(),
  planId: z.uuid(),
  sectionKey: SectionKeySchema,
  version: VersionSchema,
  data: SectionDataSchema,
  updatedAt: z.number(),
}) satisfies z.ZodType<SnapshotRecord>;

export const OutboxRecordSchema = z.object({
  id: z.string().min(1),
  owner: z.string().min(1),
  /** U1; absent in the previous build's records (U6). */
  user: z.string().min(1).optional(),
  planId: z.uuid(),
  sectionKey: SectionKeySchema,
  baseVersion: VersionSchema,
  fields: SectionDataSchema,
  conflict: ConflictSchema.nullable(),
  unconfirmed: z.array(z.string()),
  attempt: z
    .object({ mutationId: z.string().min(1).max(100), version: VersionSchema, hash: z.string() })
    .nullable()
    .optional(),
  queued: z.array(OtherSideSchema).optional(),
  updatedAt: z.number(),
}) satisfies z.ZodType<OutboxRecord>;

/** Keeps the records that pass their schema; reports the others. */
export function validRecords<T>(
  schema: z.ZodType<T>,
  records: readonly unknown[],
  onInvalid: (record: unknown, problem: string) => void,
): T[] {
  const out: T[] = [];
  for (const record of records) {
    const parsed = schema.safeParse(record);
    if (parsed.success) out.push(parsed.data);
    else onInvalid(record, z.prettifyError(parsed.error));
  }
  return out;
}
