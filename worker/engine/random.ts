// A tiny seeded generator (mulberry32) whose whole state is one 32-bit number, so it can live in
// the engine's immutable state and the engine stays pure and replayable.

/** Returns a number in [0, 1) and the generator's next state. */
export function nextRandom(state: number): { value: number; state: number } {
  const next = (state + 0x6d2b79f5) | 0;
  let r = Math.imul(next ^ (next >>> 15), 1 | next);
  r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
  return { value: ((r ^ (r >>> 14)) >>> 0) / 4_294_967_296, state: next };
}
