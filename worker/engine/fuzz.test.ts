// A seeded, bounded fuzz of the engine: random edits from random tabs, timers, answers (saved,
// conflict, network/5xx/401/4xx failures, answers lost after the server committed), other
// devices writing, tabs closing, conflict resolutions and worker restarts from the durable store.
// After every step the invariants hold; at the end, once the network is back and every conflict
// is resolved, the server has, per field, the author's last value — or, for a field that clashed,
// what the author chose for it — unless another device wrote that field later. Fixed seeds plus
// new ones each run (printed; ENGINE_FUZZ_SEEDS=1,2,3 replays exactly those).
import { describe, expect, it } from 'vitest';
import type { SectionData, SectionKey } from '../../supabase/functions/_shared/schema.ts';
import { mergeSection, resolvedValue } from './merge.ts';
import { hasUnsaved } from './step.ts';
import { fuzzSeeds } from './testing.ts';
import {
  canStartSave,
  initialState,
  jsonEqual,
  nextRandom,
  sectionId,
  statusOf,
  step,
  type Effect,
  type EngineState,
  type Input,
  type OutboxContent,
  type RestoredSection,
  type SectionId,
  type ServerCopy,
  type TimerName,
} from './index.ts';

const PLAN = '00000000-0000-4000-8000-0000000000f0';
const KEYS: SectionKey[] = ['section-one', 'section-two'];
const TABS = ['A', 'B', 'C'];
const FIELDS = ['f1', 'f2', 'f3'];
const SEEDS = 100;
const STEPS = 250;
/** New seeds each run on top of the fixed ones; printed so a failure can be replayed. */
const RANDOM_SEEDS = 20;

type Mode = 'ok' | 'network' | 'server' | 'unauthorized' | 'rejected';

interface Outstanding {
  kind: 'save' | 'load';
  id: SectionId;
  token: string | number;
  request?: { version: number; data: SectionData };
}

class Driver {
  state: EngineState;
  rng: number;
  mode: Mode = 'ok';
  readonly server = new Map<SectionId, ServerCopy>();
  readonly store = new Map<SectionId, { snapshot?: ServerCopy; outbox?: OutboxContent }>();
  readonly timers = new Map<SectionId, TimerName>();
  outstanding: Outstanding[] = [];
  /** The last value each tab typed per field, and whether someone may legitimately have replaced it. */
  readonly lastEdit = new Map<string, { value: string; exempt: boolean }>();
  counter = 0;
  restarts = 0;
  readonly trace: string[] = [];

  constructor(readonly seed: number) {
    this.rng = seed;
    this.state = initialState(seed);
  }

  random(): number {
    const r = nextRandom(this.rng);
    this.rng = r.state;
    return r.value;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.random() * items.length)];
    if (item === undefined) throw new Error('pick from empty list');
    return item;
  }

  input(input: Input): void {
    this.trace.push(JSON.stringify(input));
    const { state, effects } = step(this.state, input);
    this.state = state;
    for (const e of effects) this.effect(e);
    if (input.type === 'edit') this.checkDurable(input);
    this.checkInvariants();
  }

  private effect(e: Effect): void {
    switch (e.type) {
      case 'persist': {
        const rec = { ...this.store.get(e.id) };
        if (e.snapshot === null) delete rec.snapshot;
        else if (e.snapshot) rec.snapshot = e.snapshot;
        if (e.outbox === null) delete rec.outbox;
        else if (e.outbox) rec.outbox = e.outbox;
        this.store.set(e.id, rec);
        break;
      }
      case 'load':
        this.outstanding.push({ kind: 'load', id: e.id, token: e.loadId });
        break;
      case 'save':
        // Invariant: at most one save in flight per section.
        expect(
          this.outstanding.filter((o) => o.kind === 'save' && o.id === e.id),
          `second save in flight for ${e.id}`,
        ).toEqual([]);
        this.outstanding.push({
          kind: 'save',
          id: e.id,
          token: e.mutationId,
          request: { version: e.request.version, data: e.request.data },
        });
        break;
      case 'arm-timer':
        expect(this.timers.has(e.id), 'armed over an armed timer without clearing').toBe(false);
        this.timers.set(e.id, e.name);
        break;
      case 'clear-timer':
        expect(this.timers.get(e.id)).toBe(e.name);
        this.timers.delete(e.id);
        break;
      case 'patch': {
        const s = this.state.sections[sectionId(e.planId, e.sectionKey)];
        expect(e.tabs).not.toContain(e.origin);
        for (const t of e.tabs) expect(s?.tabs).toContain(t);
        break;
      }
      case 'view':
        break;
    }
  }

  /** R3: what an edit changed is in the durable outbox once its step's effects ran. */
  private checkDurable(input: Input & { type: 'edit' }): void {
    const id = sectionId(input.planId, input.sectionKey);
    const s = this.state.sections[id];
    if (!s?.tabs.includes(input.tab)) return;
    const outbox = this.store.get(id)?.outbox;
    // R21: a stale edit's value is kept in the outbox too, as the other side of a conflict.
    const kept = (f: string, v: unknown) =>
      jsonEqual(outbox?.fields[f], v) ||
      // R21: or what it made of a stale edit, merged with what was there.
      (jsonEqual(outbox?.fields[f], s.local[f]) && s.pending.includes(f)) ||
      jsonEqual(outbox?.conflict?.serverData[f], v) ||
      (outbox?.queued ?? []).some((q) => jsonEqual(q.theirs[f], v));
    for (const [f, v] of Object.entries(input.fields))
      expect(kept(f, v), `${f} durable`).toBe(true);
  }

  checkInvariants(): void {
    for (const [id, s] of Object.entries(this.state.sections)) {
      // R1: local = server copy + pending fields.
      const keys = new Set([...Object.keys(s.local), ...Object.keys(s.server.data)]);
      for (const k of keys) {
        if (s.pending.includes(k)) continue;
        expect(Object.hasOwn(s.local, k), `${k} present`).toBe(Object.hasOwn(s.server.data, k));
        expect(jsonEqual(s.local[k], s.server.data[k]), `${k} equals server`).toBe(true);
      }
      for (const f of s.editedInFlight) expect(s.pending).toContain(f);
      // One flight at most, and the engine and the outside world agree on it.
      const flights = this.outstanding.filter((o) => o.kind === 'save' && o.id === id);
      expect(flights.map((o) => o.token)).toEqual(s.inFlight ? [s.inFlight.mutationId] : []);
      expect(this.timers.get(id) ?? null).toBe(s.timer);
      // Status consistent with pending / in flight.
      const { status } = statusOf(s);
      if (s.inFlight) {
        // R21: a device clash may open while a save is out (it waits for the author after it).
        if (s.conflict?.source !== 'device') {
          expect(s.conflict).toBeNull();
          expect(status).toBe('saving');
        }
        expect(s.pending.length).toBeGreaterThan(0);
        expect(['unauthorized', 'rejected']).not.toContain(s.blocker?.kind);
      }
      if (status === 'saved') expect(s.pending).toEqual([]);
      if (status === 'pending') {
        expect(s.pending.length).toBeGreaterThan(0);
        if (s.phase === 'ready') expect(s.timer).toBe('debounce');
      }
      const loading = this.outstanding.some((o) => o.kind === 'load' && o.id === id);
      if (status === 'saved-locally' && s.blocker?.kind === 'unauthorized') {
        // R11: waiting for the one session refresh, which the engine asked for.
        expect(s.blocker.refreshing).toBe(true);
        expect(this.state.sessionRefresh).toBe('asked');
      } else if (status === 'saved-locally') {
        expect(s.blocker?.kind).toBe('offline');
        if (s.phase === 'ready' || !loading) expect(s.timer).toBe('retry');
      }
      // No load is stuck either: one is under way, or a retry is armed, or it waits for auth.
      if (s.phase === 'loading' && !loading && s.timer === null)
        expect(['unauthorized', 'rejected']).toContain(s.blocker?.kind);
      expect(status === 'conflict').toBe(s.conflict !== null);
      // A conflict with the server keeps the local edits it clashes with (a device clash may be
      // over a field whose value here is already saved).
      if (s.conflict && s.conflict.source !== 'device') expect(s.pending.length).toBeGreaterThan(0);
      // No edit is stuck: something will send it (a timer, a flight) or it waits for the author.
      if (canStartSave(s)) expect(s.timer).not.toBeNull();
      // The durable store mirrors what is unsaved, on the right base.
      const rec = this.store.get(id);
      if (hasUnsaved(s)) {
        expect(rec?.outbox?.fields).toEqual(
          Object.fromEntries(
            s.pending.filter((f) => Object.hasOwn(s.local, f)).map((f) => [f, s.local[f]]),
          ),
        );
        expect(rec?.outbox?.baseVersion).toBe(s.server.version);
        expect(rec?.outbox?.conflict ?? null).toEqual(s.conflict);
        // (While loading, the base is not known yet: a restore treats it as empty, version 0.)
        if (s.phase === 'ready') expect(rec?.snapshot).toEqual(s.server);
      } else expect(rec?.outbox).toBeUndefined();
    }
    for (const [id, rec] of this.store) {
      if (!this.state.sections[id]) expect(rec.outbox).toBeUndefined();
    }
    for (const id of this.timers.keys()) expect(this.state.sections[id]).toBeDefined();
  }

  serverOf(id: SectionId): ServerCopy {
    return this.server.get(id) ?? { version: 0, data: {} };
  }

  /** The server's last applied mutation id per section (R18: a replay of it is answered 200). */
  readonly applied = new Map<SectionId, string>();

  commit(id: SectionId, version: number, data: SectionData, mutationId?: string): boolean {
    if (mutationId !== undefined && this.applied.get(id) === mutationId) return true;
    const current = this.serverOf(id);
    if (current.version !== version) return false;
    this.server.set(id, { version: version + 1, data: structuredClone(data) });
    if (mutationId === undefined) this.applied.delete(id);
    else this.applied.set(id, mutationId);
    return true;
  }

  deliver(index: number): void {
    const [o] = this.outstanding.splice(index, 1);
    if (!o) return;
    const mode = this.mode;
    if (o.kind === 'load') {
      const loadId = o.token as number;
      if (mode === 'ok') {
        const copy = this.server.get(o.id);
        this.input({ type: 'loaded', id: o.id, loadId, section: copy ?? null });
      } else this.input({ type: 'load-failed', id: o.id, loadId, failure: this.failure(mode) });
      return;
    }
    const mutationId = o.token as string;
    const req = o.request!;
    if (mode === 'ok') {
      if (this.commit(o.id, req.version, req.data, mutationId))
        this.input({ type: 'saved', id: o.id, mutationId, section: this.serverOf(o.id) });
      else {
        const current = this.serverOf(o.id);
        this.input({
          type: 'save-conflict',
          id: o.id,
          mutationId,
          serverVersion: current.version,
          serverData: current.data,
        });
      }
      return;
    }
    // A network failure may hide a save the server did commit (the answer was lost).
    if (mode === 'network' && this.random() < 0.3)
      this.commit(o.id, req.version, req.data, mutationId);
    this.input({ type: 'save-failed', id: o.id, mutationId, failure: this.failure(mode) });
  }

  failure(mode: Exclude<Mode, 'ok'>) {
    switch (mode) {
      case 'network':
        return { kind: 'network' as const, message: 'offline' };
      case 'server':
        return { kind: 'server' as const, status: 503, message: 'busy' };
      case 'unauthorized':
        return { kind: 'unauthorized' as const };
      case 'rejected':
        return { kind: 'rejected' as const, status: 400, message: 'no' };
    }
  }

  /** The worker dies: in-flight requests may or may not have reached the server. */
  restart(): void {
    this.restarts += 1;
    for (const o of this.outstanding) {
      if (o.kind === 'save' && this.random() < 0.5)
        this.commit(o.id, o.request!.version, o.request!.data, String(o.token));
    }
    this.outstanding = [];
    this.timers.clear();
    const sections: RestoredSection[] = [];
    for (const [id, rec] of this.store) {
      if (!rec.outbox) continue;
      const key = id.slice(PLAN.length + 1) as SectionKey;
      sections.push({
        planId: PLAN,
        sectionKey: key,
        server: rec.snapshot ?? { version: rec.outbox.baseVersion, data: {} },
        outbox: rec.outbox,
      });
    }
    this.store.clear(); // the host deletes the old owner's records; restore writes them anew
    // R18: each worker has its own mutation id prefix (the host passes its worker id).
    this.state = initialState(this.seed + this.restarts * 7919, `w${this.restarts}-`);
    this.input({ type: 'restore', sections });
  }

  edit(tab: string, key: SectionKey): void {
    const field = this.pick(FIELDS);
    const value = `${tab}-${++this.counter}`;
    const s = this.state.sections[sectionId(PLAN, key)];
    // R21: typed on what the tab shows; now and then on an older value (another tab typed in
    // between, a resend after a lost answer): the engine then merges instead of applying.
    const stale = this.random() < 0.1;
    const base = { [field]: stale ? `stale-${this.counter}` : (s?.local[field] ?? null) };
    // Applied as typed unless stale (outside a conflict): then it clashes, and the author's
    // choice in the dialog decides what the field must end with (see resolve).
    if (!stale || s?.conflict) this.lastEdit.set(`${key}/${field}`, { value, exempt: false });
    this.input({
      type: 'edit',
      tab,
      planId: PLAN,
      sectionKey: key,
      fields: { [field]: value },
      base,
    });
    // R21: a stale edit merged with what is here: the merged text is the author's last value.
    const after = this.state.sections[sectionId(PLAN, key)];
    const changed = after && !jsonEqual(after.local[field], s?.local[field]);
    if (
      stale &&
      !s?.conflict &&
      changed &&
      !after.conflict &&
      typeof after.local[field] === 'string'
    )
      this.lastEdit.set(`${key}/${field}`, { value: after.local[field], exempt: false });
  }

  otherDevice(key: SectionKey): void {
    const id = sectionId(PLAN, key);
    const field = this.pick(FIELDS);
    const current = this.serverOf(id);
    this.commit(id, current.version, { ...current.data, [field]: `other-${++this.counter}` });
    const last = this.lastEdit.get(`${key}/${field}`);
    if (last) last.exempt = true;
    // F4: sometimes a refetch (poll, focus, Realtime) sees it before the next save does.
    if (this.mode === 'ok' && this.random() < 0.5)
      this.input({ type: 'remote', id, section: this.serverOf(id) });
  }

  /**
   * M7: only the clashing fields take the chosen side; from now on each of them must end with
   * exactly what the author chose (the other fields keep the author's last value).
   */
  resolve(id: SectionId, choice: 'refresh' | 'overwrite'): void {
    const s = this.state.sections[id];
    const key = id.slice(PLAN.length + 1);
    if (s?.conflict) {
      const { conflicts } = mergeSection(
        s.conflict.base ?? s.server.data,
        s.local,
        s.conflict.serverData,
      );
      // Another device that wrote the field after the clash was seen wins legitimately (M2).
      const seen = s.conflict.source === 'device' ? s.server.data : s.conflict.serverData;
      for (const c of conflicts) {
        const chosen = resolvedValue(c, choice === 'refresh' ? 'theirs' : 'mine');
        const last = this.lastEdit.get(`${key}/${c.field}`);
        const since = !jsonEqual(this.serverOf(id).data[c.field], seen[c.field]);
        if (since) this.lastEdit.set(`${key}/${c.field}`, { value: String(chosen), exempt: true });
        else if (typeof chosen === 'string')
          this.lastEdit.set(`${key}/${c.field}`, { value: chosen, exempt: false });
        else if (last) last.exempt = true; // chosen: the field removed
      }
    }
    this.input({ type: 'resolve', id, choice });
  }

  randomAction(): void {
    const r = this.random();
    const key = this.pick(KEYS);
    const id = sectionId(PLAN, key);
    const tab = this.pick(TABS);
    const s = this.state.sections[id];
    if (r < 0.12) this.input({ type: 'open', tab, planId: PLAN, sectionKey: key });
    else if (r < 0.42) {
      if (s?.tabs.includes(tab)) this.edit(tab, key);
      else this.input({ type: 'open', tab, planId: PLAN, sectionKey: key });
    } else if (r < 0.55) {
      const armed = [...this.timers.entries()];
      if (armed.length > 0) {
        const [tid, name] = this.pick(armed);
        this.timers.delete(tid);
        this.input({ type: 'timer', id: tid, name });
      }
    } else if (r < 0.72) {
      if (this.outstanding.length > 0)
        this.deliver(Math.floor(this.random() * this.outstanding.length));
    } else if (r < 0.75) this.input({ type: 'flush-now' });
    else if (r < 0.79) this.otherDevice(key);
    else if (r < 0.82) this.input({ type: 'close', tab, id });
    else if (r < 0.84) this.input({ type: 'tab-gone', tab });
    else if (r < 0.88) {
      if (s?.conflict) this.resolve(id, this.random() < 0.5 ? 'refresh' : 'overwrite');
    } else if (r < 0.95) {
      const modes: Mode[] = ['ok', 'ok', 'ok', 'network', 'server', 'unauthorized', 'rejected'];
      this.mode = this.pick(modes);
      if (this.mode === 'ok' || this.random() < 0.3)
        this.input({ type: 'auth-changed', signedIn: this.random() < 0.9 });
    } else if (r < 0.955) this.restart();
    else if (r < 0.96) this.input({ type: 'online' });
    else if (r < 0.965) this.input({ type: 'auth-refresh-failed' });
    else {
      // A stale timer or answer must change nothing (R17).
      const before = this.state;
      const { state, effects } = step(before, {
        type: 'saved',
        id,
        mutationId: 'never-sent',
        section: { version: 99, data: {} },
      });
      expect(state).toEqual(before);
      expect(effects).toEqual([]);
    }
  }

  /** Network back, signed in, conflicts resolved: run until nothing is left to do. */
  quiesce(): void {
    this.mode = 'ok';
    this.input({ type: 'auth-changed', signedIn: true });
    for (let i = 0; i < 2_000; i++) {
      const conflicted = Object.values(this.state.sections).find((s) => s.conflict);
      if (conflicted) this.resolve(conflicted.id, this.random() < 0.5 ? 'refresh' : 'overwrite');
      else if (this.outstanding.length > 0) this.deliver(0);
      else if (this.timers.size > 0) {
        const [tid, name] = [...this.timers.entries()][0]!;
        this.timers.delete(tid);
        this.input({ type: 'timer', id: tid, name });
      } else return;
    }
    throw new Error('did not settle');
  }

  checkFinal(): void {
    for (const s of Object.values(this.state.sections)) {
      expect(statusOf(s).status).toBe('saved');
      expect(s.local).toEqual(s.server.data);
      // Another device may have saved since (the worker learns it on its next save); on the
      // same version, the worker and the server agree.
      const server = this.serverOf(s.id);
      expect(s.server.version).toBeLessThanOrEqual(server.version);
      if (s.phase === 'ready' && s.server.version === server.version)
        expect(s.local).toEqual(server.data);
    }
    for (const [where, last] of this.lastEdit) {
      if (last.exempt) continue;
      const [key, field] = where.split('/') as [SectionKey, string];
      expect(this.serverOf(sectionId(PLAN, key)).data[field], `${where} lost`).toBe(last.value);
    }
    expect(this.store.size === 0 || [...this.store.values()].every((r) => !r.outbox)).toBe(true);
  }
}

describe('engine fuzz', () => {
  it(`holds its invariants over ${SEEDS} fixed and ${RANDOM_SEEDS} new seeded runs of ${STEPS} random inputs`, () => {
    let saves = 0;
    let conflicts = 0;
    const seeds = fuzzSeeds(SEEDS, RANDOM_SEEDS);
    for (const seed of seeds) {
      const d = new Driver(seed);
      try {
        for (let i = 0; i < STEPS; i++) d.randomAction();
        d.quiesce();
        d.checkFinal();
      } catch (error) {
        throw new Error(
          `seed ${seed} failed: ${String(error)}\nlast inputs:\n${d.trace.slice(-15).join('\n')}`,
        );
      }
      saves += d.trace.filter((t) => t.startsWith('{"type":"saved"')).length;
      conflicts += d.trace.filter((t) => t.includes('"choice"')).length;
    }
    // The fuzz reaches the interesting places.
    expect(saves).toBeGreaterThan(seeds.length);
    if (seeds.length >= SEEDS) expect(conflicts).toBeGreaterThan(10);
  }, 240_000); // bounded, but slow on a loaded machine
});
