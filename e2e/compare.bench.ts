// `npm run bench:compare`: ours against the seed's design and the floor (bench/pages), in one run
// on one server, interleaved in short rounds so a burst of other load hits all three alike.
// Prints tables and writes bench/results/compare.json; asserts nothing about time.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import { installProbe, type Probe, type Seen } from './bench-probe.ts';
import { percentile } from './durability-fixtures.ts';
import { createPlan, createUser, expect, openDevice, openSection, test } from './fixtures.ts';

const QUICK = process.env.MPFS_BENCH_QUICK === '1';
const SYSTEMS = ['ours', 'seed', 'floor'] as const;
type System = (typeof SYSTEMS)[number];
const SELECTOR = '#field-motivation';
const TAB_COUNTS = [2, 10, 20];
/** Keystrokes per system and tab count, in rounds of ROUND per system. */
const KEYS = QUICK ? 20 : 200;
const ROUND = 10;
const WARMUP = 5;
/** A receiver that hasn't shown a value by then counts as missed (the seed can lose one). */
const MISS_MS = 5_000;

interface Sample {
  total: number;
  send: number;
  relay: number;
  render: number;
  polled: number | null;
}

type Probed = { __benchProbe: Probe };

async function sample(tabs: Page[], value: string, poll: boolean): Promise<Sample | null> {
  const [from, ...others] = tabs;
  await Promise.all(
    others.map((tab) =>
      tab.evaluate(([v, p]) => (window as unknown as Probed).__benchProbe.expect(v, p), [
        value,
        poll,
      ] as const),
    ),
  );
  const t0 = await from!.evaluate(
    ([s, v]) => (window as unknown as Probed).__benchProbe.fire(s, v),
    [SELECTOR, value] as const,
  );
  const seen = await Promise.all(
    others.map((tab) =>
      tab.evaluate((ms) => (window as unknown as Probed).__benchProbe.result(ms), MISS_MS),
    ),
  );
  const posted = await from!.evaluate(
    (t) => (window as unknown as Probed).__benchProbe.firstPostAfter(t),
    t0,
  );
  if (seen.some((s) => s === null)) return null;
  const all = seen as Seen[];
  const last = all.reduce((a, b) => (b.set > a.set ? b : a));
  const out = posted ?? t0;
  const polled = poll ? Math.max(...all.map((s) => s.polled ?? Infinity)) - t0 : null;
  return {
    total: last.set - t0,
    send: out - t0,
    relay: last.arrival - out,
    render: last.set - last.arrival,
    polled,
  };
}

interface Systems {
  open(system: System): Promise<Page>;
}

async function openSystems(
  contexts: Record<System, BrowserContext>,
  plans: Record<'ours' | 'seed', string>,
): Promise<Systems> {
  return {
    async open(system) {
      if (system === 'ours') return openSection(contexts.ours, plans.ours);
      const page = await contexts[system].newPage();
      await page.goto(
        system === 'seed'
          ? `/bench/pages/seed.html?planId=${plans.seed}&key=section-one`
          : '/bench/pages/floor.html',
      );
      await expect(page.locator('body[data-ready="1"]')).toBeAttached();
      return page;
    },
  };
}

const stat = (xs: number[]) => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p95: percentile(xs, 95),
  p99: percentile(xs, 99),
  max: xs.length ? Math.max(...xs) : NaN,
});
type Stat = ReturnType<typeof stat>;

function table(title: string, head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    '',
    title,
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '-');

test('ours vs the seed design vs the floor', async ({ browser }) => {
  test.setTimeout(20 * 60_000);
  const user = await createUser();
  const plans = { ours: await createPlan(user, 'bench: ours'), seed: await createPlan(user) };
  const contexts: Record<System, BrowserContext> = {
    ours: await openDevice(browser, user),
    seed: await browser.newContext(),
    floor: await browser.newContext(),
  };
  await contexts.seed.addInitScript((token) => {
    (window as unknown as { __benchSeed: { token: string } }).__benchSeed = { token };
  }, user.accessToken);
  for (const context of Object.values(contexts)) await context.addInitScript(installProbe);
  const systems = await openSystems(contexts, plans);
  const tabs: Record<System, Page[]> = { ours: [], seed: [], floor: [] };
  const results: Record<string, Record<System, Sample[]> & { missed: Record<System, number> }> = {};
  let counter = 0;

  /** Interleaved rounds: ROUND keystrokes per system, the order rotating every round. */
  async function measure(label: string, count: number, keys: number, poll: boolean) {
    const got = {
      ours: [] as Sample[],
      seed: [] as Sample[],
      floor: [] as Sample[],
      missed: { ours: 0, seed: 0, floor: 0 },
    };
    const text = { ours: '', seed: '', floor: '' };
    for (let round = 0; round * ROUND < keys + WARMUP; round++) {
      for (let i = 0; i < SYSTEMS.length; i++) {
        const system = SYSTEMS[(round + i) % SYSTEMS.length]!;
        for (let k = 0; k < ROUND; k++) {
          text[system] += String.fromCharCode(97 + (counter++ % 26));
          const s = await sample(tabs[system].slice(0, count), `${label}:${text[system]}`, poll);
          if (round * ROUND + k < WARMUP) continue;
          if (s) got[system].push(s);
          else got.missed[system] += 1;
        }
      }
    }
    results[label] = got;
    return got;
  }

  const rows: string[][] = [];
  const breakdown: string[][] = [];
  const summarize = (label: string, count: number, got: Awaited<ReturnType<typeof measure>>) => {
    const totals = Object.fromEntries(
      SYSTEMS.map((s) => [s, stat(got[s].map((x) => x.total))]),
    ) as Record<System, Stat>;
    for (const system of SYSTEMS) {
      const t = totals[system];
      rows.push([
        label,
        String(count),
        system,
        String(t.n),
        String(got.missed[system]),
        f1(t.p50),
        f1(t.p95),
        f1(t.p99),
        f1(t.max),
        ratio(t.p50, totals.floor.p50),
        ratio(t.p95, totals.floor.p95),
        ratio(t.p50, totals.seed.p50),
        ratio(t.p95, totals.seed.p95),
      ]);
      const part = (pick: (x: Sample) => number) => {
        const xs = got[system].map(pick);
        return `${f1(percentile(xs, 50))} / ${f1(percentile(xs, 95))}`;
      };
      breakdown.push([
        label,
        String(count),
        system,
        part((x) => x.send),
        part((x) => x.relay),
        part((x) => x.render),
        part((x) => x.total),
        ...(got[system][0]?.polled != null ? [part((x) => x.polled ?? NaN)] : ['-']),
      ]);
    }
  };

  for (const count of TAB_COUNTS) {
    for (const system of SYSTEMS)
      while (tabs[system].length < count) tabs[system].push(await systems.open(system));
    summarize('propagation', count, await measure(`p${count}`, count, KEYS, false));
    // As a new user would measure it: a 2 ms poll of the field in every other tab.
    if (count === 10)
      summarize('  seen by 2 ms poll', count, await measure(`w${count}`, count, KEYS / 2, true));
  }

  const out = [
    table(
      'Cross-tab propagation: keystroke in one tab → every other tab shows it (ms, one clock; goal: ours ≤ 1.3× floor at p50 and p95, 10 and 20 tabs)',
      [
        'row',
        'tabs',
        'system',
        'n',
        'missed',
        'p50',
        'p95',
        'p99',
        'max',
        'p50/floor',
        'p95/floor',
        'p50/seed',
        'p95/seed',
      ],
      rows,
    ),
    table(
      'Where the time goes (ms, p50 / p95 of each part; the slowest tab of each keystroke)',
      [
        'row',
        'tabs',
        'system',
        'send: key → message out',
        'relay: → last tab has message',
        'render: → field set',
        'total',
        'poll sees it',
      ],
      breakdown,
    ),
  ].join('\n');
  console.log(out);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/compare.json',
    `${JSON.stringify({ at: new Date().toISOString(), quick: QUICK, results }, null, 2)}\n`,
  );
  for (const context of Object.values(contexts)) await context.close();
});
