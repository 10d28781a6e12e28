// The bench build (`npm run bench:compare`): the app plus the two baselines' pages (bench/pages),
// into .tmp/bench-dist. The production build (vite.config.ts) has only index.html.
import { defineConfig, mergeConfig } from 'vite';
import base from './vite.config.ts';

export default mergeConfig(
  base,
  defineConfig({
    build: {
      outDir: '.tmp/bench-dist',
      emptyOutDir: true,
      rollupOptions: {
        input: {
          main: 'index.html',
          seed: 'bench/pages/seed.html',
          floor: 'bench/pages/floor.html',
        },
      },
    },
  }),
);
