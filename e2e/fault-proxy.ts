// One device's own door to the server that can fail on demand, without touching anyone else:
// the server's fault switch is server-wide, this one serves only the context that opens the app
// at its `url`. It cuts the network, answers the next saves with a status of our choosing, and
// logs when each save attempt arrived (to check the backoff schedule).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize } from 'node:path';

export interface Fault {
  status: number;
  /** How many matching requests get it (then requests pass again). */
  count: number;
  /** Only requests with this method (default PUT: saves). */
  method?: string;
  /** Sent as `Retry-After` (seconds). */
  retryAfter?: number;
  /** The JSON error message. */
  message?: string;
}

export interface Attempt {
  method: string;
  path: string;
  at: number;
  /** The status answered (0: network cut). */
  status: number;
  /** A save's mutation id (its prefix is the id of the worker that sent it). */
  mutationId?: string;
  /** A digest of the bearer token it carried (tokenDigest), to tell sessions apart. */
  token?: string;
}

/** A call to the auth token endpoint (sign-in or refresh), as it passed the proxy. */
export interface AuthAttempt {
  at: number;
  grantType: string;
  status: number;
  /** tokenDigest of the access token it answered, if any. */
  issued?: string;
}

/** A short, stable stand-in for a token in the logs (never the token itself). */
export const tokenDigest = (token: string) =>
  createHash('sha256').update(token).digest('hex').slice(0, 16);

export interface FaultProxy {
  url: string;
  setOffline(offline: boolean): void;
  fail(fault: Fault): void;
  /** Serve the app's files from this build folder instead of the server's (null: the server's). */
  serveStatic(dir: string | null): void;
  /** Requests to /functions/v1/plan-sections, in arrival order. */
  attempts: Attempt[];
  /** Requests to /auth/v1/token (sign-in, refresh), in arrival order. */
  auth: AuthAttempt[];
  saves(): Attempt[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let offline = false;
  let fault: (Fault & { left: number }) | null = null;
  let staticDir: string | null = null;
  const sockets = new Set<Socket>();
  const attempts: Attempt[] = [];
  const auth: AuthAttempt[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url?.split('?')[0] ?? '';
    if (staticDir && req.method === 'GET' && !API.some((p) => path.startsWith(p)))
      return serveFile(staticDir, path, res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, path, Buffer.concat(chunks)));
  });
  const handle = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    body: Buffer,
  ) => {
    const counted = path.startsWith('/functions/v1/plan-sections');
    const arrived = Date.now();
    const mutationId = req.method === 'PUT' ? mutationOf(body) : undefined;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer === undefined ? undefined : tokenDigest(bearer);
    const log = (status: number) => {
      if (counted)
        attempts.push({ method: req.method ?? '', path, at: arrived, status, mutationId, token });
    };
    const authCall = path === '/auth/v1/token' && req.method === 'POST';
    const grantType = new URL(req.url ?? '', 'http://x').searchParams.get('grant_type') ?? '';
    if (offline) {
      log(0);
      return void req.socket.destroy();
    }
    const f = fault;
    if (counted && f && f.left > 0 && req.method === (f.method ?? 'PUT')) {
      f.left -= 1;
      log(f.status);
      res.writeHead(f.status, {
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': '*',
        ...(f.retryAfter === undefined ? {} : { 'Retry-After': String(f.retryAfter) }),
      });
      return void res.end(
        JSON.stringify({ success: false, error: 'FAULT', message: f.message ?? 'Injected fault.' }),
      );
    }
    const forward = http.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        log(answer.statusCode ?? 0);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (authCall) {
          // Read the session it hands out (to log which token it issued), then pass it on.
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            auth.push({
              at: arrived,
              grantType,
              status: answer.statusCode ?? 0,
              issued: issuedOf(text),
            });
            res.end(text);
          });
        } else answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    forward.end(body);
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    attempts,
    auth,
    saves: () => attempts.filter((a) => a.method === 'PUT'),
    setOffline(next) {
      offline = next;
      if (next) for (const socket of sockets) socket.destroy();
    },
    fail(next) {
      fault = { ...next, left: next.count };
    },
    serveStatic(dir) {
      staticDir = dir;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const API = ['/auth/', '/functions/', '/rest/', '/__test', '/health'];
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** A build folder as the server serves it: files, and index.html for every app route. */
function serveFile(dir: string, path: string, res: http.ServerResponse) {
  const file = join(dir, normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, ''));
  const found = existsSync(file) && statSync(file).isFile() ? file : join(dir, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(found)] ?? 'application/octet-stream' });
  res.end(readFileSync(found));
}

function issuedOf(body: Buffer): string | undefined {
  try {
    const token = (JSON.parse(body.toString('utf8')) as { access_token?: unknown }).access_token;
    return typeof token === 'string' ? tokenDigest(token) : undefined;
  } catch {
    return undefined;
  }
}

function mutationOf(body: Buffer): string | undefined {
  try {
    const id = (JSON.parse(body.toString('utf8')) as { mutationId?: unknown }).mutationId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
