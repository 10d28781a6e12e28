// `npm run bench:compare`: ours against the seed's design and the floor (bench/pages), in one run
// on one server, interleaved in short rounds so a burst of other load hits all three alike.
// Prints tables and writes bench/results/compare.json; asserts nothing about time.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import { installProbe, type Probe, type Seen } from './bench-probe.ts';
import { percentile } from './durability-fixtures.ts';
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  putCount,
  serverSection,
  test,
  type User,
} from './fixtures.ts';

const QUICK = process.env.MPFS_BENCH_QUICK === '1';
const SYSTEMS = ['ours', 'seed', 'floor'] as const;
type System = (typeof SYSTEMS)[number];
const SELECTOR = '#field-motivation';
/** MPFS_BENCH_ROWS=propagation,requests runs only those rows (default: all). */
const ROWS = process.env.MPFS_BENCH_ROWS?.split(',') ?? ['propagation', 'requests'];
const TAB_COUNTS = [2, 10, 20];
/** Keystrokes per system and tab count, in rounds of ROUND per system. */
const KEYS = QUICK ? 20 : 100;
const ROUND = 10;
const WARMUP = 5;
/** A receiver that hasn't shown a value by then counts as missed (the seed can lose one). */
const MISS_MS = 5_000;

/** Requests and conflicts: how long the tabs type, and one keystroke per this many ms. */
const TYPING_MS = QUICK ? 2_000 : 10_000;
const KEY_EVERY_MS = 50;
/** Tabs per requests case (quick: 1 and 5, so the row ends in a couple of minutes). */
const REQUEST_TABS = QUICK ? [1, 5] : [1, 5, 10];
const FIELDS = ['motivation', 'vision', 'strengths', 'concerns', 'success'];

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

interface Typed {
  tokens: string[];
  field: string;
  /** What the tab set its field to last. */
  last: string;
}

/** Every tab types in its own field at once, a token per KEY_EVERY_MS, each on what it shows. */
function typeAtOnce(tabs: Page[], ms: number): Promise<Typed[]> {
  return Promise.all(
    tabs.map((tab, i) =>
      tab.evaluate(
        ([field, tag, ms, every]) =>
          new Promise<Typed>((resolve) => {
            const probe = (window as unknown as Probed).__benchProbe;
            const area = document.querySelector<HTMLTextAreaElement>(`#field-${field}`)!;
            const tokens: string[] = [];
            let last = area.value;
            const end = performance.now() + ms;
            const tick = () => {
              if (performance.now() >= end) return resolve({ tokens, field, last });
              const token = `${tag}.${tokens.length} `;
              tokens.push(token);
              last = area.value + token;
              probe.fire(`#field-${field}`, last);
              setTimeout(tick, every);
            };
            tick();
          }),
        [FIELDS[i % FIELDS.length]!, `t${i}`, ms, KEY_EVERY_MS] as const,
      ),
    ),
  );
}

/** The tabs take turns in one field: each waits (up to 1 s) to show the last keystroke first. */
async function typeInTurns(tabs: Page[], ms: number): Promise<Typed[]> {
  const field = FIELDS[0]!;
  const typed = tabs.map(() => ({ tokens: [] as string[], field, last: '' }));
  let value = await tabs[0]!.locator(`#field-${field}`).inputValue();
  const end = Date.now() + ms;
  for (let k = 0; Date.now() < end; k++) {
    const i = k % tabs.length;
    const tab = tabs[i]!;
    const token = `t${i}.${typed[i]!.tokens.length} `;
    value = await tab.evaluate(
      ([selector, want, token, waitMs]) =>
        new Promise<string>((resolve) => {
          const probe = (window as unknown as Probed).__benchProbe;
          const area = document.querySelector<HTMLTextAreaElement>(selector)!;
          const until = performance.now() + waitMs;
          const go = () => {
            if (area.value !== want && performance.now() < until) return void setTimeout(go, 2);
            const next = area.value + token;
            probe.fire(selector, next);
            resolve(next);
          };
          go();
        }),
      [`#field-${field}`, value, token, 1_000] as const,
    );
    typed[i]!.tokens.push(token);
    typed[i]!.last = value;
    // Typing speed: a keystroke per KEY_EVERY_MS across the tabs, whatever their number.
    await new Promise((resolve) => setTimeout(resolve, KEY_EVERY_MS));
  }
  return typed;
}

/** The seed's tabs can keep saving each other's copies: give up waiting after this long. */
const SETTLE_MS = 15_000;

interface Requests {
  settled: boolean;
  puts: number;
  conflicts: number;
  typed: number;
  tokensLost: number;
  fieldsLost: number;
}

/** Resolves to 'timeout' if `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Polls a seed tab until it has no save waiting or under way. */
async function seedIdle(tab: Page): Promise<void> {
  for (;;) {
    const idle = await within(
      tab.evaluate(() => (window as unknown as { __seedIdle(): boolean }).__seedIdle()),
      2_000,
    );
    if (idle === true) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface CaseTabs {
  open(planId: string): Promise<Page>;
  /** Ends the case's tabs, even ones too busy to answer. */
  close(tabs: Page[]): Promise<void>;
}

/** Opens `count` tabs of `system` on a new plan, types, lets it settle and reads the server. */
async function requestsCase(
  user: User,
  { open, close }: CaseTabs,
  system: 'ours' | 'seed',
  count: number,
  mode: 'turns' | 'at-once',
): Promise<Requests> {
  const planId = await createPlan(user, `bench: ${system} ${mode} ${count}`);
  const tabs: Page[] = [];
  for (let i = 0; i < count; i++) tabs.push(await open(planId));
  const before = (await serverSection(user, planId, 'section-one'))?.version ?? 0;
  const putsBefore = await putCount(planId, 'section-one');
  const typed =
    mode === 'turns' ? await typeInTurns(tabs, TYPING_MS) : await typeAtOnce(tabs, TYPING_MS);
  // Settled: ours says saved in every tab; the seed has no save waiting or under way. The seed's
  // tabs can keep answering each other's storage events until a page no longer answers at all,
  // so that wait is bounded here, not in the page (waitForFunction's timeout never fired).
  let settled = true;
  if (system === 'ours') for (const tab of tabs) await expectSaved(tab, 60_000);
  else
    settled =
      (await within(Promise.all(tabs.map((tab) => seedIdle(tab))), SETTLE_MS)) !== 'timeout';
  // Then the tabs go, so the server's copy is final when it is read.
  await close(tabs);
  const final = await serverSection(user, planId, 'section-one');
  const puts = (await putCount(planId, 'section-one')) - putsBefore;
  const saved = (final?.version ?? 0) - before;
  const data = (final?.data ?? {}) as Record<string, unknown>;
  // A field is lost when the server does not end with every token typed into it.
  let tokensLost = 0;
  const lostFields = new Set<string>();
  for (const t of typed) {
    const text = typeof data[t.field] === 'string' ? (data[t.field] as string) : '';
    const missing = t.tokens.filter((token) => !text.includes(token)).length;
    tokensLost += missing;
    if (missing > 0) lostFields.add(t.field);
  }
  const fieldsLost = lostFields.size;
  return {
    settled,
    puts,
    conflicts: puts - saved,
    typed: typed.reduce((n, t) => n + t.tokens.length, 0),
    tokensLost,
    fieldsLost,
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

  for (const count of ROWS.includes('propagation') ? TAB_COUNTS : []) {
    for (const system of SYSTEMS)
      while (tabs[system].length < count) tabs[system].push(await systems.open(system));
    console.log(`propagation: ${count} tabs…`);
    summarize('propagation', count, await measure(`p${count}`, count, KEYS, false));
    // Printed as it goes: a run cut short still shows the tab counts it finished.
    console.log(
      rows
        .slice(-3)
        .map((r) => `| ${r.join(' | ')} |`)
        .join('\n'),
    );
    console.log(
      breakdown
        .slice(-3)
        .map((r) => `| ${r.join(' | ')} |`)
        .join('\n'),
    );
    // As a new user would measure it: a 2 ms poll of the field in every other tab.
    if (count === 10)
      summarize('  seen by 2 ms poll', count, await measure(`w${count}`, count, KEYS / 2, true));
  }

  for (const system of SYSTEMS) for (const tab of tabs[system]) await tab.close();

  // Requests and conflicts: ours vs the seed's design, the cases interleaved system by system.
  // A new user and device: the first user's access token (600 s) may have run out by now.
  const writer = ROWS.includes('requests') ? await createUser() : user;
  const oursDevice = ROWS.includes('requests') ? await openDevice(browser, writer) : contexts.ours;
  await oursDevice.addInitScript(installProbe);
  const oursTabs: CaseTabs = {
    open: (planId) => openSection(oursDevice, planId),
    close: async (pages) => {
      for (const page of pages) await page.close();
    },
  };
  /** The seed gets a new context per case: closing it ends tabs too busy to answer. */
  async function seedTabs(): Promise<CaseTabs> {
    const context = await browser.newContext();
    await context.addInitScript((token) => {
      (window as unknown as { __benchSeed: { token: string } }).__benchSeed = { token };
    }, writer.accessToken);
    await context.addInitScript(installProbe);
    return {
      async open(planId) {
        const page = await context.newPage();
        await page.goto(`/bench/pages/seed.html?planId=${planId}&key=section-one`);
        await expect(page.locator('body[data-ready="1"]')).toBeAttached();
        return page;
      },
      close: async () => void (await within(context.close(), 30_000)),
    };
  }
  const requestRows: string[][] = [];
  const requestResults: Record<string, Requests> = {};
  // One tab typing at once is the one-field case with one tab, so at-once starts at 5.
  const cases = ROWS.includes('requests')
    ? [
        ...REQUEST_TABS.map((n) => ['turns', n] as const),
        ...REQUEST_TABS.filter((n) => n > 1).map((n) => ['at-once', n] as const),
      ]
    : [];
  for (const [mode, count] of cases)
    for (const system of ['ours', 'seed'] as const) {
      console.log(`requests: ${mode} ${count} ${system}…`);
      const caseTabs = system === 'ours' ? oursTabs : await seedTabs();
      const r = await requestsCase(writer, caseTabs, system, count, mode);
      requestResults[`${mode}/${count}/${system}`] = r;
      requestRows.push([
        mode === 'turns'
          ? 'one field, tabs take turns'
          : count > FIELDS.length
            ? // More tabs than fields: two type in one field at the same instant (R1: arrival order).
              'shared fields, all at once'
            : 'own field each, all at once',
        String(count),
        system,
        String(r.typed),
        String(r.puts),
        String(r.conflicts),
        String(r.tokensLost),
        String(r.fieldsLost),
        r.settled ? 'yes' : `no (${SETTLE_MS / 1000} s)`,
      ]);
    }

  const out = [
    rows.length === 0
      ? ''
      : table(
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
    breakdown.length === 0
      ? ''
      : table(
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
    requestRows.length === 0
      ? ''
      : table(
          `Requests and conflicts: ${TYPING_MS / 1000} s of typing in one section (goal: ours the same PUTs whatever the tabs, 0 conflicts, 0 lost)`,
          ['case', 'tabs', 'system', 'keys', 'PUTs', '409s', 'keys lost', 'fields lost', 'settled'],
          requestRows,
        ),
  ].join('\n');
  console.log(out);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/compare.json',
    `${JSON.stringify({ at: new Date().toISOString(), quick: QUICK, results, requests: requestResults }, null, 2)}\n`,
  );
  for (const context of new Set([...Object.values(contexts), oursDevice])) await context.close();
});
