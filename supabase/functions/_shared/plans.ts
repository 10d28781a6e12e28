// Data access for plans and sections. Every function runs inside `Db.asUser`, so row-level
// security limits it to the caller's own rows: a plan of another user looks exactly like a plan
// that does not exist.
import type { Database } from './database.types.ts';
import type { Tx } from './db.ts';
import {
  SECTION_KEYS,
  type BusinessPlan,
  type PlanSection,
  type SectionData,
  type SectionKey,
} from './schema.ts';

/** Timestamps come back as Date (driver) or text (inside jsonb); the API sends ISO 8601 UTC. */
export function toIso(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

type Tables = Database['public']['Tables'];

/**
 * A row as the drivers return it: the generated types describe timestamps as text, but
 * postgres.js gives a Date (and jsonb holds text), so `*_at` columns stay unknown until toIso.
 */
type DriverRow<Row> = { [K in keyof Row]: K extends `${string}_at` ? unknown : Row[K] };

type PlanRow = Pick<
  DriverRow<Tables['business_plans']['Row']>,
  'id' | 'title' | 'created_at' | 'updated_at'
>;
/** The columns the API sends: the key's check constraint narrows it, saves validate the data. */
type SectionRow = Omit<
  DriverRow<Tables['plan_sections']['Row']>,
  'last_mutation_id' | 'section_key' | 'data'
> & { section_key: SectionKey; data: SectionData };

const toPlan = (row: PlanRow): BusinessPlan => ({
  id: row.id,
  title: row.title ?? '',
  created_at: toIso(row.created_at),
  updated_at: toIso(row.updated_at),
});

export const toSection = (row: SectionRow): PlanSection => ({
  id: row.id,
  business_plan_id: row.business_plan_id,
  section_key: row.section_key,
  data: row.data,
  version: Number(row.version),
  updated_at: toIso(row.updated_at),
  created_at: toIso(row.created_at),
});

// The sections in the app's order (section-one … section-five), from the constant key list.
const SECTION_ORDER = `array_position(array[${SECTION_KEYS.map((key) => `'${key}'`).join(', ')}]::text[], section_key)`;

const SECTION_COLUMNS = 'id, business_plan_id, section_key, data, version, updated_at, created_at';

/**
 * A plan's last edit: its own (a rename) or its latest section save, whichever is later
 * (`greatest` skips the null of a plan without sections).
 */
const PLAN_COLUMNS = `p.id, p.title, p.created_at, greatest(p.updated_at,
  (select max(s.updated_at) from public.plan_sections s where s.business_plan_id = p.id)) as updated_at`;

/** The caller's plans, last edited first. */
export async function listPlans(tx: Tx): Promise<BusinessPlan[]> {
  const rows = await tx.query<PlanRow>(
    `select ${PLAN_COLUMNS} from public.business_plans p order by updated_at desc, p.created_at desc, p.id`,
  );
  return rows.map(toPlan);
}

export async function createPlan(tx: Tx, title: string): Promise<BusinessPlan> {
  const rows = await tx.query<PlanRow>(
    'insert into public.business_plans (title) values ($1) returning id, title, created_at, updated_at',
    [title],
  );
  const row = rows[0];
  if (!row) throw new Error('insert into business_plans returned no row');
  return toPlan(row);
}

/** Renames the caller's plan (last writer wins); null when there is no such plan of theirs. */
export async function renamePlan(
  tx: Tx,
  planId: string,
  title: string,
): Promise<BusinessPlan | null> {
  const updated = await tx.query<{ id: string }>(
    'update public.business_plans set title = $2 where id = $1::uuid returning id',
    [planId, title],
  );
  if (updated.length === 0) return null;
  const rows = await tx.query<PlanRow>(
    `select ${PLAN_COLUMNS} from public.business_plans p where p.id = $1::uuid`,
    [planId],
  );
  return rows[0] ? toPlan(rows[0]) : null;
}

/** Deletes the caller's plan and, by the foreign key's cascade, its sections; false: none. */
export async function deletePlan(tx: Tx, planId: string): Promise<boolean> {
  const rows = await tx.query<{ id: string }>(
    'delete from public.business_plans where id = $1::uuid returning id',
    [planId],
  );
  return rows.length > 0;
}

/** Whether the caller can see this plan (it exists and is theirs). */
export async function planVisible(tx: Tx, planId: string): Promise<boolean> {
  const rows = await tx.query<{ found: boolean }>(
    'select exists (select 1 from public.business_plans where id = $1::uuid) as found',
    [planId],
  );
  return rows[0]?.found === true;
}

export async function listSections(tx: Tx, planId: string): Promise<PlanSection[]> {
  const rows = await tx.query<SectionRow>(
    `select ${SECTION_COLUMNS} from public.plan_sections where business_plan_id = $1::uuid order by ${SECTION_ORDER}`,
    [planId],
  );
  return rows.map(toSection);
}

export async function getSection(
  tx: Tx,
  planId: string,
  key: SectionKey,
): Promise<PlanSection | null> {
  const rows = await tx.query<SectionRow>(
    `select ${SECTION_COLUMNS} from public.plan_sections where business_plan_id = $1::uuid and section_key = $2`,
    [planId, key],
  );
  return rows[0] ? toSection(rows[0]) : null;
}

export type SaveResult =
  | { status: 'saved'; section: PlanSection; replayed: boolean }
  | { status: 'conflict'; version: number; data: SectionData }
  | { status: 'not_found' };

type SaveRow = {
  result:
    | { status: 'saved'; section: SectionRow; replayed?: boolean }
    | { status: 'conflict'; version: number; data: SectionData }
    | { status: 'not_found' };
};

/**
 * The atomic compare-and-set (`public.save_plan_section`, see the migrations): stores `data` only
 * if the stored version is still `version` (0 = never saved). `data` is sent as JSON text. With a
 * `mutationId` that the section's last write already carried, nothing is written and the stored
 * section comes back as saved (`replayed: true`).
 */
export async function saveSection(
  tx: Tx,
  planId: string,
  key: SectionKey,
  dataJson: string,
  version: number,
  mutationId: string | null = null,
): Promise<SaveResult> {
  const rows = await tx.query<SaveRow>(
    'select public.save_plan_section($1::uuid, $2::text, $3::text::jsonb, $4::integer, $5::text) as result',
    [planId, key, dataJson, version, mutationId],
  );
  const result = rows[0]?.result;
  if (!result) throw new Error('save_plan_section returned nothing');
  if (result.status === 'saved')
    return {
      status: 'saved',
      section: toSection(result.section),
      replayed: result.replayed === true,
    };
  if (result.status === 'conflict')
    return { status: 'conflict', version: Number(result.version), data: result.data };
  return { status: 'not_found' };
}
