-- Hosted mode: let Supabase Realtime announce changes of plan_sections (RLS still decides who
-- hears about which row). Plain Postgres and PGlite have no supabase_realtime publication: skip.
do $$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime')
     and not exists (
       select 1 from pg_publication_tables
       where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'plan_sections'
     ) then
    alter publication supabase_realtime add table public.plan_sections;
  end if;
end
$$;
