// patches/playwright-core+<version>.patch (applied by patch-package on install) lets Playwright drive
// a stock Firefox over WebDriver BiDi. An upgrade of Playwright must fail here, loudly, until the
// patch is remade for it or dropped (see README, Browsers).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const installed = (require('playwright-core/package.json') as { version: string }).version;
const bundle = readFileSync(
  join(dirname(require.resolve('playwright-core/package.json')), 'lib/coreBundle.js'),
  'utf8',
);
const patches = readdirSync(new URL('../patches/', import.meta.url)).filter((f) =>
  f.startsWith('playwright-core+'),
);

describe('the Playwright patch for Firefox over BiDi', () => {
  it('is made for the installed playwright-core', () => {
    expect(patches, 'remake the patch: npx patch-package playwright-core').toEqual([
      `playwright-core+${installed}.patch`,
    ]);
  });

  it('is applied: Firefox 153 lacks emulation.setMediaFeaturesOverride, and context setup survives it', () => {
    expect(bundle).toMatch(/setMediaFeaturesOverride[^]{0,200}\.catch\(\(error\) => \{/);
  });

  it('is applied: fill() sets values through the prototype setter, so React sees the input event', () => {
    expect(bundle).toContain(
      'const setValue = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(inputElement), "value").set;',
    );
  });
});
