// Plan calls (list, create, rename, delete) through supabase-js; failures come back as data with a message for the author.
import { FunctionsHttpError } from '@supabase/supabase-js';
import { z } from 'zod';
import { BusinessPlanSchema, type BusinessPlan } from '../supabase/functions/_shared/schema.ts';
import { supabase } from './supabase-client.ts';

export type ApiResult<T> = { ok: true; value: T } | { ok: false; message: string };

async function describe(error: unknown): Promise<string> {
  if (error instanceof FunctionsHttpError) {
    const body: unknown = await (error.context as Response).json().catch(() => null);
    const parsed = z.object({ message: z.string() }).safeParse(body);
    if (parsed.success) return parsed.data.message;
  }
  return `The server could not be reached (${String(error)}). Check your connection and try again.`;
}

export async function listPlans(): Promise<ApiResult<BusinessPlan[]>> {
  const { data, error } = await supabase.functions.invoke('business-plans', { method: 'GET' });
  if (error) return { ok: false, message: await describe(error) };
  const parsed = z.object({ data: z.array(BusinessPlanSchema) }).safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data.data }
    : { ok: false, message: 'The server sent an unexpected plan list. Reload the page.' };
}

export async function createPlan(title: string): Promise<ApiResult<BusinessPlan>> {
  const { data, error } = await supabase.functions.invoke('business-plans', {
    method: 'POST',
    body: { title },
  });
  if (error) return { ok: false, message: await describe(error) };
  const parsed = z.object({ data: BusinessPlanSchema }).safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data.data }
    : { ok: false, message: 'The server sent an unexpected answer. Reload the page.' };
}

/** Renames a plan (the server trims the title); the renamed plan with its new last-edit time. */
export async function renamePlan(planId: string, title: string): Promise<ApiResult<BusinessPlan>> {
  const { data, error } = await supabase.functions.invoke(
    `business-plans/${encodeURIComponent(planId)}`,
    { method: 'PATCH', body: { title } },
  );
  if (error) return { ok: false, message: await describe(error) };
  const parsed = z.object({ data: BusinessPlanSchema }).safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data.data }
    : { ok: false, message: 'The server sent an unexpected answer. Reload the page.' };
}

/** Deletes a plan and its sections on the server. */
export async function deletePlan(planId: string): Promise<ApiResult<null>> {
  const { error } = await supabase.functions.invoke(
    `business-plans/${encodeURIComponent(planId)}`,
    { method: 'DELETE' },
  );
  return error ? { ok: false, message: await describe(error) } : { ok: true, value: null };
}
