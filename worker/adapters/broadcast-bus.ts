// The no-SharedWorker fallback's wire: tabs that are not the leader reach the leader tab's
// dedicated worker over one BroadcastChannel. Every message is checked with zod on arrival, on
// both sides: any script of the origin can post on the channel.
import { z } from 'zod';
import { SectionDataSchema, SectionKeySchema } from '../../supabase/functions/_shared/schema.ts';
import {
  SectionStatusesEventSchema,
  WORKER_CODES,
  type TabEvent,
  type WorkerResult,
  type WorkerSessionApi,
} from '../protocol.ts';

export const BUS_NAME = 'mpfs-sync-bus';

const METHODS = [
  'hello',
  'setAuth',
  'open',
  'close',
  'edit',
  'resolveConflict',
  'flush',
  'freshen',
  'online',
  'refreshFailed',
  'testHook',
] as const satisfies readonly (keyof WorkerSessionApi)[];

const BusCallSchema = z.object({
  type: z.literal('call'),
  tab: z.string().min(1).max(100),
  id: z.number().int(),
  method: z.enum(METHODS),
  args: z.array(z.unknown()).max(4),
});

const WorkerResultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({
    ok: z.literal(false),
    code: z.enum(Object.values(WORKER_CODES) as [string, ...string[]]),
    message: z.string(),
  }),
]);

/** The tab events as they travel; the view's insides are the worker's own, checked loosely. */
const TabEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('patch'),
    planId: z.string(),
    sectionKey: SectionKeySchema,
    fields: SectionDataSchema,
    origin: z.string(),
    seq: z.number(),
  }),
  z.object({
    type: z.literal('view'),
    view: z.looseObject({
      planId: z.string(),
      sectionKey: SectionKeySchema,
      data: SectionDataSchema,
      serverVersion: z.number(),
      status: z.string(),
    }),
    seq: z.number(),
  }),
  z.object({ type: z.literal('reload'), reason: z.string() }),
  z.object({ type: z.literal('hand-over'), reason: z.string() }),
  z.object({ type: z.literal('refresh-session') }),
  z.object({ type: z.literal('signed-out'), userId: z.string() }),
  SectionStatusesEventSchema,
]);

const BusReplySchema = z.object({
  type: z.literal('reply'),
  tab: z.string(),
  id: z.number().int(),
  result: WorkerResultSchema,
});
const BusEventSchema = z.object({
  type: z.literal('event'),
  tab: z.string(),
  event: TabEventSchema,
});

/** A follower asks whether a leader's worker listens; the worker says so (and when it starts). */
const PingSchema = z.object({ type: z.literal('ping') });
const LeaderSchema = z.object({ type: z.literal('leader') });

/** Leader side: answers the calls of other tabs with sessions of the local host. */
export function serveBus(channel: BroadcastChannel, createSession: () => WorkerSessionApi): void {
  const sessions = new Map<string, WorkerSessionApi>();
  channel.onmessage = async (message: MessageEvent) => {
    if (PingSchema.safeParse(message.data).success) return channel.postMessage({ type: 'leader' });
    const call = BusCallSchema.safeParse(message.data);
    if (!call.success) return;
    const { tab, id, method, args } = call.data;
    let session = sessions.get(tab);
    if (!session) sessions.set(tab, (session = createSession()));
    const send = (event: TabEvent) => channel.postMessage({ type: 'event', tab, event });
    const callArgs = method === 'hello' ? [args[0], send] : args;
    // Every session method validates its arguments and answers as data (never throws).
    const result = await (
      session[method] as (...a: unknown[]) => Promise<WorkerResult<unknown>>
    ).apply(session, callArgs);
    channel.postMessage({ type: 'reply', tab, id, result });
  };
  // Followers that asked before this worker listened are waiting for this.
  channel.postMessage({ type: 'leader' });
}

/**
 * Follower side: resolves true once a leader's worker says it listens on the bus (asking every
 * `everyMs`), false after `ms`. A call posted while none listens (a new leader's worker still
 * starting) reaches nobody and is lost, so a follower waits for this before its hello.
 */
export function leaderListening(
  channel: BroadcastChannel,
  ms: number,
  everyMs = 100,
): Promise<boolean> {
  return new Promise((resolve) => {
    const ask = () => {
      try {
        channel.postMessage({ type: 'ping' });
      } catch {
        done(false); // the channel was closed: the caller stopped waiting
      }
    };
    const done = (heard: boolean) => {
      clearInterval(asking);
      clearTimeout(giveUp);
      channel.removeEventListener('message', listen);
      resolve(heard);
    };
    const listen = (message: MessageEvent) => {
      if (LeaderSchema.safeParse(message.data).success) done(true);
    };
    channel.addEventListener('message', listen);
    const asking = setInterval(ask, everyMs);
    const giveUp = setTimeout(() => done(false), ms);
    ask();
  });
}

/** Follower side: a session whose calls travel over the bus to whichever tab leads. */
export function busSession(
  channel: BroadcastChannel,
  tab: string,
  onEvent: (event: TabEvent) => void,
): { session: WorkerSessionApi; dispose(): void } {
  let next = 0;
  const waiting = new Map<number, (result: WorkerResult<unknown>) => void>();
  const listen = (message: MessageEvent) => {
    const reply = BusReplySchema.safeParse(message.data);
    if (reply.success && reply.data.tab === tab) {
      waiting.get(reply.data.id)?.(reply.data.result as WorkerResult<unknown>);
      waiting.delete(reply.data.id);
      return;
    }
    const event = BusEventSchema.safeParse(message.data);
    if (event.success && event.data.tab === tab) onEvent(event.data.event as TabEvent);
  };
  channel.addEventListener('message', listen);
  const session = new Proxy({} as WorkerSessionApi, {
    get:
      (_target, method: string) =>
      (...args: unknown[]) =>
        new Promise((resolve) => {
          const id = ++next;
          waiting.set(id, resolve);
          // A listener can't travel: the leader sends this tab's events on the bus instead.
          const sent = method === 'hello' ? [args[0]] : args;
          channel.postMessage({ type: 'call', tab, id, method, args: sent });
        }),
  });
  return {
    session,
    dispose() {
      channel.removeEventListener('message', listen);
      waiting.clear();
    },
  };
}
