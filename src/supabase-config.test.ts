import { describe, expect, it } from 'vitest';
import { LOCAL_KEY, supabaseConfig } from './supabase-config.ts';

describe('supabaseConfig', () => {
  it('uses the page origin and any key in local mode', () => {
    expect(supabaseConfig({}, 'http://localhost:54321')).toEqual({
      url: 'http://localhost:54321',
      key: LOCAL_KEY,
      hosted: false,
    });
  });

  it('names the project in a hosted build: the publishable key first, else the anon key', () => {
    const url = 'https://abc.supabase.co/';
    expect(
      supabaseConfig(
        {
          VITE_SUPABASE_URL: url,
          VITE_SUPABASE_PUBLISHABLE_KEY: 'sb_publishable_x',
          VITE_SUPABASE_ANON_KEY: 'eyJ-anon',
        },
        'https://app.example',
      ),
    ).toEqual({ url: 'https://abc.supabase.co', key: 'sb_publishable_x', hosted: true });
    expect(
      supabaseConfig({ VITE_SUPABASE_URL: url, VITE_SUPABASE_ANON_KEY: 'eyJ-anon' }, ''),
    ).toMatchObject({ key: 'eyJ-anon', hosted: true });
    expect(supabaseConfig({ VITE_SUPABASE_URL: ' ' }, 'http://localhost:5173')).toMatchObject({
      url: 'http://localhost:5173',
      hosted: false,
    });
  });
});
