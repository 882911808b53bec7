// Browser-test helpers: what a page complains about (the build/serve/launch part is
// scripts/web-harness.ts, shared with the benchmark).
import type { Browser, Page } from 'playwright-core';
import { launchChromium as launch, startHarness as start, type BrowserKind, type WebHarness } from '../../scripts/web-harness.js';
import { requireSystemDependency } from '../helpers/system-deps.js';

export type { WebHarness };

/**
 * scripts/web-harness.ts's startHarness (build the page, serve it, launch Chromium), failing
 * first, naming the Debian package, when Chromium is not installed.
 * @throws MissingSystemDependencyError (E_SYSTEM_DEPENDENCY) without Debian's chromium
 */
export async function startHarness(routes?: Record<string, Uint8Array>, kind?: BrowserKind): Promise<WebHarness> {
  requireSystemDependency('chromium');
  return start(routes, kind);
}

/**
 * scripts/web-harness.ts's launchChromium (a fresh profile; 'webgpu' with SwiftShader's adapter),
 * failing first, naming the Debian package, when Chromium is not installed.
 * @throws MissingSystemDependencyError (E_SYSTEM_DEPENDENCY) without Debian's chromium
 */
export async function launchChromium(kind?: BrowserKind): Promise<Browser> {
  requireSystemDependency('chromium');
  return launch(kind);
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
