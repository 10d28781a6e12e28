import { defineConfig, type Project } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findChromium,
  findFirefox,
  firefoxLaunchOptions,
  systemChromiumArgs,
} from './scripts/find-browser.mjs';

// The config is evaluated by the runner and again by each worker: decide the port and data
// folder once, in the runner, and hand them down through the environment.
if (!process.env.E2E_BASE_URL) {
  const port = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]).toString();
  process.env.E2E_PORT = port;
  process.env.E2E_BASE_URL = `http://localhost:${port}`;
  process.env.E2E_DATA_DIR = mkdtempSync(join(tmpdir(), 'mpfs-e2e-'));
}

const chromium = findChromium();
const firefox = findFirefox();

/** What `npm test` runs in the other engines; `npm run test:browsers` (MPFS_ALL_ENGINES=1) runs all. */
const CORE_SPECS = /(tabs|durability|conflict|devices)\.spec\.ts$/;
const allEngines = process.env.MPFS_ALL_ENGINES === '1';
if (!firefox && process.env.MPFS_REQUIRE_BROWSERS === '1')
  throw new Error('No Firefox found: install firefox-esr or set FIREFOX_PATH.');

const projects: Project[] = [
  {
    name: 'chromium',
    use: {
      browserName: 'chromium',
      launchOptions:
        chromium?.kind === 'system'
          ? { executablePath: chromium.path, args: systemChromiumArgs() }
          : {},
    },
  },
];
if (firefox)
  projects.push({
    name: 'firefox',
    ...(allEngines ? {} : { testMatch: CORE_SPECS }),
    use: { browserName: 'firefox', launchOptions: firefoxLaunchOptions(firefox) },
  });

export default defineConfig({
  testDir: 'e2e',
  // Two cores: two test files at a time keeps the server and the browsers responsive.
  workers: 2,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list']],
  projects,
  use: {
    baseURL: process.env.E2E_BASE_URL,
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `node --import tsx server/main.ts`,
    url: `${process.env.E2E_BASE_URL}/health`,
    env: {
      PORT: process.env.E2E_PORT ?? '',
      DATA_DIR: process.env.E2E_DATA_DIR ?? '',
      // E2E_STATIC_DIR lets parallel runs test their own build instead of sharing dist/.
      STATIC_DIR: process.env.E2E_STATIC_DIR ?? 'dist',
      TEST_HOOKS: '1',
      LOG_LEVEL: 'warn',
    },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
