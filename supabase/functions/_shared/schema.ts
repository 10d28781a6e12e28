// The one schema shared by the Edge Functions, the worker and the app: every value that crosses
// HTTP, postMessage or IndexedDB is checked against what is defined here.
import { z } from 'zod';

export const SECTION_KEYS = [
  'section-one',
  'section-two',
  'section-three',
  'section-four',
  'section-five',
] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];
export const SectionKeySchema = z.enum(SECTION_KEYS);
export const isSectionKey = (value: string): value is SectionKey =>
  (SECTION_KEYS as readonly string[]).includes(value);

/** Error codes of the API (contract §3); the HTTP status of each is in ERROR_STATUS. */
export const ERROR_CODES = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  VERSION_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

export const LIMITS = {
  /** Largest raw request body, in bytes (contract §3). */
  maxBodyBytes: 1_048_576,
  /** Deepest nesting of objects/arrays inside a section's `data`. */
  maxDepth: 32,
  /** Most keys in any one object inside `data`. */
  maxKeys: 1_000,
  maxVersion: 2_147_483_647,
  maxTitleLength: 200,
  /** Longest `mutationId` of a save. */
  maxMutationIdLength: 100,
} as const;

/**
 * Most bytes one text field of a section may take in the saved JSON (UTF-8, escapes included):
 * an eighth of the body limit, so a section's fields (five today) all at the limit still fit in
 * one save with room to spare. The app refuses a longer text at the field (src/sections/).
 */
export const MAX_FIELD_BYTES = Math.floor(LIMITS.maxBodyBytes / 8);

/** How many bytes `text` takes in a saved section's JSON. */
export const fieldBytes = (text: string): number =>
  new TextEncoder().encode(JSON.stringify(text)).byteLength;

export const VersionSchema = z
  .number({ error: 'version must be a whole number from 0 to 2147483647' })
  .int('version must be a whole number from 0 to 2147483647')
  .min(0, 'version must be a whole number from 0 to 2147483647')
  .max(LIMITS.maxVersion, 'version must be a whole number from 0 to 2147483647');

export const UuidSchema = z.uuid({ error: 'planId must be a UUID' });

/** A section's data: any JSON object (not an array, not null). */
export const SectionDataSchema = z.record(z.string(), z.unknown(), {
  error: 'data must be a JSON object',
});
export type SectionData = z.infer<typeof SectionDataSchema>;

/**
 * A client-made id of one save (e.g. a UUID). Sending the same save again with the same id is
 * answered 200 with the stored section and writes nothing (see docs/server.md).
 */
export const MutationIdSchema = z
  .string({ error: `mutationId must be a string of 1 to ${LIMITS.maxMutationIdLength} characters` })
  .min(1, `mutationId must be a string of 1 to ${LIMITS.maxMutationIdLength} characters`)
  .max(
    LIMITS.maxMutationIdLength,
    `mutationId must be a string of 1 to ${LIMITS.maxMutationIdLength} characters`,
  )
  .refine(
    (value) => isStorableText(value),
    'mutationId must not contain a NUL character or an unpaired surrogate',
  );

export const SaveSectionRequestSchema = z.strictObject(
  {
    planId: UuidSchema,
    data: SectionDataSchema,
    version: VersionSchema.optional(),
    mutationId: MutationIdSchema.optional(),
  },
  { error: 'the body must be a JSON object with planId, data, version and optionally mutationId' },
);
export type SaveSectionRequest = z.infer<typeof SaveSectionRequestSchema>;

/**
 * Text Postgres can store: no NUL character and no unpaired UTF-16 surrogate (both are rejected
 * by `text` and `jsonb`, so they are refused with a 400 before they reach the database).
 */
const UNSTORABLE_TEXT =
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
  /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const isStorableText = (value: string): boolean => !UNSTORABLE_TEXT.test(value);

/**
 * Checks what a schema can't express about a section's `data`: nesting depth and keys per object
 * (LIMITS), numbers that JSON can't carry back (Infinity from `1e400`), and strings or keys
 * Postgres can't store. Returns what is wrong, in words, or null when the data can be saved.
 */
export function findSectionDataProblem(data: unknown): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: data, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, depth } = item;
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'string') {
      if (!isStorableText(value))
        return 'data contains a string with a NUL character or an unpaired surrogate; remove it and save again';
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value))
        return 'data contains a number too large to store; use a smaller one or send it as a string';
      continue;
    }
    if (typeof value !== 'object') return 'data must contain only JSON values';
    if (depth > LIMITS.maxDepth)
      return `data is nested more than ${LIMITS.maxDepth} levels deep; flatten it and save again`;
    if (Array.isArray(value)) {
      for (const element of value) stack.push({ value: element, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > LIMITS.maxKeys)
      return `an object in data has more than ${LIMITS.maxKeys} keys; split it and save again`;
    for (const key of keys) {
      if (!isStorableText(key))
        return 'data contains a key with a NUL character or an unpaired surrogate; rename it and save again';
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return null;
}

/** A plan's title: trimmed, 1 to LIMITS.maxTitleLength characters, storable. */
export const PlanTitleSchema = z
  .string({ error: 'title must be a string' })
  .trim()
  .min(1, 'title must not be empty')
  .max(LIMITS.maxTitleLength, `title must be at most ${LIMITS.maxTitleLength} characters`)
  .refine(isStorableText, 'title must not contain a NUL character or an unpaired surrogate');

export const CreatePlanRequestSchema = z.strictObject(
  { title: PlanTitleSchema },
  { error: 'the body must be a JSON object with a title' },
);

/** `PATCH /business-plans/ID`: a rename, the only change a plan takes. */
export const RenamePlanRequestSchema = z.strictObject(
  { title: PlanTitleSchema },
  { error: 'the body must be a JSON object with a title' },
);

export const PlanSectionSchema = z.object({
  id: z.string(),
  business_plan_id: z.string(),
  section_key: SectionKeySchema,
  data: SectionDataSchema,
  version: z.number().int(),
  updated_at: z.string(),
  created_at: z.string(),
});
export type PlanSection = z.infer<typeof PlanSectionSchema>;

export const BusinessPlanSchema = z.object({
  id: z.string(),
  title: z.string(),
  created_at: z.string(),
  /** The plan's last edit: a rename or a section saved, whichever is later. */
  updated_at: z.string(),
});
export type BusinessPlan = z.infer<typeof BusinessPlanSchema>;

export type ApiSuccess<T> = { success: true; data: T };
export type ApiFailure = { success: false; error: ErrorCode; message: string };
export type VersionConflictBody = ApiFailure & {
  error: 'VERSION_CONFLICT';
  serverVersion: number;
  clientVersion: number;
  serverData: SectionData;
};

export const ApiFailureSchema = z.object({
  success: z.literal(false),
  error: z.string(),
  message: z.string(),
});
export const VersionConflictSchema = ApiFailureSchema.extend({
  error: z.literal('VERSION_CONFLICT'),
  serverVersion: z.number().int(),
  clientVersion: z.number().int(),
  serverData: SectionDataSchema,
});
