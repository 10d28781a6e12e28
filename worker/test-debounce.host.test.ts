// The test-only save window (docs/testing.md): a hello with test hooks may set the R4 debounce;
// a hello without them can't, so no production tab ever changes it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryApi } from './adapters/memory-api.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { SAVE_DEBOUNCE_MS } from './engine/index.ts';
import { SyncHost } from './host.ts';
import { PROTOCOL_VERSION } from './protocol.ts';

const PLAN = '00000000-0000-4000-8000-000000000001';
const KEY = 'section-one' as const;

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

async function typeWith(hello: { testHooks?: boolean; testDebounceMs?: number }) {
  const api = new MemoryApi();
  const host = new SyncHost({ api, store: new MemoryStore(), seed: 1, log: () => {} });
  const session = host.createSession();
  const answer = await session.hello(
    {
      protocolVersion: PROTOCOL_VERSION,
      tabId: 'A',
      functionsUrl: 'http://localhost:54321/functions/v1',
      accessToken: 'token-1',
      ...hello,
    },
    () => {},
  );
  expect(answer.ok).toBe(true);
  await session.open(PLAN, KEY);
  await session.edit(PLAN, KEY, { motivation: 'one' });
  /** PUTs after `ms` more of the clock. */
  const putsAfter = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    return api.puts.length;
  };
  return { putsAfter };
}

describe('R4 with a test-only save window', () => {
  it('a hello with test hooks sets the window for this worker', async () => {
    const { putsAfter } = await typeWith({ testHooks: true, testDebounceMs: 30_000 });
    expect(await putsAfter(30_000 - 1)).toBe(0);
    expect(await putsAfter(1)).toBe(1);
  });

  it('without test hooks the setting is ignored: the window stays SAVE_DEBOUNCE_MS', async () => {
    const { putsAfter } = await typeWith({ testDebounceMs: 30_000 });
    expect(await putsAfter(SAVE_DEBOUNCE_MS)).toBe(1);
  });
});
