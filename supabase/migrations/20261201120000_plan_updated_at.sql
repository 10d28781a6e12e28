-- A plan's own last change (its title), so the plan list can say when each plan was last edited
-- and sort by it (the list takes the latest of this and the plan's sections' updated_at).
-- Existing plans start at their creation time; a rename is last-writer-wins (docs/server.md).
alter table public.business_plans add column updated_at timestamptz not null default now();

update public.business_plans set updated_at = created_at;

create function public.business_plans_touch()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- The time of the write, not of the transaction's start: a rename that waited for another's row
  -- lock writes after it, so the later write always has the later time.
  new.updated_at := clock_timestamp();
  return new;
end;
$$;

create trigger business_plans_touch
  before update on public.business_plans
  for each row execute function public.business_plans_touch();
