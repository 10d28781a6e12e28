import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { localApi } from './server/vite-plugin.ts';

export default defineConfig({
  // localApi: `npm run dev` serves the same API as `npm start` (auth subset, functions, PGlite).
  plugins: [react(), localApi()],
  worker: { format: 'es' },
  // The engines README "Browsers" names: SharedWorker or Worker + BroadcastChannel, Web Locks,
  // IndexedDB, module workers; older ones get the unsupported-browser page (src/browser-support.ts).
  build: {
    outDir: 'dist',
    sourcemap: true,
    target: ['chrome111', 'edge111', 'firefox128', 'safari16.4'],
  },
});
