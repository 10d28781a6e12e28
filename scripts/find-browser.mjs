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

/**
 * `envVar` names a binary to use; else Playwright's own download where installed; else the first
 * system path that exists.
 * @returns {{ kind: 'playwright' | 'system', path: string } | null}
 */
function findBrowser(envVar, playwrightName, systemPaths) {
  const forced = process.env[envVar];
  if (forced) return existsSync(forced) ? { kind: 'system', path: forced } : null;
  try {
    const require = createRequire(import.meta.url);
    const own = require('playwright-core')[playwrightName].executablePath();
    if (own && existsSync(own)) return { kind: 'playwright', path: own };
  } catch {
    // No Playwright browser registry entry: fall through to the system browsers.
  }
  const system = systemPaths.find((p) => existsSync(p));
  return system ? { kind: 'system', path: system } : null;
}

export const findChromium = () => findBrowser('CHROMIUM_PATH', 'chromium', SYSTEM_PATHS);

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

const FIREFOX_PATHS = [
  '/usr/lib/firefox-esr/firefox-esr',
  '/usr/lib/firefox/firefox',
  '/usr/bin/firefox-esr',
  '/usr/bin/firefox',
  '/Applications/Firefox.app/Contents/MacOS/firefox',
];

/**
 * Finds a Firefox: FIREFOX_PATH, else Playwright's own (patched, spoken to over Juggler), else a
 * stock one (spoken to over WebDriver BiDi, Playwright's channel `moz-firefox`).
 */
export const findFirefox = () => findBrowser('FIREFOX_PATH', 'firefox', FIREFOX_PATHS);

/**
 * Launch options for a found Firefox. Remote Settings polls firefox.settings.services.mozilla.com
 * every few seconds: the env var plus the pref point it at a closed local port (the pref alone
 * does not).
 */
export function firefoxLaunchOptions(found) {
  const offline = {
    env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
    firefoxUserPrefs: {
      'services.settings.server': 'http://127.0.0.1:9/v1',
      'network.captive-portal-service.enabled': false,
      'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
    },
  };
  return found.kind === 'system'
    ? { ...offline, channel: 'moz-firefox', executablePath: found.path }
    : offline;
}
