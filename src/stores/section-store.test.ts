import { describe, expect, it } from 'vitest';
import type { SectionView } from '../../worker/protocol.ts';
import { createSectionStore } from './section-store.ts';

const view = (
  data: Record<string, unknown>,
  status: SectionView['status'] = 'saved',
): SectionView => ({
  planId: '00000000-0000-4000-8000-000000000000',
  sectionKey: 'section-one',
  data,
  serverVersion: 1,
  status,
  message: null,
  conflict: null,
});

describe('section store', () => {
  it("keeps the last confirmed save time when a later view doesn't carry one", () => {
    const store = createSectionStore();
    store.view({ ...view({}), savedAt: '2026-12-01T10:42:00.000Z' }, 0);
    store.view(view({}, 'saving'), 1);
    expect(store.getState().savedAt).toBe('2026-12-01T10:42:00.000Z');
    store.view({ ...view({}), savedAt: '2026-12-01T10:43:00.000Z' }, 2);
    expect(store.getState().savedAt).toBe('2026-12-01T10:43:00.000Z');
  });

  it('shows typed values at once and takes patches for other fields', () => {
    const store = createSectionStore();
    store.view(view({ a: '', b: '' }), 0);
    store.typed({ a: 'x' });
    store.patch({ b: 'from another tab' }, 1);
    expect(store.getState().data).toEqual({ a: 'x', b: 'from another tab' });
  });

  it('keeps an unacknowledged field against an older patch', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'mine' });
    store.patch({ a: 'older' }, 4);
    store.acknowledged({ a: 'mine' }, 5);
    expect(store.getState().data.a).toBe('mine');
  });

  it('takes a held patch that the worker applied after our edit', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'mine' });
    store.patch({ a: 'newer' }, 6);
    store.acknowledged({ a: 'mine' }, 5);
    expect(store.getState().data.a).toBe('newer');
  });

  it('a patch or view numbered before our acknowledged edit arrives late: ours stays shown', () => {
    const store = createSectionStore();
    store.view(view({ a: '', b: '' }), 0);
    store.typed({ a: 'mine' });
    store.acknowledged({ a: 'mine' }, 5);
    // Sent before the worker had our edit (seq 4), delivered after its answer.
    store.view(view({ a: 'older', b: 'theirs' }, 'pending'), 4);
    store.patch({ a: 'older still' }, 3);
    expect(store.getState().data).toEqual({ a: 'mine', b: 'theirs' });
    store.patch({ a: 'newer' }, 6);
    expect(store.getState().data.a).toBe('newer');
    // An open's answer numbered before a patch that came first keeps the patch's value.
    store.view(view({ a: 'open answer', b: 'theirs' }), 5);
    expect(store.getState().data.a).toBe('newer');
    // A reopen on a new worker (its numbers start again) is the whole truth.
    store.typed({ b: 'x' });
    store.acknowledged({ b: 'x' }, 9);
    store.reopened(view({ a: 'after a restart', b: 'merged' }));
    expect(store.getState().data).toEqual({ a: 'after a restart', b: 'merged' });
    store.patch({ b: 'typed on the new worker' }, 1);
    expect(store.getState().data.b).toBe('typed on the new worker');
  });

  it('a view keeps fields still being typed but takes its status', () => {
    const store = createSectionStore();
    store.view(view({ a: '', b: '' }), 0);
    store.typed({ a: 'typing' });
    store.view(view({ a: 'stale', b: 'server' }, 'saving'), 3);
    expect(store.getState()).toMatchObject({
      data: { a: 'typing', b: 'server' },
      status: 'saving',
    });
  });

  it('waits for every edit of a field before releasing it', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'm' });
    store.typed({ a: 'me' });
    store.acknowledged({ a: 'm' }, 1);
    store.patch({ a: 'x' }, 0);
    expect(store.getState().data.a).toBe('me');
  });
});

describe('section store status (contract §4: saved means the server has every edit)', () => {
  it('a keystroke turns saved into pending at once, before the worker answers', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'x' });
    expect(store.getState().status).toBe('pending');
  });

  it('a saved view sent before the worker had the keystroke stays pending', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'x' });
    store.view(view({ a: '' }, 'saved'), 0);
    expect(store.getState().status).toBe('pending');
    store.acknowledged({ a: 'x' }, 1);
    store.view(view({ a: 'x' }, 'saved'), 1);
    expect(store.getState().status).toBe('saved');
  });

  it("a saved view that includes our edit, arriving before the edit's answer, ends saved", () => {
    const store = createSectionStore();
    store.view(view({ a: '' }), 0);
    store.typed({ a: 'x' });
    store.typed({ a: 'xy' });
    // The worker applied both (seq 1, 2) and saved them before IndexedDB let it answer (R3).
    store.view(view({ a: 'xy' }, 'saved'), 2);
    store.acknowledged({ a: 'x' }, 1);
    expect(store.getState().status).toBe('pending');
    store.acknowledged({ a: 'xy' }, 2);
    expect(store.getState().status).toBe('saved');
    // One numbered before our last edit doesn't: a later view will say saved.
    store.typed({ a: 'xyz' });
    store.view(view({ a: 'xy' }, 'saved'), 2);
    store.acknowledged({ a: 'xyz' }, 3);
    expect(store.getState().status).toBe('pending');
  });

  it('keeps other statuses while typing, and an edit the worker refused is an error', () => {
    const store = createSectionStore();
    store.view(view({ a: '' }, 'saved-locally'), 0);
    store.typed({ a: 'x' });
    expect(store.getState().status).toBe('saved-locally');
    store.acknowledged({ a: 'x' }, Number.MAX_SAFE_INTEGER);
    store.fail('The sync worker did not answer.');
    expect(store.getState()).toMatchObject({
      status: 'error',
      message: 'The sync worker did not answer.',
    });
  });
});

// A tab typing into a just-opened section while the worker's answers (one port) and its views
// (another port) arrive in any interleaving: every keystroke must stay on screen and reach the
// worker (contract: silent loss of typed text is the worst bug). The worker is modelled as in
// worker/engine/step.ts: each edit bumps a worker-wide seq, a plain edit that changes the status
// sends a view numbered with it, saves send views of the current value, answers come in order.
describe('section store: keystrokes typed around the open answer and its first views', () => {
  const rng = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };

  function run(seed: number, text: string, otherField: boolean) {
    const random = rng(seed);
    const store = createSectionStore();
    const worker = { value: 'saved before', other: '', seq: 3, status: 'saved' as string };
    const inbox: string[] = [];
    const answers: (() => void)[] = [];
    const events: (() => void)[] = [];
    const viewNow = () => {
      const data = { a: worker.value, b: worker.other };
      const seq = worker.seq;
      const status = worker.status as SectionView['status'];
      events.push(() => store.view(view(data, status), seq));
    };
    // The open's answer: the worker's copy and its seq, on the answer port.
    {
      const data = { a: worker.value, b: worker.other };
      const seq = worker.seq;
      answers.push(() => store.view(view(data), seq));
    }
    let typed = 0;
    const full = `saved before${text}`;
    for (let steps = 0; steps < 10_000; steps++) {
      const moves: (() => void)[] = [];
      if (store.getState().loaded && typed < text.length)
        moves.push(() => {
          // The field shows the store's value; a key appends to what is shown.
          const value = `${String(store.getState().data.a ?? '')}${text[typed++]}`;
          store.typed({ a: value });
          inbox.push(value);
        });
      if (inbox.length > 0)
        moves.push(() => {
          const value = inbox.shift()!;
          worker.seq += 1;
          worker.value = value;
          const seq = worker.seq;
          if (worker.status === 'saved') {
            worker.status = 'pending';
            viewNow();
          }
          answers.push(() => store.acknowledged({ a: value }, seq));
        });
      if (answers.length > 0) moves.push(() => answers.shift()!());
      if (events.length > 0) moves.push(() => events.shift()!());
      if (worker.status !== 'saved')
        moves.push(() => {
          worker.status = worker.status === 'pending' ? 'saving' : 'saved';
          viewNow();
        });
      if (otherField)
        moves.push(() => {
          // Another tab types another field of the section.
          worker.seq += 1;
          worker.other += 'o';
          const fields = { b: worker.other };
          const seq = worker.seq;
          events.push(() => store.patch(fields, seq));
        });
      if (moves.length === 0) break;
      moves[Math.floor(random() * moves.length)]!();
      if (otherField && random() < 0.05) otherField = false;
    }
    return {
      shown: store.getState().data.a,
      worker: worker.value,
      full,
      status: store.getState().status,
    };
  }

  it('every typed character is shown and reaches the worker, in 3000 interleavings', () => {
    const lost: string[] = [];
    for (let seed = 1; seed <= 3000; seed++) {
      const { shown, worker, full } = run(seed, ' and saved from the tab', seed % 2 === 0);
      if (shown !== full || worker !== full)
        lost.push(`seed ${seed}: shown "${shown}", worker "${worker}"`);
    }
    expect(lost).toEqual([]);
  });

  it('ends saved once the worker saved every edit, whichever port answered first', () => {
    const stuck: number[] = [];
    for (let seed = 1; seed <= 3000; seed++)
      if (run(seed, ' typed', seed % 2 === 0).status !== 'saved') stuck.push(seed);
    expect(stuck).toEqual([]);
  });
});
