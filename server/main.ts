// `npm start`: the app and its API on one origin, on an embedded Postgres (PGlite).
//   PORT       (default 54321)
//   HOST       (default localhost: http://localhost:PORT works over IPv4 and IPv6)
//   DATA_DIR   (default .data/)  the database and the JWT secret, kept across restarts
//   STATIC_DIR (default dist/)   the Vite build
//   TEST_HOOKS=1                 mounts /__test/* (counts of saves, faults, for test suites)
//   LOG_LEVEL  (default info)    debug | info | warn | error (warn: only failing requests)
//   ACCESS_TOKEN_TTL_SECONDS     (default 600) lifetime of the access tokens local auth issues
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { StartupError, openLocalServer, type LocalServer } from './local.ts';
import { isLogLevel } from './log.ts';
import { nodeListener, type Listener } from './node-listener.ts';
import { firstLine } from './pgdata.ts';
import { TEST_HOOKS_SECRET_FILE } from './test-hooks.ts';

/** How long a stop waits for requests in progress before closing their connections. */
const STOP_GRACE_MS = 5_000;

// Output piped into a program that stopped reading (e.g. `| head`) must not stop the server.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const portText = process.env.PORT ?? '54321';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535)
  fail(`PORT=${portText} is not a port number. Use a number from 1 to 65535, e.g. PORT=54321.`);
const host = process.env.HOST || 'localhost';
const dataDir = path.resolve(process.env.DATA_DIR || '.data');
const staticDir = path.resolve(process.env.STATIC_DIR || 'dist');
const testHooks = process.env.TEST_HOOKS === '1';
const logLevelText = (process.env.LOG_LEVEL || 'info').toLowerCase();
if (!isLogLevel(logLevelText))
  fail(`LOG_LEVEL=${process.env.LOG_LEVEL} is not a log level. Use debug, info, warn or error.`);
const logLevel = logLevelText;
const ttlText = process.env.ACCESS_TOKEN_TTL_SECONDS || '600';
const accessTokenTtl = Number(ttlText);
if (!/^\d+$/.test(ttlText) || accessTokenTtl < 1 || accessTokenTtl > 31_536_000)
  fail(
    `ACCESS_TOKEN_TTL_SECONDS=${ttlText} is not a lifetime. Use whole seconds from 1 to 31536000, e.g. 600.`,
  );

/** Listens on one address; resolves with the server, rejects with the listen error. */
function listen(listener: Listener, address: string, portNumber: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(listener);
    server.once('error', reject);
    server.listen({ port: portNumber, host: address, ipv6Only: address === '::1' }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** `localhost` → both loopback addresses, so whichever the browser picks answers. */
async function listenAll(listener: Listener): Promise<{ servers: Server[]; port: number }> {
  if (host !== 'localhost') {
    const server = await listen(listener, host, port);
    return { servers: [server], port: (server.address() as { port: number }).port };
  }
  const first = await listen(listener, '127.0.0.1', port);
  const actual = (first.address() as { port: number }).port;
  try {
    return { servers: [first, await listen(listener, '::1', actual)], port: actual };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')
      return { servers: [first], port: actual };
    first.close();
    throw error;
  }
}

async function main() {
  // Bind first, so a taken port is reported at once; requests wait until the database is ready.
  let resolveReady!: (listener: Listener) => void;
  const ready = new Promise<Listener>((resolve) => (resolveReady = resolve));
  let bound: { servers: Server[]; port: number };
  try {
    bound = await listenAll((req, res) => void ready.then((listener) => listener(req, res)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      fail(
        `Port ${port} is already in use (is myplanforsuccess already running?). Stop that program, or start on another port: PORT=${port + 1} npm start`,
      );
    if (code === 'EACCES')
      fail(
        `Port ${port} needs more privileges than this user has. Start on a port above 1023: PORT=54321 npm start`,
      );
    if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL')
      fail(`HOST=${host} is not an address of this machine. Unset HOST, or use HOST=localhost.`);
    fail(
      `Could not listen on ${host}:${port} (${firstLine(error)}). Try another port (PORT=…) or HOST=localhost.`,
    );
  }

  let local: LocalServer;
  try {
    local = await openLocalServer({ dataDir, staticDir, testHooks, logLevel, accessTokenTtl });
  } catch (error) {
    for (const server of bound.servers) server.close();
    if (error instanceof StartupError) fail(error.message);
    fail(
      `myplanforsuccess could not open its data in ${dataDir} (${firstLine(error)}). It was left as it is: check the folder, or set DATA_DIR to another one.`,
    );
  }
  resolveReady(nodeListener(local.app.fetch));

  // Before the ready line: a stop signalled as soon as it is printed must still close the
  // database cleanly (an unhandled SIGTERM would end the process with PGlite open).
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting.`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: stopping…`);
    // Take no new requests, let the ones in progress answer (up to 5 s), then close the database.
    await Promise.all(
      bound.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
            server.close(() => {
              clearTimeout(force);
              resolve();
            });
            server.closeIdleConnections();
          }),
      ),
    );
    await local.close();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const shownHost =
    host === 'localhost' || host === '127.0.0.1' || host === '::1' ? 'localhost' : host;
  // One write, so whoever watches for the URL also has the data folder line (tests read both).
  console.log(
    `myplanforsuccess is running at http://${shownHost}:${bound.port}\n` +
      `Data is kept in ${local.dataDir} (delete that folder to start over).`,
  );
  if (!existsSync(path.join(staticDir, 'index.html')))
    console.log(
      `The app is not built yet (no ${path.join(staticDir, 'index.html')}): run npm run build. The API works meanwhile.`,
    );
  if (testHooks)
    console.log(
      `Test hooks are on (TEST_HOOKS=1): /__test/*, with the header X-Test-Hooks-Secret set to the contents of ${path.join(local.dataDir, TEST_HOOKS_SECRET_FILE)}.`,
    );
}

main().catch((error: unknown) => {
  // One line, never a stack trace: what failed and what to do.
  fail(
    `myplanforsuccess could not start (${firstLine(error)}). Run it again; if it keeps failing, start with another DATA_DIR and report this line.`,
  );
});
