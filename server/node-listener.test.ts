// A refused large body must not break the next request on the same kept-alive connection: Node's
// fetch (undici) reuses connections, as browsers do, and sends the next request at once.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerApp } from './app.ts';
import { nodeListener, type Listener } from './node-listener.ts';
import {
  TEST_SIGNING,
  createPgliteTestDatabase,
  createTestUser,
  silentLog,
  type TestDatabase,
} from './test-support.ts';

let env: TestDatabase;
let server: Server;
let base: string;
let connections = 0;
let headers: Record<string, string>;
let planId: string;
/** The saved section's version, carried across the tests' rounds. */
let version = 0;

/** Serves `listener` on a loopback port (replacing the previous one). */
async function serve(listener: Listener) {
  if (server) await stop();
  connections = 0;
  server = createServer(listener);
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
async function stop() {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

beforeAll(async () => {
  env = await createPgliteTestDatabase();
  const app = createServerApp({ db: env.db, signing: TEST_SIGNING, log: silentLog });
  await serve(nodeListener(app.fetch));
  const user = await createTestUser(env.db);
  headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
  const created = await fetch(`${base}/functions/v1/business-plans`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: 'Keep-alive' }),
  });
  planId = ((await created.json()) as { data: { id: string } }).data.id;
});
afterAll(async () => {
  await stop();
  await env?.close();
});

const settle = async (request: Promise<Response>) => {
  try {
    const res = await request;
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'dropped';
  }
};

/** `rounds` of: an over-limit PUT, then at once a save and a read on the kept-alive connection. */
async function rounds(count: number, body: () => BodyInit) {
  const seen: Record<string, number> = {};
  const note = (what: string, status: number | string) =>
    (seen[`${what} ${status}`] = (seen[`${what} ${status}`] ?? 0) + 1);
  for (let i = 0; i < count; i++) {
    const big = await settle(
      fetch(`${base}/functions/v1/plan-sections/section-one`, {
        method: 'PUT',
        headers,
        body: body(),
        duplex: 'half',
      } as RequestInit),
    );
    note('big', big);
    const [put, get] = await Promise.all([
      settle(
        fetch(`${base}/functions/v1/plan-sections/section-one`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ planId, data: { i }, version }),
        }),
      ),
      settle(fetch(`${base}/functions/v1/plan-sections?planId=${planId}`, { headers })),
    ]);
    if (put === 200) version += 1;
    note('put', put);
    note('get', get);
  }
  return seen;
}

const MIB = 1024 * 1024;

describe('a 413 on a kept-alive connection', () => {
  it('answers the save and the read sent right after it, a hundred times (declared length)', async () => {
    const seen = await rounds(100, () => 'x'.repeat(1.5 * MIB));
    expect(seen).toEqual({ 'big 413': 100, 'put 200': 100, 'get 200': 100 });
    // The connections were kept, not replaced each time.
    expect(connections).toBeLessThan(20);
  });

  it('does the same for a streamed body with no declared length', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(120);
    const stream = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < 1.5 * MIB; sent += chunk.byteLength) controller.enqueue(chunk);
          controller.close();
        },
      });
    const seen = await rounds(30, stream);
    expect(seen).toEqual({ 'big 413': 30, 'put 200': 30, 'get 200': 30 });
  });

  it('past the drain bounds, answers 413 with Connection: close and the next requests still work', async () => {
    const res = await fetch(`${base}/functions/v1/plan-sections/section-one`, {
      method: 'PUT',
      headers,
      body: 'x'.repeat(20 * MIB),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    await res.arrayBuffer();
    const seen = await rounds(5, () => 'x'.repeat(20 * MIB));
    expect(seen).toEqual({ 'big 413': 5, 'put 200': 5, 'get 200': 5 });
  });
});
