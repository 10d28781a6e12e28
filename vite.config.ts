import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { localApi } from './server/vite-plugin.ts';

export default defineConfig({
  // localApi: `npm run dev` serves the same API as `npm start` (auth subset, functions, PGlite).
  plugins: [react(), localApi()],
  worker: { format: 'es' },
  build: { outDir: 'dist', sourcemap: true },
});
