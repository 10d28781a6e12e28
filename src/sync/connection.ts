// A tab's connection to the sync worker that survives the worker: every call has a timeout and
// answers as data; when the worker dies or is replaced, the connection says hello to the next
// one, retries the calls that were under way (edits included) and tells its listeners, so the
// tab can open its sections again. Works over any Transport (SharedWorker or the fallback).
import {
  PROTOCOL_VERSION,
  WORKER_CODES,
  type Hello,
  type TabEvent,
  type WorkerResult,
  type WorkerSessionApi,
} from '../../worker/protocol.ts';

/** A call to the worker that hasn't answered by then is reported instead of left pending. */
export const CALL_TIMEOUT_MS = 10_000;
/** hello gets less: a worker that is just starting answers in well under a second. */
const HELLO_TIMEOUT_MS = 5_000;
/** Calls cut short by a dying worker are tried again on the next one this many times. */
const CALL_RETRIES = 3;

type SessionCalls = Omit<WorkerSessionApi, 'hello'>;
type CallName = keyof SessionCalls;
type Answer<K extends CallName> = Awaited<ReturnType<SessionCalls[K]>>;

/** One connection to one worker, before hello. */
export interface Endpoint {
  session: WorkerSessionApi;
  /** What the session's hello gets as its listener (a Comlink proxy where needed). */
  listener: (event: TabEvent) => void;
  dispose(): void;
}

export interface Transport {
  /** Connects to the running worker, starting one if there is none. */
  open(onEvent: (event: TabEvent) => void): Promise<Endpoint> | Endpoint;
  /** Resolves once the worker with that id is gone (crashed, terminated, its tab closed). */
  watch(workerId: string): Promise<void>;
  /** How long hello may take before trying again (default HELLO_TIMEOUT_MS). */
  helloTimeoutMs?: number;
  /** The worker reached speaks another protocol (the tab is told to reload, too). */
  onMismatch?(): void;
  /** R23: the engine reached gave way to the profile's SharedWorker: open() reaches that now. */
  handOver?(): void;
}

const GONE = Symbol('gone');

function timeout<T>(promise: Promise<T>, ms: number, what: string) {
  return new Promise<T | { ok: false; code: 'TIMEOUT' | 'WORKER_FAILED'; message: string }>(
    (resolve) => {
      const timer = setTimeout(
        () =>
          resolve({
            ok: false,
            code: WORKER_CODES.TIMEOUT,
            message: `The sync worker did not answer "${what}" within ${ms / 1000} s. Reload the page; your edits are kept on this device.`,
          }),
        ms,
      );
      void promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          resolve({
            ok: false,
            code: WORKER_CODES.WORKER_FAILED,
            message: `The sync worker failed on "${what}": ${String(error)}. Reload the page; your edits are kept on this device.`,
          });
        },
      );
    },
  );
}

interface Live {
  endpoint: Endpoint;
  workerId: string;
  /** Resolves with GONE when this worker is gone. */
  gone: Promise<typeof GONE>;
}

export class Connection {
  private live: Promise<WorkerResult<Live>> | null = null;
  private token: string | null;
  private readonly reconnectListeners = new Set<(session: SessionCalls) => Promise<void>>();
  private connectedOnce = false;
  /** The endpoint of the worker said hello to last (a stale one's loss changes nothing). */
  private current: Endpoint | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly hello: Omit<Hello, 'accessToken' | 'protocolVersion'>,
    private readonly onEvent: (event: TabEvent) => void,
    accessToken: string | null,
  ) {
    this.token = accessToken;
  }

  /** Says hello to the worker (the first call does it anyway). */
  async connect(): Promise<WorkerResult<{ workerId: string }>> {
    const live = await this.ensure();
    return live.ok ? { ok: true, value: { workerId: live.value.workerId } } : live;
  }

  /**
   * Runs when a new worker took over, before any call goes to it: re-open sections there first,
   * or a retried edit would find its section not open. Call the session given, not `call()`.
   */
  onReconnect(listener: (session: SessionCalls) => Promise<void>): () => void {
    this.reconnectListeners.add(listener);
    return () => void this.reconnectListeners.delete(listener);
  }

  async call<K extends CallName>(
    name: K,
    ...args: Parameters<SessionCalls[K]>
  ): Promise<Answer<K>> {
    if (name === 'setAuth') this.token = (args[0] as string | null) ?? null;
    for (let attempt = 0; ; attempt++) {
      const live = await this.ensure();
      if (!live.ok) return live as Answer<K>;
      // Called bare: `.apply` on a Comlink proxy would be sent to the worker as a method name.
      const method = live.value.endpoint.session[name] as (...a: unknown[]) => Promise<Answer<K>>;
      // R21: an edit carries what it was typed on only when resent to a new worker; live typing
      // between tabs of one worker stays in arrival order (R1).
      const sent = name === 'edit' && attempt === 0 ? args.slice(0, 3) : args;
      const answer = await Promise.race([
        timeout(method(...sent), CALL_TIMEOUT_MS, name),
        live.value.gone,
      ]);
      // R23: that engine gave way to the SharedWorker: send it there (an edit with its base, R21).
      const handedOver = answer !== GONE && !answer.ok && answer.code === WORKER_CODES.HANDED_OVER;
      if (handedOver) this.handOver();
      if (answer !== GONE && !handedOver) return answer as Answer<K>;
      // The worker went away mid-call: the next one gets it (an edit is a value, safe to resend).
      if (attempt >= CALL_RETRIES)
        return {
          ok: false,
          code: WORKER_CODES.WORKER_FAILED,
          message: `The sync worker kept stopping during "${name}". Reload the page; your edits are kept on this device.`,
        } as Answer<K>;
    }
  }

  private ensure(): Promise<WorkerResult<Live>> {
    this.live ??= this.start();
    return this.live;
  }

  private async start(): Promise<WorkerResult<Live>> {
    let last: WorkerResult<Live> | null = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const endpoint = await this.transport.open(this.onEvent);
      const answer = await timeout(
        endpoint.session.hello(
          { ...this.hello, protocolVersion: PROTOCOL_VERSION, accessToken: this.token },
          endpoint.listener,
        ),
        this.transport.helloTimeoutMs ?? HELLO_TIMEOUT_MS,
        'hello',
      );
      if (answer.ok) {
        const workerId = answer.value.workerId;
        this.current = endpoint;
        const gone = this.transport.watch(workerId).then((): typeof GONE => GONE);
        void gone.then(() => this.lost(endpoint));
        // Time-boxed: a worker that dies again meanwhile must not hold every call forever.
        if (this.connectedOnce)
          await Promise.all(
            [...this.reconnectListeners].map((listener) =>
              timeout(listener(endpoint.session), CALL_TIMEOUT_MS, 'reopen'),
            ),
          );
        this.connectedOnce = true;
        return { ok: true, value: { endpoint, workerId, gone } };
      }
      endpoint.dispose();
      last = answer;
      // R23: the engine reached gave way to the SharedWorker: say hello there.
      if (answer.code === WORKER_CODES.HANDED_OVER) {
        this.transport.handOver?.();
        continue;
      }
      if (answer.code === WORKER_CODES.PROTOCOL_MISMATCH) this.transport.onMismatch?.();
      // A protocol mismatch won't go away by retrying: the tab must reload.
      if (answer.code !== WORKER_CODES.TIMEOUT) break;
    }
    this.live = null;
    return last!;
  }

  /**
   * R23: the engine this tab talks to gave way to the profile's SharedWorker (its `hand-over`
   * event, or a HANDED_OVER answer): connect there now, and re-open this tab's sections there.
   */
  handOver(): void {
    this.transport.handOver?.();
    const endpoint = this.current;
    if (endpoint) this.lost(endpoint);
  }

  private lost(endpoint: Endpoint): void {
    // Only the worker in use: a handed-over one's end later must not drop its successor.
    if (endpoint !== this.current) return;
    this.current = null;
    endpoint.dispose();
    this.live = null;
    void this.ensure();
  }
}
