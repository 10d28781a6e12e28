// `npm run screenshots`: the test config's server (free port, throwaway DATA_DIR) and Chromium,
// running only e2e/screenshots.shots.ts, which writes the README's pictures into docs/images/.
import base from './playwright.config.ts';
import { defineConfig } from '@playwright/test';

const testMatch = /.*\.shots\.ts$/;
const projects = (base.projects ?? [])
  .filter((p) => p.name === 'chromium')
  .map((p) => ({ ...p, testMatch }));

export default defineConfig({
  ...base,
  testMatch,
  projects,
  workers: 1,
  use: { ...base.use, trace: 'off' },
});
