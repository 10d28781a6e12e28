// `npm run bench:engines`, WebKitGTK's rows: the same two figures as e2e/engines.bench.ts (a tab's
// SharedWorker killed → the tab's connection answers with a new worker; an edit in one window
// until every other window's field shows it, 2 and 10 windows), over WebDriver. WebDriver talks
// to one window at a time, so each other window gets its watcher first (it timestamps, on the
// page's own clock, when its field shows the value), then the first window sets the value, then
// each watcher is read.
import { FIELD, createPlan, createUser, openDevice, openSection, openWindow } from './app.ts';
import {
  findWebKit,
  startDriver,
  startServer,
  startXvfb,
  type Browser,
  type Proc,
} from './harness.ts';
import { restartInPage } from '../e2e/restart-probe.ts';

const RESTARTS = 5;
const EDITS = 40;

/** terminate → this window's connection answers with a new worker id, in ms. */
async function restartMs(browser: Browser): Promise<number> {
  // WebDriver's Execute Script awaits the promise the script returns.
  return (await browser.execute(restartInPage)) as number;
}

const watch = (browser: Browser, want: string) =>
  browser.execute(
    (label: string, value: string) => {
      const field = [...document.querySelectorAll('textarea')].find((t) =>
        t.labels?.[0]?.textContent?.includes(label),
      )!;
      const w = window as unknown as { __seenAt: number | null };
      w.__seenAt = null;
      const tick = () => {
        if (field.value === value) w.__seenAt = performance.timeOrigin + performance.now();
        else setTimeout(tick, 1);
      };
      tick();
    },
    FIELD,
    want,
  );

const send = (browser: Browser, want: string) =>
  browser.execute(
    (label: string, value: string) => {
      const field = [...document.querySelectorAll('textarea')].find((t) =>
        t.labels?.[0]?.textContent?.includes(label),
      )!;
      const setValue = Object.getOwnPropertyDescriptor(
        HTMLTextAreaElement.prototype,
        'value',
      )!.set!;
      const at = performance.timeOrigin + performance.now();
      setValue.call(field, value);
      field.dispatchEvent(new InputEvent('input', { bubbles: true, data: value.slice(-1) }));
      return at;
    },
    FIELD,
    want,
  );

async function seenAt(browser: Browser): Promise<number> {
  let at: number | null = null;
  await browser.waitUntil(
    async () =>
      (at = await browser.execute(
        () => (window as unknown as { __seenAt: number | null }).__seenAt,
      )) !== null,
    { timeout: 5_000, interval: 20, timeoutMsg: 'a window never showed the edit' },
  );
  return at!;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const stats = (samples: number[]) =>
  [percentile(samples, 50), percentile(samples, 95), Math.max(...samples)].map((n) => n.toFixed(1));

async function main() {
  const found = findWebKit();
  if (!found.ok) {
    console.log(`\nEngine: webkit — not measured: missing ${found.missing.join(', ')}`);
    return;
  }
  const procs: Proc[] = [];
  const server = await startServer();
  let close = async () => {};
  try {
    const xvfb = await startXvfb(found.tools);
    procs.push(xvfb.proc);
    const driver = await startDriver(found.tools, xvfb.display);
    procs.push(driver.proc);
    const user = await createUser(server.url);
    const planId = await createPlan(server.url, user);
    const device = await openDevice(driver, server.url, user);
    close = device.close;
    const { browser } = device;
    await openSection(device, planId);
    const windows = [await browser.getWindowHandle()];
    const rows: string[][] = [];
    const restarts: number[] = [];
    for (let i = 0; i < RESTARTS; i++) restarts.push(await restartMs(browser));
    rows.push(['worker restart → reconnected', String(RESTARTS), ...stats(restarts)]);
    for (const count of [2, 10]) {
      while (windows.length < count) windows.push(await openWindow(device, planId));
      const samples: number[] = [];
      let text = '';
      for (let i = 0; i < EDITS; i++) {
        text += String.fromCharCode(97 + (i % 26));
        const want = `${count}:${text}`;
        for (const handle of windows.slice(1)) {
          await browser.switchToWindow(handle);
          await watch(browser, want);
        }
        await browser.switchToWindow(windows[0]!);
        const sent = await send(browser, want);
        const seen: number[] = [];
        for (const handle of windows.slice(1)) {
          await browser.switchToWindow(handle);
          seen.push(await seenAt(browser));
        }
        samples.push(Math.max(...seen) - sent);
      }
      rows.push([`edit → every other window, ${count} windows`, String(EDITS), ...stats(samples)]);
    }
    const head = ['case', 'n', 'p50 ms', 'p95 ms', 'max ms'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    const version = (browser.capabilities as { browserVersion?: string }).browserVersion ?? '?';
    console.log(
      [
        '',
        `Engine: webkit (WebKitGTK ${version}, MiniBrowser over WebKitWebDriver, Xvfb)`,
        line(head),
        `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
        ...rows.map(line),
      ].join('\n'),
    );
  } finally {
    await close();
    for (const proc of procs.reverse()) await proc.stop();
    await server.stop();
  }
}

await main();
