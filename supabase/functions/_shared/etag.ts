// Conditional GET for sections: a weak ETag made from the ids and versions of the sections in an
// answer (a save always bumps the version, so the tag changes exactly when the answer does), and
// the If-None-Match check. Web APIs only (crypto.subtle), so it runs the same on Deno and Node.
import type { PlanSection } from './schema.ts';

const toBase64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** `W/"<22 base64url chars>"`: a digest of each section's id and version, in answer order. */
export async function sectionsEtag(sections: readonly PlanSection[]): Promise<string> {
  const text = sections.map((s) => `${s.id}:${s.version}`).join(',');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return `W/"${toBase64Url(new Uint8Array(digest).slice(0, 16))}"`;
}

/**
 * Whether an `If-None-Match` header matches `etag`, with the weak comparison GET uses (RFC 9110
 * §13.1.2): `*`, or any tag in the list equal to it once `W/` is dropped.
 */
export function ifNoneMatchMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return header.split(',').some((tag) => opaque(tag) === wanted);
}
