// Drive the browser build from Node: build the page with Vite into a temporary directory,
// serve it (scripts/web-serve.ts), launch Debian's Chromium through playwright-core with
// DESIGN.md's flags. Used by the browser tests (src/web/*.test.ts) and benchmark (scripts/bench/browser.ts).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { webViteConfig } from './web-assets.js';
import { serveStatic, type StaticServer } from './web-serve.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/**
 * Chromium with a WebGPU adapter and no GPU: SwiftShader (software Vulkan, shipped with
 * Chromium). Pages on http://127.0.0.1 get it (navigator.gpu needs a secure context). A real
 * GPU is used instead when CHROMIUM_WEBGPU_ADAPTER is set to '' (hardware) on such a machine.
 */
export const CHROMIUM_WEBGPU_ARGS = [
  '--headless', '--no-sandbox', '--enable-unsafe-webgpu',
  ...((process.env.CHROMIUM_WEBGPU_ADAPTER ?? 'swiftshader') ? [`--use-webgpu-adapter=${process.env.CHROMIUM_WEBGPU_ADAPTER ?? 'swiftshader'}`] : []),
  '--disable-background-networking', '--disable-component-update', '--no-first-run',
];

/** Which browser: 'wasm' (no GPU at all, as DESIGN.md's flags) or 'webgpu' (an adapter, software without a GPU). */
export type BrowserKind = 'wasm' | 'webgpu';

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`;
}

/** `vite build` of examples/web into a fresh temporary directory (dist/web is left alone). */
export async function buildWeb(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'highway-web-'));
  const { build, mergeConfig } = await import('vite');
  await build(mergeConfig(webViteConfig(), { configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true } }));
  return outDir;
}

/** Chromium with a fresh profile (playwright gives every launch a new temporary user-data-dir). */
export function launchChromium(kind: BrowserKind = 'wasm'): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({ executablePath: CHROMIUM, args: kind === 'webgpu' ? CHROMIUM_WEBGPU_ARGS : CHROMIUM_ARGS });
}

export interface WebHarness {
  dir: string;
  server: StaticServer;
  browser: Browser;
  close(): Promise<void>;
}

/** Build, serve (with extra in-memory routes, e.g. a model) and launch; close() undoes all three. */
export async function startHarness(routes: Record<string, Uint8Array> = {}, kind: BrowserKind = 'wasm'): Promise<WebHarness> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const dir = await buildWeb();
  const server = await serveStatic(dir, { routes });
  const browser = await launchChromium(kind).catch(async (e: unknown) => {
    await server.close();
    throw e;
  });
  return {
    dir,
    server,
    browser,
    close: async () => {
      await browser.close().catch(() => {});
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
