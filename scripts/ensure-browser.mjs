// Before the browser tests: make sure a Chromium exists, installing Debian's as root if it can.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium } from './find-browser.mjs';

const found = findChromium();
if (found) {
  console.log(
    `Browser tests use ${found.kind === 'system' ? 'system Chromium' : "Playwright's Chromium"}: ${found.path}`,
  );
  process.exit(0);
}
if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  console.log(
    'No Chromium found: installing Debian\'s "chromium" package with apt-get (runs once)…',
  );
  const run = (args) =>
    execFileSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  run(['update', '-qq']);
  run(['install', '-y', '-qq', 'chromium']);
  const after = findChromium();
  if (after) {
    console.log(`Installed: ${after.path}`);
    process.exit(0);
  }
}
console.error(
  'No Chromium found for the browser tests. Install one with `npx playwright install chromium` ' +
    '(or `sudo apt-get install chromium` on Debian), or set CHROMIUM_PATH to a Chromium binary.',
);
process.exit(1);
