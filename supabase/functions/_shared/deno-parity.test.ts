// The Edge Functions run on Deno: the code they load must use Web APIs and their import maps only
// — no `node:` modules, no Node globals, nothing from server/ (local mode) or test files.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const FUNCTIONS = fileURLToPath(new URL('..', import.meta.url));

/** Every file an Edge Function entry reaches through relative imports. */
function reachable(): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:import|export)[^'"]*from\s+'(\.[^']+)'/g))
      visit(path.resolve(path.dirname(file), match[1] ?? ''));
  };
  for (const fn of readdirSync(FUNCTIONS, { withFileTypes: true }))
    if (fn.isDirectory() && !fn.name.startsWith('_'))
      visit(path.join(FUNCTIONS, fn.name, 'index.ts'));
  return seen;
}

it('loads no Node modules, Node globals, local-mode or test code in the Edge Functions', () => {
  const files = reachable();
  expect([...files].map((f) => path.relative(FUNCTIONS, f))).toEqual(
    expect.arrayContaining(['plan-sections/index.ts', '_shared/etag.ts', '_shared/schema.ts']),
  );
  for (const file of files) {
    const name = path.relative(FUNCTIONS, file);
    const text = readFileSync(file, 'utf8');
    expect(name, 'stays in supabase/functions').not.toMatch(/^\.\./);
    expect(name).not.toMatch(/\.test\.ts$|suite\.ts$|support\.ts$/);
    expect(text, `${name} imports a node: module`).not.toMatch(/from\s+'node:/);
    expect(text, `${name} uses a Node global`).not.toMatch(/\b(Buffer|process|require)\s*[.(]/);
  }
  // Whatever the import maps don't provide can't be loaded either.
  const map = JSON.parse(readFileSync(path.join(FUNCTIONS, 'plan-sections/deno.json'), 'utf8')) as {
    imports: Record<string, string>;
  };
  for (const file of files)
    for (const match of readFileSync(file, 'utf8').matchAll(/from\s+'([^.'][^']*)'/g)) {
      const specifier = match[1] ?? '';
      const known = Object.keys(map.imports).some(
        (key) => specifier === key || (key.endsWith('/') && specifier.startsWith(key)),
      );
      expect(known, `${path.relative(FUNCTIONS, file)} imports ${specifier}`).toBe(true);
    }
});
