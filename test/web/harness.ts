// Shared by the browser tests and the browser benchmark: build the page (Vite, into a
// temporary directory), serve it, and drive Debian's Chromium through playwright-core.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../scripts/web-assets.js';
import { serveStatic, type StaticServer } from '../../scripts/web-serve.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** DESIGN.md's flags; a fresh user-data-dir comes from launch() itself (a new temporary profile). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`;
}

/** `vite build` of examples/web into a fresh temporary directory. */
export async function buildWeb(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'highway-web-'));
  const { build } = await import('vite');
  await build({ configFile: join(PROJECT_ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export interface WebHarness {
  dir: string;
  server: StaticServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function startHarness(routes: Record<string, Uint8Array> = {}): Promise<WebHarness> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const dir = await buildWeb();
  const server = await serveStatic(dir, { routes });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
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

export interface PageProblems {
  /** console.error messages, uncaught exceptions, failed requests, requests to other origins. */
  errors: string[];
  warnings: string[];
}

/** Record what a page complains about, from before its first request. */
export function watch(page: Page, origin: string): PageProblems {
  const p: PageProblems = { errors: [], warnings: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') p.errors.push(`console.error: ${m.text()}`);
    else if (m.type() === 'warning') p.warnings.push(m.text());
  });
  page.on('pageerror', (e) => p.errors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => p.errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) p.errors.push(`request outside the page's origin: ${url}`);
  });
  return p;
}
