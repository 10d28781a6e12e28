-- Idempotent saves: a save may carry a client-made mutation id. The section remembers the id of
-- the save that last wrote it, so a save sent again (its answer was lost, the client retried)
-- answers 200 with the stored section instead of a 409 or a second write.
alter table public.plan_sections add column last_mutation_id text;

-- The save with a mutation id (null = none). Order of the checks:
--   1. the compare-and-set as before, unless the stored last_mutation_id already is p_mutation_id
--      (a repeated mutation never writes twice, whatever its version); a write records
--      p_mutation_id, and a save without one clears it;
--   2. nothing written → read the stored row: its last_mutation_id is p_mutation_id → 'saved'
--      with the stored section and 'replayed' true (no write, no version bump);
--   3. otherwise the conflict answer as before.
-- Concurrent copies of one mutation: the first writes; the others wait on its row lock, find the
-- version moved, read the committed row (a new snapshot per statement) and replay it.
create function public.save_plan_section(
  p_plan_id uuid,
  p_section_key text,
  p_data jsonb,
  p_version integer,
  p_mutation_id text
)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  saved public.plan_sections;
  stored public.plan_sections;
begin
  if not exists (select 1 from public.business_plans where id = p_plan_id) then
    return jsonb_build_object('status', 'not_found');
  end if;

  if p_version = 0 then
    insert into public.plan_sections (business_plan_id, section_key, data, last_mutation_id)
    values (p_plan_id, p_section_key, p_data, p_mutation_id)
    on conflict (business_plan_id, section_key) do nothing
    returning * into saved;
  else
    update public.plan_sections
    set data = p_data, last_mutation_id = p_mutation_id
    where business_plan_id = p_plan_id
      and section_key = p_section_key
      and version = p_version
      and version < 2147483647
      and (p_mutation_id is null or last_mutation_id is distinct from p_mutation_id)
    returning * into saved;
  end if;

  if saved.id is not null then
    return jsonb_build_object('status', 'saved', 'section', to_jsonb(saved), 'replayed', false);
  end if;

  select * into stored
  from public.plan_sections s
  where s.business_plan_id = p_plan_id and s.section_key = p_section_key;

  if p_mutation_id is not null and stored.last_mutation_id = p_mutation_id then
    return jsonb_build_object('status', 'saved', 'section', to_jsonb(stored), 'replayed', true);
  end if;

  return jsonb_build_object(
    'status', 'conflict',
    'version', coalesce(stored.version, 0),
    'data', coalesce(stored.data, '{}'::jsonb)
  );
end;
$$;

revoke all on function public.save_plan_section(uuid, text, jsonb, integer, text)
  from public, anon;
grant execute on function public.save_plan_section(uuid, text, jsonb, integer, text)
  to authenticated;

-- The four-argument save keeps working (callers deployed before this migration): a save without
-- a mutation id.
create or replace function public.save_plan_section(
  p_plan_id uuid,
  p_section_key text,
  p_data jsonb,
  p_version integer
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select public.save_plan_section(p_plan_id, p_section_key, p_data, p_version, null::text)
$$;
