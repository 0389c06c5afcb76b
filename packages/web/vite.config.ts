import { defineConfig } from 'vite';

/** The page is served by `mlayer server --web` from dist/ (relative asset paths: any mount point). */
export default defineConfig({
  root: __dirname,
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1200 },
});
