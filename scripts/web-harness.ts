// Drive the browser build from Node: build the page with Vite into a temporary directory,
// serve it (scripts/web-serve.ts), launch Debian's Chromium through playwright-core with
// DESIGN.md's flags. Used by the browser tests (test/web) and benchmark (scripts/bench/browser.ts).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { webViteConfig } from './web-assets.js';
import { serveStatic, type StaticServer } from './web-serve.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

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
export function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface WebHarness {
  dir: string;
  server: StaticServer;
  browser: Browser;
  close(): Promise<void>;
}

/** Build, serve (with extra in-memory routes, e.g. a model) and launch; close() undoes all three. */
export async function startHarness(routes: Record<string, Uint8Array> = {}): Promise<WebHarness> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const dir = await buildWeb();
  const server = await serveStatic(dir, { routes });
  const browser = await launchChromium().catch(async (e: unknown) => {
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
