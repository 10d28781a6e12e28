// `npm run bench:size`: first-load bytes (JS + CSS a page needs before it renders), raw and gzip,
// for the split build against the same code built as one chunk (dynamic imports inlined), in one
// run. Prints a table and writes bench/results/size.json; asserts nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

interface Chunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
type Manifest = Record<string, Chunk>;

/** What a page fetches before its first render: the entry, and its route module when it has one. */
const PAGES = [
  { page: '/login', modules: ['src/routes/LoginPage.tsx'] },
  { page: '/plans', modules: ['src/routes/PlansPage.tsx'] },
  { page: '/plans/:planId/:sectionKey', modules: ['src/routes/SectionPage.tsx'] },
  // Fetched after the first render (idle preload), so a later page or conflict opens offline.
  { page: 'everything (after idle preload)', modules: ['*'] },
];

async function buildInto(outDir: string, oneChunk: boolean): Promise<Manifest> {
  await build({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      manifest: true,
      sourcemap: false,
      // The one-chunk build is the baseline: its size warning is the point, not news.
      chunkSizeWarningLimit: oneChunk ? 10_000 : 500,
      rolldownOptions: oneChunk ? { output: { codeSplitting: false } } : {},
    },
  });
  return JSON.parse(readFileSync(join(outDir, '.vite/manifest.json'), 'utf8')) as Manifest;
}

/** The files `keys` need: each chunk, its static imports (transitively) and their CSS. */
function filesOf(manifest: Manifest, keys: string[]): Set<string> {
  const files = new Set<string>();
  const seen = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || seen.has(key)) return;
    seen.add(key);
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const dep of chunk.imports ?? []) visit(dep);
  };
  for (const key of keys) visit(key);
  return files;
}

function measure(outDir: string, manifest: Manifest, modules: string[]) {
  const entries = Object.keys(manifest).filter((k) => manifest[k]!.isEntry);
  const keys = modules[0] === '*' ? Object.keys(manifest) : [...entries, ...modules];
  const files = [...filesOf(manifest, keys)].filter((f) => /\.(js|css)$/.test(f));
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(join(outDir, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: files.length, raw, gzip };
}

const kB = (n: number) => (n / 1000).toFixed(1);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

const builds = {
  'one chunk': await buildInto('.tmp/size-one-chunk', true),
  split: await buildInto('.tmp/size-split', false),
};
const dirs = { 'one chunk': '.tmp/size-one-chunk', split: '.tmp/size-split' } as const;
const results: Record<string, Record<string, ReturnType<typeof measure>>> = {};
const rows: string[][] = [];
for (const { page, modules } of PAGES) {
  const one = measure(dirs['one chunk'], builds['one chunk'], modules);
  const split = measure(dirs.split, builds.split, modules);
  results[page] = { 'one chunk': one, split };
  rows.push([
    page,
    `${one.files} / ${split.files}`,
    `${kB(one.raw)} / ${kB(split.raw)}`,
    ratio(one.raw, split.raw),
    `${kB(one.gzip)} / ${kB(split.gzip)}`,
    ratio(one.gzip, split.gzip),
  ]);
}
const head = ['page', 'files', 'raw kB', 'raw before/after', 'gzip kB', 'gzip before/after'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(
  [
    '',
    'First-load JS + CSS (before = one chunk, after = split; the workers are separate files, unchanged)',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n'),
);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/size.json',
  `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`,
);
