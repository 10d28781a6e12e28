// Two engines of one profile interleaved (an older copy of the app next to the current one), a
// worker death, adoption and conflict resolutions, seeded and bounded. The invariant (R21): once
// the author saw a value `saved`, the server never holds an older typed value of that field again,
// unless the author chose it in the dialog. Replay with ENGINE_FUZZ_SEEDS like the engine fuzz.
import { describe, expect, it } from 'vitest';
import type { SectionData } from '../../supabase/functions/_shared/schema.ts';
import { mergeSection, resolvedValue } from './merge.ts';
import {
  initialState,
  nextRandom,
  statusOf,
  step,
  type EngineState,
  type Input,
  type OutboxContent,
  type ServerCopy,
} from './index.ts';
import { fuzzSeeds, ID, KEY, PLAN } from './testing.ts';

const FIELDS = ['f1', 'f2'];
const STEPS = 200;

interface Engine {
  name: string;
  state: EngineState;
  store: { snapshot?: ServerCopy; outbox?: OutboxContent };
  timer: boolean;
  flight: { mutationId: string; version: number; data: SectionData } | null;
  alive: boolean;
}

class World {
  rng: number;
  server: ServerCopy = { version: 0, data: {} };
  /** When each value was typed: a larger number is newer. */
  readonly order = new Map<unknown, number>();
  /** Values the author picked in a conflict dialog: they may replace anything. */
  readonly chosen = new Set<unknown>();
  /** Per field, the newest value the author saw `saved`. */
  readonly seenSaved = new Map<string, number>();
  counter = 0;
  engines: Engine[] = [];
  readonly trace: string[] = [];

  constructor(readonly seed: number) {
    this.rng = seed;
    this.engines = [this.start('current', seed), this.start('older', seed + 1)];
  }

  random(): number {
    const r = nextRandom(this.rng);
    this.rng = r.state;
    return r.value;
  }

  start(name: string, seed: number): Engine {
    const e: Engine = {
      name,
      state: initialState(seed, `${name}-`),
      store: {},
      timer: false,
      flight: null,
      alive: true,
    };
    this.input(e, { type: 'open', tab: name, planId: PLAN, sectionKey: KEY });
    this.input(e, { type: 'auth-changed', signedIn: true });
    return e;
  }

  input(e: Engine, input: Input): void {
    this.trace.push(`${e.name} ${JSON.stringify(input)}`);
    const r = step(e.state, input);
    e.state = r.state;
    for (const fx of r.effects) {
      if (fx.type === 'persist') {
        if (fx.snapshot === null) delete e.store.snapshot;
        else if (fx.snapshot) e.store.snapshot = fx.snapshot;
        if (fx.outbox === null) delete e.store.outbox;
        else if (fx.outbox) e.store.outbox = fx.outbox;
      } else if (fx.type === 'load') {
        const loaded = this.server.version === 0 ? null : this.server;
        this.pendingLoads.push({ e, loadId: fx.loadId, section: loaded });
      } else if (fx.type === 'save') {
        e.flight = { mutationId: fx.mutationId, ...fx.request };
      } else if (fx.type === 'arm-timer') e.timer = true;
      else if (fx.type === 'clear-timer') e.timer = false;
    }
    // What the author sees saved in this engine's tab.
    const s = e.state.sections[ID];
    if (s && statusOf(s).status === 'saved')
      for (const f of FIELDS) {
        const n = this.order.get(s.local[f]);
        if (n !== undefined && n > (this.seenSaved.get(f) ?? 0)) this.seenSaved.set(f, n);
      }
  }

  pendingLoads: { e: Engine; loadId: number; section: ServerCopy | null }[] = [];

  /** The server's compare-and-set, with the invariant checked on every write. */
  commit(data: SectionData, version: number): boolean {
    if (version !== this.server.version) return false;
    for (const f of FIELDS) {
      const n = this.order.get(data[f]);
      const seen = this.seenSaved.get(f) ?? 0;
      expect(
        n === undefined || n >= seen || this.chosen.has(data[f]) || data[f] === this.server.data[f],
        `${f}: ${String(data[f])} is older than a value the author saw saved`,
      ).toBe(true);
    }
    this.server = { version: version + 1, data: structuredClone(data) };
    return true;
  }

  deliver(e: Engine): void {
    const f = e.flight;
    if (!f) return;
    e.flight = null;
    const r = this.random();
    if (r < 0.15) {
      // The answer is lost; maybe the save landed.
      if (this.random() < 0.5) this.commit(f.data, f.version);
      this.input(e, {
        type: 'save-failed',
        id: ID,
        mutationId: f.mutationId,
        failure: { kind: 'network', message: 'lost' },
      });
    } else if (this.commit(f.data, f.version))
      this.input(e, { type: 'saved', id: ID, mutationId: f.mutationId, section: this.server });
    else
      this.input(e, {
        type: 'save-conflict',
        id: ID,
        mutationId: f.mutationId,
        serverVersion: this.server.version,
        serverData: this.server.data,
      });
  }

  edit(e: Engine): void {
    const s = e.state.sections[ID];
    if (!s) return;
    const field = FIELDS[Math.floor(this.random() * FIELDS.length)]!;
    const value = `${e.name}-${++this.counter}`;
    this.order.set(value, this.counter);
    this.input(e, {
      type: 'edit',
      tab: e.name,
      planId: PLAN,
      sectionKey: KEY,
      fields: { [field]: value },
      base: { [field]: s.local[field] ?? null },
    });
  }

  resolve(e: Engine): void {
    const s = e.state.sections[ID];
    if (!s?.conflict) return;
    const choice = this.random() < 0.5 ? 'refresh' : 'overwrite';
    // What the author chose may be older: that is their decision, not a loss.
    const base = s.conflict.base ?? s.server.data;
    const { conflicts } = mergeSection(base, s.local, s.conflict.serverData);
    for (const c of conflicts)
      this.chosen.add(resolvedValue(c, choice === 'refresh' ? 'theirs' : 'mine'));
    this.input(e, { type: 'resolve', id: ID, choice });
  }

  /** An engine dies; the current one (or its successor) adopts what it left. */
  die(e: Engine): void {
    e.alive = false;
    if (e.flight && this.random() < 0.5) this.commit(e.flight.data, e.flight.version);
    e.flight = null;
    const heir = e.name === 'older' ? this.engines[0]! : this.start(`${e.name}'`, this.counter);
    if (e.name !== 'older') this.engines[0] = heir;
    const left = e.store.outbox;
    if (left)
      this.input(heir, {
        type: 'restore',
        sections: [
          {
            planId: PLAN,
            sectionKey: KEY,
            server: e.store.snapshot ?? { version: left.baseVersion, data: {} },
            outbox: left,
          },
        ],
      });
  }

  act(): void {
    const live = this.engines.filter((e) => e.alive);
    const e = live[Math.floor(this.random() * live.length)]!;
    const r = this.random();
    if (this.pendingLoads.length > 0 && r < 0.3) {
      const l = this.pendingLoads.shift()!;
      if (l.e.alive)
        this.input(l.e, { type: 'loaded', id: ID, loadId: l.loadId, section: l.section });
    } else if (r < 0.55) this.edit(e);
    else if (r < 0.7 && e.timer) {
      e.timer = false;
      this.input(e, { type: 'timer', id: ID, name: e.state.sections[ID]!.timer! });
    } else if (r < 0.82) this.deliver(e);
    else if (r < 0.87) this.resolve(e);
    else if (r < 0.9) this.input(e, { type: 'remote', id: ID, section: this.server });
    else if (r < 0.92 && e.name === 'older') this.input(e, { type: 'retire' });
    else if (r < 0.94 && live.length > 1 && e.name === 'older') this.die(e);
    else if (r < 0.95) this.die(e);
  }

  quiesce(): void {
    for (const e of this.engines) if (e.name === 'older' && e.alive) this.die(e);
    const e = this.engines[0]!;
    for (let i = 0; i < 1_000; i++) {
      const l = this.pendingLoads.shift();
      if (l) {
        if (l.e.alive)
          this.input(l.e, { type: 'loaded', id: ID, loadId: l.loadId, section: l.section });
      } else if (e.state.sections[ID]?.conflict) this.resolve(e);
      else if (e.flight) this.deliver(e);
      else if (e.timer) {
        e.timer = false;
        this.input(e, { type: 'timer', id: ID, name: e.state.sections[ID]!.timer! });
      } else return;
    }
    throw new Error('did not settle');
  }
}

describe('two engines of one profile', () => {
  it(`R21: no value the author saw saved is replaced by an older one (${STEPS} steps a seed)`, () => {
    let adoptions = 0;
    for (const seed of fuzzSeeds(60, 20)) {
      const w = new World(seed);
      try {
        for (let i = 0; i < STEPS; i++) w.act();
        w.quiesce();
        const s = w.engines[0]!.state.sections[ID];
        if (s) expect(statusOf(s).status).toBe('saved');
      } catch (error) {
        throw new Error(`seed ${seed} failed: ${String(error)}\n${w.trace.slice(-40).join('\n')}`);
      }
      adoptions += w.trace.filter((t) => t.includes('"restore"')).length;
    }
    expect(adoptions).toBeGreaterThan(20);
  }, 240_000); // bounded, but slow on a loaded machine
});
