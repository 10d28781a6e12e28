// `npm run bench:engine`: what one keystroke costs the worker's pure engine, by tab count and
// section size, against a baseline measured in the same run (copying the section's data once,
// the least any immutable edit must do). Bounded: a fixed number of edits per row.
import { initialState, sectionId, step, type EngineState } from '../worker/engine/index.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;
/** MPFS_BENCH_QUICK=1 (`npm run bench -- --quick`): a short run, so the bench can't rot. */
const EDITS = process.env.MPFS_BENCH_QUICK === '1' ? 2_000 : 20_000;

function openSection(tabs: number, fields: number): EngineState {
  let state = initialState(1);
  for (let t = 0; t < tabs; t++)
    state = step(state, { type: 'open', tab: `tab-${t}`, planId: PLAN, sectionKey: KEY }).state;
  const id = sectionId(PLAN, KEY);
  const loadId = state.sections[id]?.loadId ?? 0;
  const data: Record<string, string> = {};
  for (let f = 0; f < fields; f++) data[`field${f}`] = 'x'.repeat(200);
  return step(state, { type: 'loaded', id, loadId, section: { data, version: 1 } }).state;
}

function timeEdits(tabs: number, fields: number): number {
  let state = openSection(tabs, fields);
  const start = performance.now();
  for (let i = 0; i < EDITS; i++) {
    state = step(state, {
      type: 'edit',
      tab: `tab-${i % tabs}`,
      planId: PLAN,
      sectionKey: KEY,
      fields: { field0: `value ${i}` },
    }).state;
  }
  return ((performance.now() - start) * 1000) / EDITS;
}

function timeBaseline(fields: number): number {
  let data: Record<string, string> = {};
  for (let f = 0; f < fields; f++) data[`field${f}`] = 'x'.repeat(200);
  const start = performance.now();
  for (let i = 0; i < EDITS; i++) data = { ...data, field0: `value ${i}` };
  return ((performance.now() - start) * 1000) / EDITS;
}

timeEdits(2, 5); // warm-up: let the JIT compile step() before anything is measured
const rows: string[][] = [];
for (const fields of [5, 50]) {
  const baseline = timeBaseline(fields);
  for (const tabs of [1, 10, 20]) {
    const us = timeEdits(tabs, fields);
    rows.push([
      String(fields),
      String(tabs),
      us.toFixed(2),
      baseline.toFixed(2),
      (us / baseline).toFixed(1),
    ]);
  }
}
const head = ['fields', 'tabs', 'µs/edit (engine)', 'µs/edit (baseline: copy data)', 'ratio'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
console.log(`Engine step() per edit, ${EDITS} edits per row (node ${process.version})`);
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
