// The browser demo (examples/web) and its build into dist/web: `npm run web` (dev server),
// `npm run build:web`. onnxruntime-web's wasm files are copied into the build (ort/), never
// fetched from a CDN; COOP/COEP headers make the page cross-origin isolated (WASM threads).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { highwayWebAssets, ISOLATION_HEADERS } from './scripts/web-assets.js';

export default defineConfig({
  root: fileURLToPath(new URL('./examples/web', import.meta.url)),
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    // The demo, and the harness page the browser tests and benchmark drive.
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./examples/web/index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./examples/web/bench.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' },
  // onnxruntime-web's "extern wasm" builds: the runtime glue (.mjs) and .wasm are fetched from
  // env.wasm.wasmPaths (set by the page to ort/), not embedded or re-emitted by the bundler.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'development|production'] },
  // Pre-bundling would move its module away from where it expects to be.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: { ...ISOLATION_HEADERS }, port: 5173 },
  preview: { headers: { ...ISOLATION_HEADERS }, port: 4173 },
  plugins: [highwayWebAssets()],
});
