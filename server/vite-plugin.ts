// `vite` dev with the same API as `npm start`: this plugin mounts the local server app (without
// static files: Vite serves the app) as middleware for /health, /auth/v1, /functions/v1 and
// /__test. Use it in vite.config.ts: `plugins: [react(), localApi()]`.
import type { Plugin, ViteDevServer } from 'vite';
import { openLocalServer, type LocalServer } from './local.ts';
import { isLogLevel, type LogLevel } from './log.ts';
import { nodeListener } from './node-listener.ts';

export interface LocalApiOptions {
  /** Default: env DATA_DIR, else .data (the same data as `npm start`). */
  dataDir?: string;
  /** Default: env TEST_HOOKS === '1'. */
  testHooks?: boolean;
}

const PREFIXES = ['/health', '/auth/v1', '/functions/v1', '/__test'];
const mounted = new WeakSet<ViteDevServer>();
// Vite restarts the dev server in-process (config edits): the next one waits for this one to close.
let previousClose: Promise<void> = Promise.resolve();

export function localApi(options: LocalApiOptions = {}): Plugin {
  return {
    name: 'myplanforsuccess-local-api',
    apply: 'serve',
    async configureServer(server) {
      if (mounted.has(server)) return; // added twice (e.g. in vite.config.ts and by a test)
      mounted.add(server);
      await previousClose;
      const local: LocalServer = await openLocalServer({
        dataDir: options.dataDir ?? process.env.DATA_DIR ?? '.data',
        testHooks: options.testHooks ?? process.env.TEST_HOOKS === '1',
        log: (line) => server.config.logger.info(line, { timestamp: true }),
        logLevel: isLogLevel(process.env.LOG_LEVEL ?? '')
          ? (process.env.LOG_LEVEL as LogLevel)
          : 'info',
        accessTokenTtl: Number(process.env.ACCESS_TOKEN_TTL_SECONDS) || undefined,
      });
      const listener = nodeListener(local.app.fetch);
      server.middlewares.use((req, res, next) => {
        const pathname = (req.url ?? '/').split('?')[0] ?? '/';
        const ours = PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
        if (ours) void listener(req, res);
        else next();
      });
      const close = () => {
        previousClose = local.close();
        return previousClose;
      };
      server.httpServer?.once('close', () => void close());
      const originalClose = server.close.bind(server);
      server.close = async () => {
        await originalClose();
        await close();
      };
    },
  };
}
