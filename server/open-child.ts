// Test helper (run by server/data-lock.test.ts): opens DATA_DIR with openLocalServer when told
// `go` on stdin, signs up `SIGNUPS` users and prints how many were acknowledged, then closes on
// `close`. Prints `ready`, then `opened` or `refused <the one-line error>`.
import { createInterface } from 'node:readline';
import { openLocalServer } from './local.ts';
import { firstLine } from './pgdata.ts';

const [dataDir = '', prefix = 'user', signups = '20'] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin });
const said = (word: string) =>
  new Promise<void>((resolve) => lines.on('line', (line) => line === word && resolve()));
const go = said('go');
const close = said('close');
console.log('ready');
await go;
try {
  const local = await openLocalServer({ dataDir, log: () => {} });
  console.log('opened');
  let acked = 0;
  for (let i = 0; i < Number(signups); i++) {
    const res = await local.app.request('/auth/v1/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${prefix}-${i}@example.com`, password: 'race-password' }),
    });
    if (res.status === 200) acked += 1;
  }
  console.log(`acked ${acked}`);
  await close;
  await local.close();
  process.exit(0);
} catch (error) {
  console.log(`refused ${firstLine(error)}`);
  process.exit(1);
}
