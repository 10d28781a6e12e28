// docs/testing.md must carry the shared test contract word for word (outside suites rely on it).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
const shared = new URL('../shared/test-contract.md', root);

describe('docs/testing.md', () => {
  it.runIf(existsSync(shared))('starts with ../shared/test-contract.md unchanged', () => {
    const contract = readFileSync(shared, 'utf8');
    const ours = readFileSync(new URL('docs/testing.md', root), 'utf8');
    expect(ours.startsWith(contract)).toBe(true);
  });
});
