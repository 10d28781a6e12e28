// The Node side of the local server: each request reaches the app with its body already read (up
// to the API's limit), so an answer given before the body ends never cuts a kept-alive connection.
// An over-limit body is read to its end and thrown away (bounded in bytes and time) before the
// answer goes out; past those bounds the answer says `Connection: close`, so no client reuses it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { LIMITS } from '../supabase/functions/_shared/schema.ts';

export type Listener = (req: IncomingMessage, res: ServerResponse) => void;
type FetchHandler = Parameters<typeof getRequestListener>[0];

export interface BodyBounds {
  /** Bytes of the body the app gets; one more than this tells it the body is over the limit. */
  keepBytes: number;
  /** Most bytes of an over-limit body read and thrown away to keep the connection usable. */
  drainBytes: number;
  /** Longest wait for the rest of an over-limit body. */
  drainMs: number;
}

export const DEFAULT_BOUNDS: BodyBounds = {
  keepBytes: LIMITS.maxBodyBytes,
  drainBytes: 16 * LIMITS.maxBodyBytes,
  drainMs: 5_000,
};

/** What became of a request body: what the app gets, and whether the connection stays usable. */
export interface ReadBody {
  body: Buffer;
  /** The whole body was read, so the next request on the connection starts cleanly. */
  complete: boolean;
}

/** Whether a declared length is past what is worth draining: then don't wait for it at all. */
export const tooLargeToDrain = (declared: string | undefined, bounds: BodyBounds): boolean =>
  declared !== undefined && Number(declared) > bounds.keepBytes + bounds.drainBytes;

/** Reads `req`'s body: keeps up to keepBytes + 1 bytes, discards the rest within the bounds. */
export function readBody(req: IncomingMessage, bounds: BodyBounds): Promise<ReadBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    let settled = false;
    const finish = (complete: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (!complete) req.pause();
      resolve({ body: Buffer.concat(chunks), complete });
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      const room = bounds.keepBytes + 1 - kept;
      if (room > 0) {
        const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
        chunks.push(part);
        kept += part.byteLength;
      }
      if (total > bounds.keepBytes + bounds.drainBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), bounds.drainMs);
    timer.unref();
    if (tooLargeToDrain(req.headers['content-length'], bounds)) return finish(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** A Node request listener for `fetch` (the Hono app) that reads bodies as above first. */
export function nodeListener(fetch: FetchHandler, bounds: BodyBounds = DEFAULT_BOUNDS): Listener {
  // Bodies are read here, so the adapter's own clean-up (which cuts the socket after 500 ms) is off.
  const listener = getRequestListener(fetch, { autoCleanupIncoming: false });
  return (req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD') return void listener(req, res);
    void readBody(req, bounds).then(({ body, complete }) => {
      // The adapter builds the app's Request body from `rawBody` when it is set.
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      if (!complete) {
        res.setHeader('connection', 'close');
        res.once('finish', () => req.socket.destroySoon());
      }
      void listener(req, res);
    });
  };
}
