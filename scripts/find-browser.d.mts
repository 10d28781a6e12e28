export function findChromium(): { kind: 'playwright' | 'system'; path: string } | null;
export function systemChromiumArgs(): string[];
