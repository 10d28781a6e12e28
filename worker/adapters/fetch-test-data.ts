// What the fetch adapters' tests answer with: one plan, its credentials and a stored section.
export const PLAN = '00000000-0000-4000-8000-000000000001';
export const AUTH = { functionsUrl: 'http://localhost:54321/functions/v1/', accessToken: 'tok' };
export const SECTION = {
  id: 'row-1',
  business_plan_id: PLAN,
  section_key: 'section-one',
  data: { motivation: 'bread' },
  version: 3,
  updated_at: '2026-01-01T00:00:00Z',
  created_at: '2026-01-01T00:00:00Z',
};
