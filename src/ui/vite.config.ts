/**
 * The console's build: Vite + Preact (esbuild's JSX, no Babel), from src/ui to dist/ui, which
 * the npm package ships and `flotilla serve` serves on the API port (src/nbi/console.ts).
 *   npx vite build --config src/ui/vite.config.ts      (npm run build does it)
 *   npx vite --config src/ui/vite.config.ts            dev server; /api goes to FLOTILLA_API (http://127.0.0.1:7557)
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline polyfill script: the console's CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 300,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': { target: process.env.FLOTILLA_API ?? 'http://127.0.0.1:7557', changeOrigin: false } },
  },
});
