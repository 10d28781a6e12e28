// Everything the WebKit suite runs besides the browser: the app server on a free port with a
// throwaway DATA_DIR, Xvfb on a free display, WebKitWebDriver on a free port, and WebDriver
// sessions of MiniBrowser through webdriverio. Each process gets its own process group, so
// stop() ends it and whatever it started (MiniBrowser, its web processes), bounded in time.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { remote } from 'webdriverio';

export type Browser = WebdriverIO.Browser;

export interface WebKitTools {
  driver: string;
  xvfb: string;
  miniBrowser: string;
}

/** A command on PATH, or null. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, name);
    if (dir && existsSync(file)) return file;
  }
  return null;
}

/** MiniBrowser ships inside the WebKitGTK library folder (Debian: webkit2gtk-driver's dependency). */
function findMiniBrowser(): string | null {
  const forced = process.env.MINIBROWSER_PATH;
  if (forced) return existsSync(forced) ? forced : null;
  const roots = ['/usr/lib', '/usr/libexec', '/usr/local/lib'];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const dirs = [root, ...readdirSync(root).map((d) => join(root, d))];
    for (const dir of dirs)
      for (const api of ['webkit2gtk-4.1', 'webkitgtk-6.0', 'webkit2gtk-4.0']) {
        const file = join(dir, api, 'MiniBrowser');
        if (existsSync(file)) return file;
      }
  }
  return null;
}

/** The three programs the suite needs, or the names of the missing ones. */
export function findWebKit(): { ok: true; tools: WebKitTools } | { ok: false; missing: string[] } {
  const forced = process.env.WEBKIT_WEBDRIVER_PATH;
  const driver = forced ? (existsSync(forced) ? forced : null) : onPath('WebKitWebDriver');
  const xvfb = onPath('Xvfb');
  const miniBrowser = findMiniBrowser();
  if (driver && xvfb && miniBrowser) return { ok: true, tools: { driver, xvfb, miniBrowser } };
  const missing = [
    ...(driver ? [] : ['WebKitWebDriver (Debian: webkit2gtk-driver)']),
    ...(xvfb ? [] : ['Xvfb (Debian: xvfb)']),
    ...(miniBrowser ? [] : ['MiniBrowser (Debian: webkit2gtk-driver, or MINIBROWSER_PATH)']),
  ];
  return { ok: false, missing };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A started process in its own group, with the tail of its output for error messages. */
export interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Process groups still running: ended at once if this process exits without stopping them. */
const live = new Set<number>();
process.on('exit', () => {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

function start(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  extraFds = 0,
): Proc {
  const child = spawn(command, args, {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', ...Array<'pipe'>(extraFds).fill('pipe')],
  });
  if (child.pid) live.add(child.pid);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopping = false;
  // A helper that dies mid-suite fails every later test: say which one, and what it said.
  child.once('exit', (code, sig) => {
    if (!stopping) console.error(`${name} exited on its own (${code ?? sig}):\n${tail}`);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      // The group is already gone.
    }
  };
  return {
    name,
    child,
    output: () => tail,
    async stop() {
      stopping = true;
      signal('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
      // Its children (MiniBrowser's web processes) may outlive it: end the whole group.
      signal('SIGKILL');
      if (!done) await Promise.race([exited, sleep(2000)]);
      if (child.pid) live.delete(child.pid);
    },
  };
}

/** Polls `ready` until it holds, the process exits, or `ms` pass. */
async function waitFor(proc: Proc, what: string, ready: () => Promise<boolean>, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null)
      throw new Error(`${proc.name} exited before ${what}:\n${proc.output()}`);
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${proc.name}: no ${what} within ${ms} ms:\n${proc.output()}`);
}

export interface AppServer {
  url: string;
  dataDir: string;
  proc: Proc;
  hooksHeaders(): Record<string, string>;
  stop(): Promise<void>;
}

/** The app server as the Playwright config starts it: the built app, test hooks on. */
export async function startServer(staticDir = 'dist'): Promise<AppServer> {
  if (!existsSync(join(staticDir, 'index.html')))
    throw new Error(`No build in ${staticDir}/: run \`npx vite build\` first.`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'mpfs-webkit-'));
  const url = `http://localhost:${port}`;
  const proc = start('server', process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    STATIC_DIR: staticDir,
    TEST_HOOKS: '1',
    LOG_LEVEL: 'warn',
  });
  const stop = async () => {
    await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(proc, 'answer on /health', async () => (await fetch(`${url}/health`)).ok, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    dataDir,
    proc,
    hooksHeaders: () => ({
      'x-test-hooks-secret': readFileSync(join(dataDir, 'test-hooks-secret'), 'utf8').trim(),
    }),
    stop,
  };
}

/** Xvfb on the first free display (it picks one itself and reports it on fd 3). */
export async function startXvfb(tools: WebKitTools): Promise<{ display: string; proc: Proc }> {
  const proc = start(
    'Xvfb',
    tools.xvfb,
    ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'],
    process.env,
    1,
  );
  const fd3 = proc.child.stdio[3] as NodeJS.ReadableStream | null;
  let number = '';
  fd3?.on('data', (chunk: Buffer) => (number += chunk.toString('utf8')));
  try {
    await waitFor(proc, 'display number', async () => /\d+\n/.test(number), 15_000);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { display: `:${number.trim()}`, proc };
}

export interface Driver {
  port: number;
  proc: Proc;
  /** A new MiniBrowser (its own profile: a device) in a WebDriver session. */
  session(): Promise<Browser>;
}

/** WebKitWebDriver on a free port, drawing on `display`. */
export async function startDriver(tools: WebKitTools, display: string): Promise<Driver> {
  const port = await freePort();
  const proc = start('WebKitWebDriver', tools.driver, [`--port=${port}`, '--host=local'], {
    ...process.env,
    DISPLAY: display,
  });
  try {
    await waitFor(
      proc,
      'answer on /status',
      async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok,
      15_000,
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    port,
    proc,
    session: () =>
      remote({
        // hostname and port given: webdriverio connects to this driver, it never starts or
        // downloads one of its own.
        hostname: '127.0.0.1',
        port,
        path: '/',
        logLevel: 'warn',
        connectionRetryCount: 0,
        waitforTimeout: 15_000,
        capabilities: {
          browserName: 'MiniBrowser',
          // WebKitWebDriver speaks classic WebDriver only (no BiDi).
          'wdio:enforceWebDriverClassic': true,
          'webkitgtk:browserOptions': { binary: tools.miniBrowser, args: ['--automation'] },
        } as WebdriverIO.Capabilities,
      }),
  };
}
