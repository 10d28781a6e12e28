// Finds a Chromium for Playwright: its own download where installed, else a system Chromium.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const SYSTEM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** @returns {{ kind: 'playwright' | 'system', path: string } | null} */
export function findChromium() {
  const forced = process.env.CHROMIUM_PATH;
  if (forced) return existsSync(forced) ? { kind: 'system', path: forced } : null;
  try {
    const require = createRequire(import.meta.url);
    const { chromium } = require('playwright-core');
    const own = chromium.executablePath();
    if (own && existsSync(own)) return { kind: 'playwright', path: own };
  } catch {
    // No Playwright browser registry entry: fall through to the system browsers.
  }
  const system = SYSTEM_PATHS.find((p) => existsSync(p));
  return system ? { kind: 'system', path: system } : null;
}

/** Flags a system Chromium needs here: root can't use the sandbox, and the network is closed. */
export function systemChromiumArgs() {
  const args = [
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ];
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  return args;
}
