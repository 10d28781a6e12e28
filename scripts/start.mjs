// `npm start`: build the app when its sources changed since the last build, then run the server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const built = join(root, 'dist', 'index.html');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const sources = [
  'src',
  'worker',
  'supabase/functions/_shared',
  'index.html',
  'vite.config.ts',
  'package.json',
];
const stale =
  !existsSync(built) ||
  sources.some((s) => existsSync(join(root, s)) && newest(join(root, s)) > statSync(built).mtimeMs);
if (stale) {
  console.log('Building the app (first start or sources changed)…');
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) {
    console.error(
      'The app did not build; the errors are above. Fix them and run `npm start` again.',
    );
    process.exit(build.status ?? 1);
  }
}
const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
