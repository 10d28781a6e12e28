// R23: which engine of a browser profile writes. Pure: the host feeds it the engine lock's grant
// and the other engines' announcements, and carries out what it decides (docs/single-writer.md).

/** How an engine is reached: the SharedWorker, or a tab's dedicated worker (the fallback). */
export type EngineTransport = 'shared' | 'dedicated';

/** What an engine says of itself on the workers' channel (R20, R23). */
export interface EngineRank {
  workerId: string;
  protocolVersion: number;
  transport: EngineTransport;
  /** When it started (ms since the epoch): of two otherwise equal engines, the newer one wins. */
  startedAt: number;
}

/** An announcement as it arrives: engines of the build before R23 send no transport nor start. */
export interface PeerAnnounce {
  workerId: string;
  protocolVersion: number;
  transport?: EngineTransport | undefined;
  startedAt?: number | undefined;
}

/**
 * Whether engine `a` should write rather than `b`: a newer protocol (R20); else the SharedWorker,
 * which every tab of the profile can reach, over a tab's dedicated worker; else the one started
 * later (a tab opened since, possibly of a newer build: reloading the other's tabs lands there);
 * else the greater id, so two engines always agree on one winner.
 */
export function outranks(a: EngineRank, b: EngineRank): boolean {
  if (a.protocolVersion !== b.protocolVersion) return a.protocolVersion > b.protocolVersion;
  if (a.transport !== b.transport) return a.transport === 'shared';
  if (a.startedAt !== b.startedAt) return a.startedAt > b.startedAt;
  return a.workerId > b.workerId;
}

/** A peer of the build before R23 counts as a SharedWorker that started long ago. */
export function rankOf(peer: PeerAnnounce): EngineRank {
  return {
    workerId: peer.workerId,
    protocolVersion: peer.protocolVersion,
    transport: peer.transport ?? 'shared',
    startedAt: peer.startedAt ?? 0,
  };
}

/**
 * `contending`: waiting for the lock, takes no edit yet; `writer`: holds it, the only engine that
 * takes edits; `retired`: another engine outranks it, it takes no edit any more (for good).
 */
export type EngineRole = 'contending' | 'writer' | 'retired';

/**
 * Why an engine retired: `newer-protocol` (R20: its tabs reload), `shared-worker` (a dedicated
 * engine yields to the SharedWorker: its tabs move there by themselves), `newer-copy` (another
 * engine of the same protocol, e.g. another build, started since: its tabs reload).
 */
export type RetireReason = 'newer-protocol' | 'shared-worker' | 'newer-copy';

export interface EngineLockState {
  me: EngineRank;
  role: EngineRole;
  /** Peers already answered (each once, so the one that started first learns of the other). */
  heard: readonly string[];
  reason: RetireReason | null;
}

export type EngineLockInput =
  | { type: 'granted' }
  | { type: 'peer'; peer: PeerAnnounce }
  /** STEAL_AFTER_MS since it asked, and the lock is still another's. */
  | { type: 'unanswered' }
  /** Another engine took the lock from this one (`steal`). */
  | { type: 'stolen' };

/**
 * R23: a holder that answers nobody for this long is frozen (e.g. kept in WebKit's back-forward
 * cache with its locks): the waiting engine takes the lock from it. Under the hello's retries.
 */
export const STEAL_AFTER_MS = 1_500;

export type EngineLockEffect =
  /** Say who we are on the workers' channel. */
  | { type: 'announce' }
  /** The lock is ours: adopt what gone engines left (R16), then take edits. */
  | { type: 'serve' }
  /** Stop taking edits, tell the tabs (reload, or move to the SharedWorker), end when done. */
  | { type: 'retire'; reason: RetireReason; protocolVersion: number }
  /** Give the lock up (or the request for it): the winner is waiting. */
  | { type: 'release' }
  /** An engine this one outranks: adopt its unsaved edits once it is gone (R20, R21). */
  | { type: 'adopt-when-gone'; workerId: string }
  /** Take the lock from a holder that never answered (Web Locks' `steal`). */
  | { type: 'steal' }
  /** Ask for the lock again (it was taken from us): ranks decide once the holder answers. */
  | { type: 'request' };

export function initialEngineLock(me: EngineRank): EngineLockState {
  return { me, role: 'contending', heard: [], reason: null };
}

export function engineLockStep(
  state: EngineLockState,
  input: EngineLockInput,
): { state: EngineLockState; effects: EngineLockEffect[] } {
  if (input.type === 'granted') {
    // R23: a retired engine that is granted the lock after all hands it on at once.
    if (state.role === 'retired') return { state, effects: [{ type: 'release' }] };
    if (state.role === 'writer') return { state, effects: [] };
    return {
      state: { ...state, role: 'writer' },
      effects: [{ type: 'serve' }, { type: 'announce' }],
    };
  }
  if (input.type === 'unanswered') {
    // Nobody spoke up since we asked: a live holder would have answered our announcement.
    if (state.role !== 'contending' || state.heard.length > 0) return { state, effects: [] };
    return { state, effects: [{ type: 'steal' }] };
  }
  if (input.type === 'stolen') {
    // Thawed (or merely slow): contend again and meet the taker as any two engines do.
    if (state.role !== 'writer') return { state, effects: [] };
    return {
      state: { ...state, role: 'contending', heard: [] },
      effects: [{ type: 'request' }, { type: 'announce' }],
    };
  }
  const peer = rankOf(input.peer);
  if (peer.workerId === state.me.workerId) return { state, effects: [] };
  const first = !state.heard.includes(peer.workerId);
  const heard = first ? [...state.heard, peer.workerId] : state.heard;
  const answer: EngineLockEffect[] = first ? [{ type: 'announce' }] : [];
  if (outranks(peer, state.me)) {
    if (state.role === 'retired') return { state: { ...state, heard }, effects: answer };
    const reason: RetireReason =
      peer.protocolVersion !== state.me.protocolVersion
        ? 'newer-protocol'
        : peer.transport !== state.me.transport
          ? 'shared-worker'
          : 'newer-copy';
    return {
      state: { ...state, heard, role: 'retired', reason },
      effects: [
        { type: 'retire', reason, protocolVersion: peer.protocolVersion },
        { type: 'release' },
        ...answer,
      ],
    };
  }
  // We outrank it: it retires when it hears us; what it held is merged here once it is gone.
  const adopt: EngineLockEffect[] =
    first && state.role !== 'retired' ? [{ type: 'adopt-when-gone', workerId: peer.workerId }] : [];
  return { state: { ...state, heard }, effects: [...answer, ...adopt] };
}
