export function findChromium(): { kind: 'playwright' | 'system'; path: string } | null;
export function systemChromiumArgs(): string[];
export function findFirefox(): { kind: 'playwright' | 'system'; path: string } | null;
export function firefoxLaunchOptions(found: { kind: 'playwright' | 'system'; path: string }): {
  env: Record<string, string | undefined>;
  firefoxUserPrefs: Record<string, string | boolean>;
  channel?: string;
  executablePath?: string;
};
