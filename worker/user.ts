// Who a token belongs to: its `sub`. The worker keys local data, credentials and the writer lock
// by it (U1, R19); the token itself is checked by the server, not here.

/** The user a token belongs to (its `sub`); `unknown` for a token that isn't a readable JWT. */
export function userOf(token: string): string {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub.length > 0 ? sub : 'unknown';
  } catch {
    return 'unknown';
  }
}
