// The sync engine: one pure function, step(state, input) → { state, effects }. No DOM, IndexedDB,
// fetch, timers, clocks or awaits. The rules (R1…R17) are explained in docs/single-writer.md; the
// comments below name the rule each piece of code implements.
import type { SectionData, SectionKey } from '../../supabase/functions/_shared/schema.ts';
import { SAVE_STATUS, type ConflictView, type SaveStatus, type SectionView } from '../protocol.ts';
import {
  MESSAGES,
  RETRY_AFTER_MAX_MS,
  SAVE_DEBOUNCE_MS,
  SESSION_REFRESH_TIMEOUT_MS,
  UNCONFIRMED_LIMIT,
  retryDelayMs,
} from './constants.ts';
import { jsonEqual, jsonHash } from './json.ts';
import { mergeSection, resolveMerge, resolvedValue } from './merge.ts';
import { mergeTyping } from './merge-text.ts';
import { nextRandom } from './random.ts';
import {
  sectionId,
  type Effect,
  type EngineState,
  type Failure,
  type Input,
  type OtherSide,
  type RestoredSection,
  type OutboxContent,
  type SectionId,
  type SectionState,
  type ServerCopy,
  type StepResult,
  type TimerName,
} from './types.ts';

/** `idPrefix` makes mutation ids unique across workers (R18); the host passes its worker id. */
export function initialState(seed: number, idPrefix = 'm'): EngineState {
  return { sections: {}, editSeq: 0, idSeq: 0, rng: seed | 0, sessionRefresh: 'unused', idPrefix };
}

/** R13: one status per section, derived from its state, in this order of precedence. */
export function statusOf(s: SectionState): { status: SaveStatus; message: string | null } {
  if (s.conflict) return { status: SAVE_STATUS.conflict, message: MESSAGES.conflict };
  // R20: only a reload (to the newer version) gets these edits saved.
  if (s.retired && s.pending.length > 0 && !s.inFlight)
    return { status: SAVE_STATUS.error, message: MESSAGES.retired };
  if (s.blocker?.kind === 'unauthorized' && !s.blocker.refreshing)
    return { status: SAVE_STATUS.error, message: MESSAGES.sessionExpired };
  if (s.blocker?.kind === 'rejected')
    return { status: SAVE_STATUS.error, message: s.blocker.message };
  if (s.inFlight) return { status: SAVE_STATUS.saving, message: null };
  // R11: edits are on the device while a tab renews the session.
  if (s.blocker?.kind === 'unauthorized')
    return { status: SAVE_STATUS.savedLocally, message: MESSAGES.refreshingSession };
  if (s.blocker?.kind === 'offline')
    return {
      status: SAVE_STATUS.savedLocally,
      message: s.phase === 'loading' ? MESSAGES.loadOffline : MESSAGES.offline,
    };
  if (s.pending.length > 0) return { status: SAVE_STATUS.pending, message: null };
  return { status: SAVE_STATUS.saved, message: null };
}

export function viewOf(s: SectionState): SectionView {
  const { status, message } = statusOf(s);
  return {
    planId: s.planId,
    sectionKey: s.sectionKey,
    data: s.local,
    serverVersion: s.server.version,
    status,
    message,
    conflict: s.conflict ? conflictView(s, s.conflict) : null,
  };
}

/** What a conflict's two sides started from (R8: the server copy; R21: the other copy's base). */
const conflictBase = (s: SectionState, conflict: NonNullable<SectionState['conflict']>) =>
  conflict.base ?? s.server.data;

/** M8: the fields to decide, derived from the base, the local data and the other side's. */
function conflictView(
  s: SectionState,
  conflict: NonNullable<SectionState['conflict']>,
): ConflictView {
  const { conflicts } = mergeSection(conflictBase(s, conflict), s.local, conflict.serverData);
  const author = s.author && s.tabs.includes(s.author) ? s.author : (s.tabs.at(-1) ?? null);
  return {
    ...conflict,
    fields: conflicts.map((c) => ({
      field: c.field,
      mine: c.mine,
      theirs: c.theirs,
      ...(c.overlaps ? { overlaps: c.overlaps } : {}),
      // M7: exactly what each button saves.
      saves: { refresh: resolvedValue(c, 'theirs'), overwrite: resolvedValue(c, 'mine') },
    })),
    authorTab: author,
  };
}

/** The pending fields' values, as the outbox keeps them. */
export function outboxOf(s: SectionState): OutboxContent {
  return {
    baseVersion: s.server.version,
    fields: pick(s.local, s.pending),
    conflict: s.conflict,
    unconfirmed: s.unconfirmed,
    attempt: s.lastAttempt ?? null,
    ...(s.queued && s.queued.length > 0 ? { queued: s.queued } : {}),
  };
}

/** Whether the section holds anything the outbox must keep: edits, a conflict, queued clashes. */
export const hasUnsaved = (s: SectionState) =>
  s.pending.length > 0 || s.conflict !== null || (s.queued?.length ?? 0) > 0;

/** Can a save start now (ignoring timers)? */
export function canStartSave(s: SectionState): boolean {
  return (
    s.phase === 'ready' &&
    s.inFlight === null &&
    s.conflict === null &&
    s.pending.length > 0 &&
    (s.blocker === null || s.blocker.kind === 'offline')
  );
}

function pick(data: SectionData, fields: readonly string[]): SectionData {
  const out: SectionData = {};
  for (const f of fields) if (Object.hasOwn(data, f)) out[f] = data[f];
  return out;
}

/** R1: local = server copy with the pending fields' local values on top. */
function overlay(base: SectionData, local: SectionData, fields: readonly string[]): SectionData {
  return { ...base, ...pick(local, fields) };
}

function union(a: readonly string[], b: readonly string[]): readonly string[] {
  const extra = b.filter((x, i) => !a.includes(x) && b.indexOf(x) === i);
  return extra.length === 0 ? a : [...a, ...extra];
}

function newSection(
  planId: string,
  sectionKey: SectionKey,
  fields: Partial<SectionState>,
): SectionState {
  return {
    id: sectionId(planId, sectionKey),
    planId,
    sectionKey,
    phase: 'ready',
    loadId: 0,
    server: { version: 0, data: {} },
    local: {},
    pending: [],
    inFlight: null,
    editedInFlight: [],
    flushAfterFlight: false,
    conflict: null,
    blocker: null,
    attempt: 0,
    timer: null,
    unconfirmed: [],
    tabs: [],
    ...fields,
  };
}

/** One step in progress: a copy-on-write view of the state plus the effects so far. */
class Step {
  readonly sections: Record<SectionId, SectionState>;
  readonly effects: Effect[] = [];
  editSeq: number;
  idSeq: number;
  rng: number;
  sessionRefresh: NonNullable<EngineState['sessionRefresh']>;
  readonly idPrefix: string;
  retired: boolean;
  debounceMs: number | undefined;
  /** Sections changed by this step, with their state before it (undefined: new). */
  private readonly before = new Map<SectionId, SectionState | undefined>();
  /** Sections whose data changed by more than a plain edit during an edit step (R21). */
  readonly changedData = new Set<SectionId>();

  constructor(state: EngineState) {
    this.sections = { ...state.sections };
    this.editSeq = state.editSeq;
    this.idSeq = state.idSeq;
    this.rng = state.rng;
    this.sessionRefresh = state.sessionRefresh ?? 'unused';
    this.idPrefix = state.idPrefix ?? 'm';
    this.retired = state.retired ?? false;
    this.debounceMs = state.debounceMs;
  }

  get(id: SectionId): SectionState | undefined {
    return this.sections[id];
  }

  set(s: SectionState): void {
    if (!this.before.has(s.id)) this.before.set(s.id, this.sections[s.id]);
    this.sections[s.id] = s;
  }

  remove(id: SectionId): void {
    if (!this.before.has(id)) this.before.set(id, this.sections[id]);
    delete this.sections[id];
  }

  nextId(): number {
    this.idSeq += 1;
    return this.idSeq;
  }

  random(): number {
    const { value, state } = nextRandom(this.rng);
    this.rng = state;
    return value;
  }

  emit(effect: Effect): void {
    this.effects.push(effect);
  }

  persist(s: SectionState, parts: { snapshot?: ServerCopy | null; outbox?: OutboxContent | null }) {
    this.emit({ type: 'persist', id: s.id, planId: s.planId, sectionKey: s.sectionKey, ...parts });
  }

  /**
   * Tabs follow every change but a plain edit (which went out as a patch): a view goes to every
   * subscribed tab when the data changed for another reason or the status, message, conflict or
   * server version changed. A plain edit that changes the status (saved → pending) sends a view
   * too; its `seq` lets the tab keep what it typed since.
   */
  finish(input: Input): StepResult {
    for (const [id, old] of this.before) {
      const now = this.sections[id];
      if (!old || !now || now.tabs.length === 0) continue;
      const dataChanged =
        (input.type !== 'edit' || this.changedData.has(id)) &&
        old.local !== now.local &&
        !jsonEqual(old.local, now.local);
      const a = statusOf(old);
      const b = statusOf(now);
      const statusChanged =
        a.status !== b.status ||
        a.message !== b.message ||
        old.conflict !== now.conflict ||
        old.server.version !== now.server.version;
      if (dataChanged || statusChanged)
        this.emit({ type: 'view', tabs: now.tabs, view: viewOf(now), seq: this.editSeq });
    }
    return {
      state: {
        sections: this.sections,
        editSeq: this.editSeq,
        idSeq: this.idSeq,
        rng: this.rng,
        sessionRefresh: this.sessionRefresh,
        idPrefix: this.idPrefix,
        ...(this.retired ? { retired: true } : {}),
        ...(this.debounceMs !== undefined ? { debounceMs: this.debounceMs } : {}),
      },
      effects: this.effects,
    };
  }
}

function armTimer(st: Step, s: SectionState, name: TimerName, ms: number): SectionState {
  if (s.timer) st.emit({ type: 'clear-timer', id: s.id, name: s.timer });
  st.emit({ type: 'arm-timer', id: s.id, name, ms });
  return { ...s, timer: name };
}

function clearTimer(st: Step, s: SectionState): SectionState {
  if (!s.timer) return s;
  st.emit({ type: 'clear-timer', id: s.id, name: s.timer });
  return { ...s, timer: null };
}

/** R4: the first edit of a quiet section opens the save window; later edits don't move it. */
function armDebounce(st: Step, s: SectionState): SectionState {
  if (!canStartSave(s) || s.blocker !== null || s.timer !== null || st.retired) return s;
  return armTimer(st, s, 'debounce', st.debounceMs ?? SAVE_DEBOUNCE_MS);
}

/** R5, R6: send the whole local data with the version last seen; one flight per section. */
function startSave(st: Step, s: SectionState): SectionState {
  // R20: a retired worker keeps what it has on the device for the newer one to send.
  if (!canStartSave(s) || st.retired) return s;
  let next = clearTimer(st, s);
  const hash = jsonHash(next.local);
  // R18: the same data on the same version is the same mutation (it may have landed already).
  const again = next.lastAttempt;
  const mutationId =
    again && again.version === next.server.version && again.hash === hash
      ? again.mutationId
      : `${st.idPrefix}${st.nextId()}`;
  const unconfirmed = next.unconfirmed.includes(hash)
    ? next.unconfirmed
    : [...next.unconfirmed, hash].slice(-UNCONFIRMED_LIMIT);
  next = {
    ...next,
    inFlight: { mutationId, version: next.server.version, data: next.local, fields: next.pending },
    editedInFlight: [],
    flushAfterFlight: false,
    unconfirmed,
    lastAttempt: { mutationId, version: next.server.version, hash },
  };
  // R3: what may reach the server is on disk first (the host sends after this write).
  st.persist(next, { outbox: outboxOf(next) });
  st.emit({
    type: 'save',
    id: next.id,
    mutationId,
    request: {
      planId: next.planId,
      sectionKey: next.sectionKey,
      data: next.local,
      version: next.server.version,
    },
  });
  return next;
}

function reload(st: Step, s: SectionState): SectionState {
  const loadId = st.nextId();
  st.emit({ type: 'load', id: s.id, loadId, planId: s.planId, sectionKey: s.sectionKey });
  return { ...s, loadId };
}

/** R15: a section no tab shows and with nothing to save is forgotten. */
function setOrDrop(st: Step, s: SectionState): void {
  if (
    s.tabs.length === 0 &&
    s.pending.length === 0 &&
    !s.inFlight &&
    !s.conflict &&
    !s.queued?.length
  ) {
    if (s.timer) st.emit({ type: 'clear-timer', id: s.id, name: s.timer });
    st.remove(s.id);
    st.persist(s, { snapshot: null, outbox: null });
    return;
  }
  st.set(s);
}

/** Take `server` as the new server copy, keeping the pending fields that still differ. */
function rebase(st: Step, s: SectionState, server: ServerCopy, keep: readonly string[]) {
  const pending = keep.filter((f) => !jsonEqual(s.local[f], server.data[f]));
  const next: SectionState = {
    ...s,
    server,
    local: overlay(server.data, s.local, pending),
    pending,
    unconfirmed: [],
  };
  st.persist(next, { snapshot: server, outbox: hasUnsaved(next) ? outboxOf(next) : null });
  return next;
}

export function step(state: EngineState, input: Input): StepResult {
  const st = new Step(state);
  switch (input.type) {
    case 'open': {
      // R12: a section already here is shared; a new one is loaded first.
      const id = sectionId(input.planId, input.sectionKey);
      const s = st.get(id);
      if (s) {
        if (!s.tabs.includes(input.tab)) st.set({ ...s, tabs: [...s.tabs, input.tab] });
        break;
      }
      const loadId = st.nextId();
      st.set(
        newSection(input.planId, input.sectionKey, {
          phase: 'loading',
          loadId,
          tabs: [input.tab],
          ...(st.retired ? { retired: true } : {}),
        }),
      );
      st.emit({ type: 'load', id, loadId, planId: input.planId, sectionKey: input.sectionKey });
      break;
    }

    case 'loaded': {
      const s = st.get(input.id);
      // R17: answers to a load we no longer wait for are ignored.
      if (!s || s.phase !== 'loading' || s.loadId !== input.loadId) break;
      // R11: the session works again: a later 401 may ask for a refresh once more.
      if (st.sessionRefresh === 'used') st.sessionRefresh = 'unused';
      // R12: never saved → version 0 and no data.
      const server = input.section ?? { version: 0, data: {} };
      // R12: fields typed while the load was failing, over values the server has: the author
      // decides, as for a 409 (R8). The base stays unknown (version 0, empty) until resolved.
      const clashing = s.pending.filter(
        (f) => Object.hasOwn(server.data, f) && !jsonEqual(server.data[f], s.local[f]),
      );
      if (clashing.length > 0) {
        const next = clearTimer(st, {
          ...s,
          phase: 'ready',
          blocker: null,
          attempt: 0,
          conflict: { serverVersion: server.version, serverData: server.data },
        });
        st.persist(next, { snapshot: next.server, outbox: outboxOf(next) });
        st.set(next.queued?.length ? takeQueued(st, next) : next);
        break;
      }
      let next: SectionState = clearTimer(st, {
        ...s,
        phase: 'ready',
        server,
        local: overlay(server.data, s.local, s.pending),
        blocker: null,
        attempt: 0,
      });
      st.persist(next, {
        snapshot: server,
        outbox: next.pending.length > 0 ? outboxOf(next) : undefined,
      });
      next = armDebounce(st, next);
      st.set(next.queued?.length ? takeQueued(st, next) : next);
      break;
    }

    case 'load-failed': {
      const s = st.get(input.id);
      if (!s || s.phase !== 'loading' || s.loadId !== input.loadId) break;
      st.set(fail(st, s, input.failure));
      break;
    }

    case 'load-denied': {
      const s = st.get(input.id);
      if (!s || s.phase !== 'loading' || s.loadId !== input.loadId) break; // R17
      // U3: nothing typed while it loaded is kept, and no tab stays on it; each tab is told.
      const denied = clearTimer(st, {
        ...s,
        local: {},
        pending: [],
        blocker: { kind: 'rejected', message: MESSAGES.notAvailable },
        attempt: 0,
      });
      if (s.tabs.length > 0)
        st.emit({ type: 'view', tabs: s.tabs, view: viewOf(denied), seq: st.editSeq });
      // Another copy's adopted edits of this user (R16) are never dropped: they wait, refused.
      if (denied.queued?.length) {
        const kept: SectionState = { ...denied, phase: 'ready', tabs: [] };
        st.persist(kept, { outbox: outboxOf(kept) });
        st.set(kept);
        break;
      }
      setOrDrop(st, { ...denied, tabs: [] });
      break;
    }

    case 'plan-gone': {
      const s = st.get(input.id);
      if (!s) break;
      // U7: the plan and its sections are gone on the server; nothing here can be saved any more.
      // Every tab is told in words, and what waited to be saved is dropped with the plan.
      const gone = clearTimer(st, {
        ...s,
        local: {},
        pending: [],
        conflict: null,
        queued: [],
        blocker: { kind: 'rejected', message: MESSAGES.planGone },
        attempt: 0,
      });
      if (s.tabs.length > 0)
        st.emit({ type: 'view', tabs: s.tabs, view: viewOf(gone), seq: st.editSeq });
      st.remove(s.id);
      st.persist(s, { snapshot: null, outbox: null });
      break;
    }

    case 'edit': {
      const id = sectionId(input.planId, input.sectionKey);
      const s = st.get(id);
      const keys = Object.keys(input.fields);
      // R20: a retired worker accepts nothing (the host answers READ_ONLY).
      if (!s || !s.tabs.includes(input.tab) || keys.length === 0 || st.retired) break;
      // R21: a field whose value here changed since the tab last saw it was typed on an older
      // value (another tab typed in between, or a resend after a lost answer): merged, not applied.
      const { fields, stale, merged } = splitStale(s, input.fields, input.base);
      const applied = Object.keys(fields);
      // R1: applied once, in arrival order, numbered worker-wide.
      st.editSeq += 1;
      let next: SectionState = {
        ...s,
        author: input.tab,
        local: { ...s.local, ...fields },
        pending: union(s.pending, applied),
        // R5: edits during a flight wait for the next save.
        editedInFlight: s.inFlight ? union(s.editedInFlight, applied) : s.editedInFlight,
      };
      // R11: a new edit may be what the server asked for; try the save again. (A refused load is
      // not fixed by an edit: it waits for an auth change.)
      if (next.blocker?.kind === 'rejected' && next.phase === 'ready')
        next = { ...next, blocker: null, attempt: 0 };
      // R3: durable before anything else (the host acknowledges after this write).
      st.persist(next, { outbox: outboxOf(next) });
      // R2: every other tab of the section shows it at once.
      const others = next.tabs.filter((t) => t !== input.tab);
      if (others.length > 0 && applied.length > 0)
        st.emit({
          type: 'patch',
          tabs: others,
          planId: next.planId,
          sectionKey: next.sectionKey,
          fields,
          origin: input.tab,
          seq: st.editSeq,
        });
      next = armDebounce(st, next);
      // R21: the stale fields merge three ways against what they were typed on; every tab (the
      // typing one too) gets the result in a view.
      if (stale) next = meetOther(st, next, stale);
      if (stale || merged) st.changedData.add(next.id);
      // M8: while a conflict is open every tab's dialog follows what each button would save.
      if (next.conflict) st.changedData.add(next.id);
      st.set(next);
      break;
    }

    case 'timer': {
      const s = st.get(input.id);
      if (!s || s.timer !== input.name) break; // a timer that was cleared or replaced
      let next: SectionState = { ...s, timer: null };
      if (next.phase === 'loading') {
        if (input.name === 'retry') next = reload(st, next);
      } else {
        // R4 (debounce) / R10 (retry): one save for everything pending.
        next = startSave(st, next);
      }
      st.set(next);
      break;
    }

    case 'flush-now': {
      // R14: save now whatever waits for a window or a retry.
      for (const s of Object.values(st.sections)) {
        if (s.phase !== 'ready' || s.pending.length === 0 || s.conflict) continue;
        if (s.blocker && s.blocker.kind !== 'offline') continue;
        if (s.inFlight) {
          if (!s.flushAfterFlight) st.set({ ...s, flushAfterFlight: true });
        } else st.set(startSave(st, s));
      }
      break;
    }

    case 'saved': {
      const s = st.get(input.id);
      if (!s?.inFlight || s.inFlight.mutationId !== input.mutationId) break; // R17
      // R7: the new version; what was typed during the flight stays pending. (Every pending
      // field that differs from the answer stays: an idempotent replay answers the stored data.)
      if (st.sessionRefresh === 'used') st.sessionRefresh = 'unused';
      let next = rebase(
        st,
        {
          ...s,
          inFlight: null,
          editedInFlight: [],
          blocker: null,
          attempt: 0,
          lastAttempt: null,
        },
        input.section,
        s.pending,
      );
      next = { ...next, flushAfterFlight: false };
      next = s.flushAfterFlight ? startSave(st, next) : armDebounce(st, next);
      setOrDrop(st, next);
      break;
    }

    case 'save-conflict': {
      const s = st.get(input.id);
      if (!s?.inFlight || s.inFlight.mutationId !== input.mutationId) break; // R17
      if (s.conflict?.source === 'device') {
        // R21: the author decides the device clash first; the save after it meets this 409 again.
        st.set({ ...s, inFlight: null, editedInFlight: [], flushAfterFlight: false });
        break;
      }
      const theirs = input.serverData;
      // R8: a 409 carrying data we sent earlier (answer lost) is our own write.
      const base = s.unconfirmed.includes(jsonHash(theirs)) ? theirs : s.server.data;
      const next: SectionState = {
        ...s,
        inFlight: null,
        editedInFlight: [],
        flushAfterFlight: false,
        blocker: null,
        attempt: 0,
        lastAttempt: null,
      };
      // R8: merge field by field (M1–M7); only real overlaps need the author.
      setOrDrop(st, absorb(st, next, { version: input.serverVersion, data: theirs }, base));
      break;
    }

    case 'tab-active': {
      // M8: a later conflict's dialog opens where the author is; an open conflict stays put.
      for (const s of Object.values(st.sections))
        if (s.tabs.includes(input.tab) && !s.conflict && s.author !== input.tab)
          st.set({ ...s, author: input.tab });
      break;
    }

    case 'remote': {
      const s = st.get(input.id);
      // F4: a load or a save in flight brings its own, newer answer; older copies change nothing.
      if (!s || s.phase !== 'ready' || s.inFlight) break;
      // R21: a device clash is decided first; its save meets the newer copy (409 → R8).
      if (s.conflict?.source === 'device') break;
      const seen = s.conflict ? s.conflict.serverVersion : s.server.version;
      if (input.section.version <= seen) break;
      setOrDrop(st, absorb(st, s, input.section, s.server.data));
      break;
    }

    case 'save-failed': {
      const s = st.get(input.id);
      if (!s?.inFlight || s.inFlight.mutationId !== input.mutationId) break; // R17
      st.set(
        fail(
          st,
          { ...s, inFlight: null, editedInFlight: [], flushAfterFlight: false },
          input.failure,
        ),
      );
      break;
    }

    case 'auth-changed': {
      // R11: the one refresh a 401 asked for is spent once the token changes.
      if (st.sessionRefresh === 'asked') st.sessionRefresh = 'used';
      if (!input.signedIn) {
        stopRefreshing(st);
        break;
      }
      // R11: a new session retries what a 401 (or a refusal) stopped.
      for (const s of Object.values(st.sections)) {
        if (s.blocker?.kind !== 'unauthorized' && s.blocker?.kind !== 'rejected') continue;
        const next: SectionState = { ...s, blocker: null, attempt: 0 };
        st.set(next.phase === 'loading' ? reload(st, next) : startSave(st, next));
      }
      break;
    }

    case 'close': {
      const s = st.get(input.id);
      if (!s || !s.tabs.includes(input.tab)) break;
      setOrDrop(st, { ...s, tabs: s.tabs.filter((t) => t !== input.tab) });
      break;
    }

    case 'tab-gone': {
      // R15: a closed or crashed tab is unsubscribed everywhere.
      for (const s of Object.values(st.sections)) {
        if (s.tabs.includes(input.tab))
          setOrDrop(st, { ...s, tabs: s.tabs.filter((t) => t !== input.tab) });
      }
      break;
    }

    case 'resolve': {
      const s = st.get(input.id);
      if (!s?.conflict) break;
      // R9, M7: refresh takes the other side for the clashing fields (and lines), overwrite the
      // author's; either way the merged rest stays and goes out at once.
      const merge = mergeSection(conflictBase(s, s.conflict), s.local, s.conflict.serverData);
      const local = resolveMerge(merge, input.choice === 'refresh' ? 'theirs' : 'mine');
      let next: SectionState = clearTimer(st, {
        ...s,
        local,
        conflict: null,
        blocker: null,
        attempt: 0,
      });
      if (s.conflict.source === 'device') {
        // R21: the server copy is unchanged; what now differs from it is pending.
        next = { ...next, pending: union(next.pending, changedFields(s.server.data, local)) };
        st.persist(next, { outbox: hasUnsaved(next) ? outboxOf(next) : null });
      } else {
        const theirs: ServerCopy = {
          version: s.conflict.serverVersion,
          data: s.conflict.serverData,
        };
        next = rebase(st, next, theirs, Object.keys(local));
      }
      next = takeQueued(st, next);
      next = startSave(st, next);
      setOrDrop(st, next);
      break;
    }

    case 'online': {
      // R10: the network is back: what waits for a retry goes now (the backoff count stays).
      for (const s of Object.values(st.sections)) {
        if (s.blocker?.kind !== 'offline' || s.timer !== 'retry') continue;
        const next = clearTimer(st, s);
        st.set(next.phase === 'loading' ? reload(st, next) : startSave(st, next));
      }
      break;
    }

    case 'auth-refresh-failed': {
      // R11: nobody could renew the session: the author must sign in again.
      if (st.sessionRefresh !== 'asked') break;
      st.sessionRefresh = 'used';
      stopRefreshing(st);
      break;
    }

    case 'test-debounce':
      // Tests only: the host passes it on for a hello with test hooks (docs/testing.md).
      st.debounceMs = input.ms;
      break;

    case 'retire': {
      // R20: no save leaves this worker any more; the one in flight may still answer.
      st.retired = true;
      for (const s of Object.values(st.sections)) st.set({ ...clearTimer(st, s), retired: true });
      break;
    }

    case 'restore': {
      // R16: sections with unsaved edits come back after a worker restart and are sent again.
      for (const r of input.sections) {
        const id = sectionId(r.planId, r.sectionKey);
        const pending = Object.keys(r.outbox.fields);
        const queued = r.outbox.queued ?? [];
        const open = st.get(id);
        if (open) {
          // R16, R21: another copy's edits meet a section open here three ways, each against the
          // server copy it was typed on (its conflict and queued clashes too): a field changed
          // here since keeps the newer value, a real overlap is a conflict.
          let next = open;
          for (const side of [...adoptedSides(r), ...queued]) next = meetOther(st, next, side);
          if (next !== open) st.changedData.add(id);
          setOrDrop(st, next);
          continue;
        }
        if (pending.length === 0 && !r.outbox.conflict && queued.length === 0) continue;
        let s = newSection(r.planId, r.sectionKey, {
          server: r.server,
          local: { ...r.server.data, ...r.outbox.fields },
          pending,
          conflict: r.outbox.conflict,
          unconfirmed: r.outbox.unconfirmed,
          lastAttempt: r.outbox.attempt ?? null,
          ...(queued.length > 0 ? { queued } : {}),
          ...(st.retired ? { retired: true } : {}),
        });
        st.persist(s, { snapshot: s.server, outbox: outboxOf(s) });
        s = startSave(st, s);
        st.set(s);
      }
      break;
    }
  }
  return st.finish(input);
}

/** Fields whose value differs between two copies of the data. */
function changedFields(a: SectionData, b: SectionData): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((f) => !jsonEqual(a[f], b[f]));
}

/** `data` with `fields` taken from `from` (a field absent there is removed). */
function withFields(data: SectionData, fields: readonly string[], from: SectionData): SectionData {
  const out: SectionData = { ...data };
  for (const f of fields) {
    if (Object.hasOwn(from, f)) out[f] = from[f];
    else delete out[f];
  }
  return out;
}

/** An empty field is the same whether it is absent, null or '' (a tab shows all three alike). */
const blank = (v: unknown) => v === undefined || v === null || v === '';
const sameValue = (a: unknown, b: unknown) => jsonEqual(a, b) || (blank(a) && blank(b));

/**
 * R21: splits an edit into the fields typed on the value shown here (applied as they are) and
 * the ones typed on a value that changed since (to merge three ways). A field without a base
 * (older tabs), one already at the typed value, or any field while a conflict is open, is applied.
 */
function splitStale(
  s: SectionState,
  typed: SectionData,
  base: Readonly<Record<string, unknown>> | undefined,
): { fields: SectionData; stale: OtherSide | null; merged: boolean } {
  if (!base || s.conflict) return { fields: typed, stale: null, merged: false };
  const fields: SectionData = {};
  let merged = false;
  const side = { fields: [] as string[], base: {} as SectionData, theirs: {} as SectionData };
  for (const [f, v] of Object.entries(typed)) {
    const was = Object.hasOwn(base, f) ? base[f] : undefined;
    if (!Object.hasOwn(base, f) || sameValue(s.local[f], was) || sameValue(s.local[f], v)) {
      fields[f] = v;
      continue;
    }
    // Two tabs typing in one text at once: both keystrokes stay (a real overlap goes on below).
    const text = (x: unknown) => (blank(x) ? '' : typeof x === 'string' ? x : null);
    const [b, m, t] = [text(was), text(s.local[f]), text(v)];
    const joined = b !== null && m !== null && t !== null ? mergeTyping(b, m, t) : null;
    if (joined !== null) {
      fields[f] = joined;
      merged ||= joined !== v;
      continue;
    }
    side.fields.push(f);
    if (!blank(was)) side.base[f] = was;
    side.theirs[f] = v;
  }
  return { fields, stale: side.fields.length > 0 ? side : null, merged };
}

/** R16, R21: what an adopted outbox holds, as another side: its pending fields on its base. */
function adoptedSides(r: RestoredSection): OtherSide[] {
  const fields = Object.keys(r.outbox.fields);
  if (fields.length === 0) return [];
  const base: SectionData = {};
  for (const f of fields) if (Object.hasOwn(r.server.data, f)) base[f] = r.server.data[f];
  const sides: OtherSide[] = [{ fields, base, theirs: r.outbox.fields }];
  // R21: an adopted device conflict stays one: its other side meets the section here too. (A
  // server conflict's clashing fields are pending above and meet the server again on save.)
  const c = r.outbox.conflict;
  if (c?.source === 'device' && c.base) {
    const clash = changedFields(c.base, c.serverData);
    if (clash.length > 0)
      sides.push({ fields: clash, base: pick(c.base, clash), theirs: pick(c.serverData, clash) });
  }
  return sides;
}

/**
 * R21: another copy's edits meet the section three ways (base = what they were typed on, mine =
 * what is shown here, theirs = their values; M1–M6). Clean: the merge is applied like an edit,
 * sent to every tab and saved. A clash: a `device` conflict for the author (queued behind one
 * already open); every value is kept until they decide.
 */
function meetOther(st: Step, s: SectionState, side: OtherSide): SectionState {
  const base = withFields(s.local, side.fields, side.base);
  const theirs = withFields(s.local, side.fields, side.theirs);
  const merge = mergeSection(base, s.local, theirs);
  // A section still loading has no server copy to compare with yet: it meets it once loaded.
  if (s.phase === 'loading' || (merge.conflicts.length > 0 && s.conflict)) {
    const next = { ...s, queued: [...(s.queued ?? []), side] };
    st.persist(next, { outbox: outboxOf(next) });
    return next;
  }
  const changed = changedFields(s.local, merge.merged);
  let next: SectionState = { ...s, local: merge.merged };
  if (changed.length > 0) {
    st.editSeq += 1;
    const moved = changed.filter((f) => !jsonEqual(merge.merged[f], s.server.data[f]));
    next = {
      ...next,
      pending: union(next.pending, moved),
      editedInFlight: s.inFlight ? union(s.editedInFlight, moved) : s.editedInFlight,
    };
  }
  if (merge.conflicts.length > 0) {
    next = clearTimer(st, {
      ...next,
      conflict: { serverVersion: s.server.version, serverData: theirs, base, source: 'device' },
      blocker: null,
      attempt: 0,
    });
  }
  if (changed.length === 0 && merge.conflicts.length === 0) return s;
  st.persist(next, { outbox: outboxOf(next) });
  return armDebounce(st, next);
}

/** R21: once a conflict is decided, the next queued clash meets the section. */
function takeQueued(st: Step, s: SectionState): SectionState {
  let next: SectionState = { ...s, queued: [] };
  for (const side of s.queued ?? []) next = meetOther(st, next, side);
  return next;
}

/** R11: the session refresh is over without a new token: waiting sections show the error. */
function stopRefreshing(st: Step): void {
  for (const s of Object.values(st.sections)) {
    if (s.blocker?.kind === 'unauthorized' && s.blocker.refreshing)
      st.set({ ...s, blocker: { kind: 'unauthorized', refreshing: false } });
  }
}

/**
 * R8, F4: a newer server copy meets the local edits. Nothing pending: take it. Otherwise merge
 * three ways against `base` (M1–M6): clean → the merged data goes out at once on the server's
 * version; a field both changed differently → conflict, every local edit kept (the server copy
 * stays the base until the author decides, M7).
 */
function absorb(st: Step, s: SectionState, theirs: ServerCopy, base: SectionData): SectionState {
  if (s.pending.length === 0 && !s.conflict) return rebase(st, s, theirs, []);
  const merge = mergeSection(base, s.local, theirs.data);
  if (merge.conflicts.length > 0) {
    const next = clearTimer(st, {
      ...s,
      conflict: { serverVersion: theirs.version, serverData: theirs.data },
      blocker: null,
      attempt: 0,
    });
    st.persist(next, { outbox: outboxOf(next) });
    return next;
  }
  let next = clearTimer(st, { ...s, conflict: null, local: merge.merged });
  next = rebase(st, next, theirs, Object.keys(merge.merged));
  return startSave(st, next);
}

/** R10, R11: what a failed save or load does. */
function fail(st: Step, s: SectionState, failure: Failure): SectionState {
  switch (failure.kind) {
    case 'network':
    case 'server': {
      const attempt = s.attempt + 1;
      // R10: the backoff, or longer if the server said when to come back (Retry-After).
      const retryAfter = failure.kind === 'server' ? (failure.retryAfterMs ?? 0) : 0;
      const delay = Math.max(
        retryDelayMs(attempt, st.random()),
        Math.min(retryAfter, RETRY_AFTER_MAX_MS),
      );
      return armTimer(st, { ...s, blocker: { kind: 'offline' }, attempt }, 'retry', delay);
    }
    case 'unauthorized': {
      // R11: the first 401 asks a tab to renew the session, once; after that it needs the author.
      if (st.sessionRefresh === 'unused') {
        st.sessionRefresh = 'asked';
        st.emit({ type: 'refresh-auth', timeoutMs: SESSION_REFRESH_TIMEOUT_MS });
      }
      const refreshing = st.sessionRefresh === 'asked';
      return clearTimer(st, { ...s, blocker: { kind: 'unauthorized', refreshing }, attempt: 0 });
    }
    case 'rejected':
      return clearTimer(st, {
        ...s,
        blocker: { kind: 'rejected', message: failure.message },
        attempt: 0,
      });
  }
}
