// `npm run bench:engines`: per engine, how fast a tab is back after its SharedWorker dies, and how
// long an edit in one tab takes to show in the others (2 and 10 tabs).
import type { Page } from '@playwright/test';
import { FIELD, onDevice, percentile } from './durability-fixtures.ts';
import { openSection, test } from './fixtures.ts';
import { restartInPage } from './restart-probe.ts';

/** MPFS_BENCH_QUICK=1 (`npm run bench -- --quick`): a short run, so the bench can't rot. */
const QUICK = process.env.MPFS_BENCH_QUICK === '1';
const RESTARTS = QUICK ? 2 : 5;
const EDITS = QUICK ? 8 : 40;

/** terminate → the tab's connection answers with a new worker id, in ms. */
async function restartMs(page: Page): Promise<number> {
  return page.evaluate(restartInPage);
}

/** Types one character in `from`; every other tab reports when its field shows it (epoch ms). */
async function crossTabMs(from: Page, others: Page[], text: string): Promise<number> {
  const seen = others.map((tab) =>
    tab.evaluate(
      ([label, want]) =>
        new Promise<number>((resolve) => {
          const field = [...document.querySelectorAll('textarea')].find((t) =>
            t.labels?.[0]?.textContent?.includes(label),
          )!;
          const tick = () =>
            field.value === want
              ? resolve(performance.timeOrigin + performance.now())
              : setTimeout(tick, 1);
          tick();
        }),
      [FIELD, text] as const,
    ),
  );
  const sent = await from.evaluate(
    ([label, want]) => {
      const field = [...document.querySelectorAll('textarea')].find((t) =>
        t.labels?.[0]?.textContent?.includes(label),
      )!;
      const setValue = Object.getOwnPropertyDescriptor(
        HTMLTextAreaElement.prototype,
        'value',
      )!.set!;
      const at = performance.timeOrigin + performance.now();
      setValue.call(field, want);
      field.dispatchEvent(new InputEvent('input', { bubbles: true, data: want.slice(-1) }));
      return at;
    },
    [FIELD, text] as const,
  );
  return Math.max(...(await Promise.all(seen))) - sent;
}

test(
  'worker restart and cross-tab latency',
  onDevice(async ({ page, context, planId }) => {
    test.setTimeout(240_000);
    const rows: string[][] = [];
    const restarts: number[] = [];
    for (let i = 0; i < RESTARTS; i++) restarts.push(await restartMs(page));
    rows.push(['worker restart → reconnected', String(RESTARTS), ...stats(restarts)]);
    const tabs = [page];
    for (const count of [2, 10]) {
      while (tabs.length < count) tabs.push(await openSection(context, planId));
      const samples: number[] = [];
      let text = '';
      for (let i = 0; i < EDITS; i++) {
        text += String.fromCharCode(97 + (i % 26));
        samples.push(await crossTabMs(tabs[0]!, tabs.slice(1), `${count}:${text}`));
      }
      rows.push([`edit → every other tab, ${count} tabs`, String(EDITS), ...stats(samples)]);
    }
    const head = ['case', 'n', 'p50 ms', 'p95 ms', 'max ms'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(
      [
        '',
        `Engine: ${test.info().project.name}`,
        line(head),
        `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
        ...rows.map(line),
      ].join('\n'),
    );
  }),
);

function stats(samples: number[]): string[] {
  return [percentile(samples, 50), percentile(samples, 95), Math.max(...samples)].map((n) =>
    n.toFixed(1),
  );
}
