// One store factory for every section: the view state a tab shows, fed by the tab's own typing
// and by the worker's patches and views. The worker is the source of truth; this is a mirror.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SectionData, SectionKey } from '../../supabase/functions/_shared/schema.ts';
import {
  SAVE_STATUS,
  type ConflictView,
  type SaveStatus,
  type SectionView,
} from '../../worker/protocol.ts';

export interface SectionState {
  loaded: boolean;
  data: SectionData;
  serverVersion: number;
  status: SaveStatus;
  message: string | null;
  conflict: ConflictView | null;
  /** Set when the tab can't reach the worker or the worker refused the section. */
  failure: string | null;
  /** When the server last confirmed a save of this section (the worker's view), if known. */
  savedAt: string | null;
}

export interface SectionStore extends StoreApi<SectionState> {
  /** The author typed: show it at once; `fields` still has to reach the worker. */
  typed(fields: SectionData): void;
  /** The worker has the edit with sequence `seq` of this tab. */
  acknowledged(fields: SectionData, seq: number): void;
  patch(fields: SectionData, seq: number): void;
  view(view: SectionView, seq: number): void;
  /** The section opened again on a new worker after the old one died. */
  reopened(view: SectionView): void;
  fail(message: string): void;
  /**
   * How many fields hold a value typed here that the worker never took: not acknowledged yet
   * (so not in IndexedDB, R3), or refused. Nothing else has them: closing the tab loses them.
   */
  onlyInMemory(): number;
}

const initial: SectionState = {
  loaded: false,
  data: {},
  serverVersion: 0,
  status: SAVE_STATUS.saved,
  message: null,
  conflict: null,
  failure: null,
  savedAt: null,
};

export function createSectionStore(): SectionStore {
  const store = createStore<SectionState>(() => initial);
  // Fields typed here whose edit the worker has not acknowledged yet: a patch or view that the
  // worker sent before it saw our edit must not overwrite what the author sees.
  const unacked = new Map<string, number>();
  // The newest value the worker sent for such a field, to apply if it turns out newer than ours.
  const held = new Map<string, { value: unknown; seq: number }>();
  // Fields whose last edit the worker refused: what is on screen exists nowhere else.
  const refused = new Set<string>();

  // The worker's number for the value each field shows (our acknowledged edit, a patch, a view):
  // answers, patches and views travel on different MessagePorts, so one numbered lower may
  // arrive later, and it must not put an older value back on screen.
  const fieldSeq = new Map<string, number>();
  // A `saved` view shown as pending because our edits were still unanswered: if it turns out to
  // include every one of them (its seq is at least theirs), the answers make it saved after all.
  let savedViewSeq: number | null = null;
  let lastAckSeq = -1;
  const newer = (name: string, seq: number) => (fieldSeq.get(name) ?? -1) <= seq;

  const mergeIncoming = (fields: SectionData, seq: number): SectionData => {
    const next: SectionData = {};
    for (const [name, value] of Object.entries(fields)) {
      if (unacked.has(name)) held.set(name, { value, seq });
      else if (newer(name, seq)) {
        next[name] = value;
        fieldSeq.set(name, seq);
        refused.delete(name);
      }
    }
    return next;
  };

  return Object.assign(store, {
    typed(fields: SectionData) {
      for (const name of Object.keys(fields)) unacked.set(name, (unacked.get(name) ?? 0) + 1);
      // `saved` promises the server has every edit: from this keystroke on it no longer does.
      store.setState((s) => ({
        data: { ...s.data, ...fields },
        status: s.status === SAVE_STATUS.saved ? SAVE_STATUS.pending : s.status,
      }));
    },
    acknowledged(fields: SectionData, seq: number) {
      const resolved: SectionData = {};
      for (const name of Object.keys(fields)) {
        const left = (unacked.get(name) ?? 1) - 1;
        if (left > 0) {
          unacked.set(name, left);
          if (seq < Number.MAX_SAFE_INTEGER) lastAckSeq = Math.max(lastAckSeq, seq);
          continue;
        }
        unacked.delete(name);
        // A refused edit (no seq) leaves the field to whatever the worker sends next.
        if (seq < Number.MAX_SAFE_INTEGER) {
          fieldSeq.set(name, seq);
          refused.delete(name);
        } else refused.add(name);
        if (seq < Number.MAX_SAFE_INTEGER) lastAckSeq = Math.max(lastAckSeq, seq);
        const h = held.get(name);
        held.delete(name);
        // Another tab's edit that the worker applied after ours wins, as it did in the worker; so
        // does what the worker made of ours (R21: a view of the same seq, merged or in conflict).
        if (h && h.seq >= seq) {
          resolved[name] = h.value;
          fieldSeq.set(name, h.seq);
          refused.delete(name);
        }
      }
      const nowSaved =
        savedViewSeq !== null &&
        unacked.size === 0 &&
        refused.size === 0 &&
        savedViewSeq >= lastAckSeq &&
        store.getState().status === SAVE_STATUS.pending;
      if (nowSaved) savedViewSeq = null;
      if (Object.keys(resolved).length > 0 || nowSaved)
        store.setState((s) => ({
          data: { ...s.data, ...resolved },
          ...(nowSaved ? { status: SAVE_STATUS.saved } : {}),
        }));
    },
    reopened(view: SectionView) {
      // A new worker (its numbers start again): what it opened is the whole truth.
      fieldSeq.clear();
      lastAckSeq = -1;
      this.view(view, 0);
    },
    patch(fields: SectionData, seq: number) {
      const next = mergeIncoming(fields, seq);
      if (Object.keys(next).length > 0) store.setState((s) => ({ data: { ...s.data, ...next } }));
    },
    view(view: SectionView, seq: number) {
      const next = mergeIncoming(view.data, seq);
      savedViewSeq = view.status === SAVE_STATUS.saved && unacked.size > 0 ? seq : null;
      store.setState((s) => {
        const data: SectionData = { ...next };
        // Fields that stay as shown: still being typed, or newer than this view.
        for (const name of Object.keys(s.data))
          if (!(name in next) && (unacked.has(name) || !newer(name, seq)))
            data[name] = s.data[name];
        return {
          loaded: true,
          data,
          serverVersion: view.serverVersion,
          // A view sent before the worker had our latest keystroke can't call it saved.
          status:
            view.status === SAVE_STATUS.saved && unacked.size > 0
              ? SAVE_STATUS.pending
              : view.status,
          message: view.message,
          conflict: view.conflict,
          failure: null,
          savedAt: view.savedAt ?? s.savedAt,
        };
      });
    },
    onlyInMemory() {
      let count = unacked.size;
      for (const name of refused) if (!unacked.has(name)) count += 1;
      return count;
    },
    fail(message: string) {
      // The worker didn't take it: nothing may claim the edit is saved.
      store.setState((s) => ({
        failure: message,
        status: s.loaded ? SAVE_STATUS.error : s.status,
        message: s.loaded ? message : s.message,
      }));
    },
  });
}

const stores = new Map<string, SectionStore>();

export const sectionStoreKey = (planId: string, sectionKey: SectionKey) =>
  `${planId}/${sectionKey}`;

/** The store of one section in this tab, created on first use. */
export function getSectionStore(planId: string, sectionKey: SectionKey): SectionStore {
  const key = sectionStoreKey(planId, sectionKey);
  let store = stores.get(key);
  if (!store) {
    store = createSectionStore();
    stores.set(key, store);
  }
  return store;
}

/** Per section this tab mirrors: how many fields hold an edit only this tab's memory has. */
export function onlyInMemoryCounts(): number[] {
  return [...stores.values()].map((store) => store.onlyInMemory());
}

/** Forgets every section this tab mirrors (the signed-in user changed). */
export function resetSectionStores(): void {
  stores.clear();
}
