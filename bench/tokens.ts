// `node --import tsx bench/tokens.ts`: what signing and verifying one access token costs, ES256
// (local mode's default, a Supabase project on signing keys) against HS256 (the legacy secret).
// Bounded: a fixed number of tokens per row, each row twice (the first warms the JIT up).
import { createTokenVerifier } from '../supabase/functions/_shared/auth.ts';
import { signAccessToken, verifierKeys, type Signer } from '../server/signing.ts';
import { TEST_SECRET, TEST_SIGNING } from '../server/test-support.ts';

const N = 2_000;
const SUB = '5b0e7a3c-1f2d-4c5b-9a8e-7d6c5b4a3f21';
const verify = createTokenVerifier(verifierKeys(TEST_SIGNING));
const signers: [string, Signer][] = [
  ['ES256', { alg: 'ES256', key: TEST_SIGNING.key }],
  ['HS256', { alg: 'HS256', secret: TEST_SECRET }],
];

async function perToken(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < N; i++) await run();
  return ((performance.now() - started) / N) * 1000;
}

const rows: Record<string, string>[] = [];
for (let round = 0; round < 2; round++)
  for (const [alg, signer] of signers) {
    const token = await signAccessToken(signer, { sub: SUB });
    const sign = await perToken(() => signAccessToken(signer, { sub: SUB }));
    const check = await perToken(() => verify(token));
    if (round === 1) rows.push({ alg, 'sign µs': sign.toFixed(0), 'verify µs': check.toFixed(0) });
  }
console.table(rows);
