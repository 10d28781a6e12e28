// One device's own door to the server that can fail on demand, without touching anyone else:
// the server's fault switch is server-wide, this one serves only the context that opens the app
// at its `url`. It cuts the network, answers the next saves with a status of our choosing, and
// logs when each save attempt arrived (to check the backoff schedule).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
}

export interface FaultProxy {
  url: string;
  setOffline(offline: boolean): void;
  fail(fault: Fault): void;
  /** Requests to /functions/v1/plan-sections, in arrival order. */
  attempts: Attempt[];
  saves(): Attempt[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let offline = false;
  let fault: (Fault & { left: number }) | null = null;
  const sockets = new Set<Socket>();
  const attempts: Attempt[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url?.split('?')[0] ?? '';
    const counted = path.startsWith('/functions/v1/plan-sections');
    const log = (status: number) => {
      if (counted) attempts.push({ method: req.method ?? '', path, at: Date.now(), status });
    };
    if (offline) {
      log(0);
      return void req.socket.destroy();
    }
    const f = fault;
    if (counted && f && f.left > 0 && req.method === (f.method ?? 'PUT')) {
      f.left -= 1;
      log(f.status);
      req.resume();
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
        answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    attempts,
    saves: () => attempts.filter((a) => a.method === 'PUT'),
    setOffline(next) {
      offline = next;
      if (next) for (const socket of sockets) socket.destroy();
    },
    fail(next) {
      fault = { ...next, left: next.count };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
