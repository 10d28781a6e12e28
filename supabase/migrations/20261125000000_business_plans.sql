-- Business plans and their five sections, owner-only through row-level security.
-- Plain SQL for Supabase (Postgres 15+). Locally, supabase/bootstrap/local.sql first creates what
-- Supabase provides (schema auth, auth.users, auth.uid(), roles anon and authenticated).

create table public.business_plans (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text,
  created_at timestamptz not null default now()
);

create index business_plans_user_id_idx on public.business_plans (user_id);

create table public.plan_sections (
  id uuid primary key default gen_random_uuid(),
  business_plan_id uuid not null references public.business_plans (id) on delete cascade,
  section_key text not null check (
    section_key in ('section-one', 'section-two', 'section-three', 'section-four', 'section-five')
  ),
  data jsonb not null default '{}'::jsonb,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (business_plan_id, section_key)
);

-- Every update is a new version: the trigger, not the client, advances it.
create function public.plan_sections_bump_version()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.version := old.version + 1;
  new.updated_at := now();
  return new;
end;
$$;

create trigger plan_sections_bump_version
  before update on public.plan_sections
  for each row execute function public.plan_sections_bump_version();

-- Row-level security: a user reads and writes only their own plans and those plans' sections.
alter table public.business_plans enable row level security;
alter table public.plan_sections enable row level security;

create policy "owners manage their plans" on public.business_plans
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy "owners manage their plans' sections" on public.plan_sections
  for all to authenticated
  using (exists (
    select 1 from public.business_plans bp
    where bp.id = plan_sections.business_plan_id and bp.user_id = (select auth.uid())
  ))
  with check (exists (
    select 1 from public.business_plans bp
    where bp.id = plan_sections.business_plan_id and bp.user_id = (select auth.uid())
  ));

revoke all on table public.business_plans, public.plan_sections from anon;
grant select, insert, update, delete on table public.business_plans, public.plan_sections
  to authenticated;

-- The save: an atomic compare-and-set on the section's version.
--   p_version = 0: create the section; of concurrent creators exactly one inserts (on conflict do
--   nothing), the others find the row and get a conflict.
--   p_version > 0: update only the row still at p_version; a concurrent writer that got there
--   first changed the version, so the WHERE no longer matches and nothing is written.
-- No row written → the stored version and data come back as a conflict (never saved: 0, {}).
-- security invoker: the caller's row-level security applies to every statement.
create function public.save_plan_section(
  p_plan_id uuid,
  p_section_key text,
  p_data jsonb,
  p_version integer
)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  saved public.plan_sections;
  stored_version integer;
  stored_data jsonb;
begin
  if not exists (select 1 from public.business_plans where id = p_plan_id) then
    return jsonb_build_object('status', 'not_found');
  end if;

  if p_version = 0 then
    insert into public.plan_sections (business_plan_id, section_key, data)
    values (p_plan_id, p_section_key, p_data)
    on conflict (business_plan_id, section_key) do nothing
    returning * into saved;
  else
    update public.plan_sections
    set data = p_data
    where business_plan_id = p_plan_id
      and section_key = p_section_key
      and version = p_version
      and version < 2147483647
    returning * into saved;
  end if;

  if saved.id is not null then
    return jsonb_build_object('status', 'saved', 'section', to_jsonb(saved));
  end if;

  select s.version, s.data into stored_version, stored_data
  from public.plan_sections s
  where s.business_plan_id = p_plan_id and s.section_key = p_section_key;

  return jsonb_build_object(
    'status', 'conflict',
    'version', coalesce(stored_version, 0),
    'data', coalesce(stored_data, '{}'::jsonb)
  );
end;
$$;

revoke all on function public.save_plan_section(uuid, text, jsonb, integer) from public, anon;
grant execute on function public.save_plan_section(uuid, text, jsonb, integer) to authenticated;
