// What the browser build serves besides the page: onnxruntime-web's .wasm/.mjs files under
// `ort/` (so nothing is fetched from a CDN) and the default model from `npm start` under
// `models/default.onnx`. A Vite plugin for `vite` / `vite build` / `vite preview`, and the
// headers that make the page cross-origin isolated (needed for multi-threaded WASM).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin, UserConfig } from 'vite';

/** onnxruntime-web's runtime files: the WASM-only flavour and the WebGPU (asyncify) flavour. */
export const ORT_FILES = [
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
] as const;

export const PROJECT_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
export const DEFAULT_MODEL = join(PROJECT_ROOT, 'runs/default/model.onnx');
export const DEFAULT_MODEL_URL = 'models/default.onnx';
/** `{ "default": "default.onnx" | null }`: lets the page ask without a 404 in the console. */
export const MANIFEST_URL = 'models/manifest.json';
const manifest = (present: boolean): string => JSON.stringify({ default: present ? 'default.onnx' : null });

/** COOP + COEP: `crossOriginIsolated`, so onnxruntime-web may use WASM threads. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

export function ortDistDir(): string {
  return dirname(createRequire(join(PROJECT_ROOT, 'package.json')).resolve('onnxruntime-web'));
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, type: string): void {
  // A validator, so a returning page revalidates (304) instead of fetching 14–27 MB of wasm again.
  const st = statSync(path);
  const etag = `"${st.size.toString(36)}-${Math.round(st.mtimeMs).toString(36)}"`;
  const headers = { 'Cache-Control': 'no-cache', ETag: etag, ...ISOLATION_HEADERS };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': type });
  createReadStream(path).pipe(res);
}

/** Serves `/ort/*` and `/models/default.onnx` (404 when there is no default model yet). */
function middleware(defaultModel: string) {
  const ortDir = ortDistDir();
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = (req.url ?? '').split('?')[0]!;
    const ort = /\/ort\/([\w.-]+)$/.exec(path);
    if (ort && (ORT_FILES as readonly string[]).includes(ort[1]!)) {
      return sendFile(req, res, join(ortDir, ort[1]!), ort[1]!.endsWith('.wasm') ? MIME['.wasm']! : MIME['.mjs']!);
    }
    if (path.endsWith(`/${MANIFEST_URL}`)) {
      res.writeHead(200, { 'Content-Type': MIME['.json']!, 'Cache-Control': 'no-cache', ...ISOLATION_HEADERS }).end(manifest(existsSync(defaultModel)));
      return;
    }
    if (path.endsWith(`/${DEFAULT_MODEL_URL}`)) {
      if (existsSync(defaultModel)) return sendFile(req, res, defaultModel, MIME['.onnx']!);
      res.writeHead(404, ISOLATION_HEADERS).end('no default model: run `npm start` to train one');
      return;
    }
    next();
  };
}

export function highwayWebAssets(opts: { defaultModel?: string } = {}): Plugin {
  const defaultModel = opts.defaultModel ?? DEFAULT_MODEL;
  let outDir = '';
  return {
    name: 'highway-onnx-web-assets',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(middleware(defaultModel));
      server.httpServer?.once('listening', () => {
        server.config.logger.info(
          existsSync(defaultModel)
            ? `  highway-onnx: preloading the default model ${defaultModel}`
            : `  highway-onnx: no ${defaultModel} (run \`npm start\`): the page trains a small model in the browser when it opens`,
        );
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware(defaultModel));
    },
    // Copied, not emitted: 40 MB of wasm need not pass through the bundler.
    async writeBundle() {
      await mkdir(join(outDir, 'ort'), { recursive: true });
      await mkdir(join(outDir, 'models'), { recursive: true });
      await writeFile(join(outDir, MANIFEST_URL), manifest(existsSync(defaultModel)));
      await Promise.all(ORT_FILES.map((f) => copyFile(join(ortDistDir(), f), join(outDir, 'ort', f))));
      if (existsSync(defaultModel)) {
        await copyFile(defaultModel, join(outDir, DEFAULT_MODEL_URL));
      }
    },
  };
}

/**
 * The Vite config of the demo (examples/web/vite.config.ts re-exports it; not at the project root,
 * where vitest would take it for its own): build into dist/web, the demo page plus the harness
 * page the browser tests and benchmark drive.
 */
export function webViteConfig(): UserConfig {
  const root = join(PROJECT_ROOT, 'examples/web');
  return {
    root,
    base: './',
    publicDir: false,
    build: {
      outDir: join(PROJECT_ROOT, 'dist/web'),
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: { main: join(root, 'index.html'), bench: join(root, 'bench.html') } },
    },
    worker: { format: 'es' },
    // onnxruntime-web's "extern wasm" builds: the runtime glue (.mjs) and .wasm are fetched from
    // env.wasm.wasmPaths (the page sets it to ort/), not embedded, nor re-emitted by the bundler.
    // The demo imports the package by name, as a user's app does; here it is the source.
    resolve: {
      conditions: ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'development|production'],
      alias: { 'highway-onnx/web': join(PROJECT_ROOT, 'src/web/index.ts') },
    },
    // Pre-bundling would move its module away from where it expects to be.
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    server: { headers: { ...ISOLATION_HEADERS }, port: 5173 },
    preview: { headers: { ...ISOLATION_HEADERS }, port: 4173 },
    plugins: [highwayWebAssets()],
  };
}
