// A device's own door to the server: Playwright's setOffline doesn't reach a SharedWorker, so a
// suite takes one device offline by cutting the proxy that device talks through.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface DeviceProxy {
  url: string;
  /** Offline: every request (page or worker) fails with a network error, as with no network. */
  setOffline(offline: boolean): void;
  /** Requests forwarded per method and path prefix, e.g. `PUT /functions/v1/plan-sections`. */
  requests: string[];
  /** The same requests with the status they were answered, e.g. `GET /functions/v1/plan-sections 304`. */
  answers: string[];
  close(): Promise<void>;
}

export async function startDeviceProxy(target: string): Promise<DeviceProxy> {
  const upstream = new URL(target);
  let offline = false;
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const answers: string[] = [];
  const server = http.createServer((req, res) => {
    if (offline) return void req.socket.destroy();
    const line = `${req.method} ${req.url?.split('?')[0]}`;
    requests.push(line);
    const forward = http.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        answers.push(`${line} ${answer.statusCode}`);
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
    requests,
    answers,
    setOffline(next) {
      offline = next;
      if (next) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
