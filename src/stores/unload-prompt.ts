// B1 (docs/durability.md): leaving the page asks first only when an edit would be lost by it.

/**
 * Whether `beforeunload` should ask: only when some section holds an edit that exists nowhere but
 * in this tab's memory (typed, not acknowledged by the worker, so not in IndexedDB; or refused).
 * Everything the worker acknowledged is durable and reaches the server later without this tab.
 */
export function needsUnloadPrompt(onlyInMemory: readonly number[]): boolean {
  return onlyInMemory.some((count) => count > 0);
}
