// Browser-test helpers: what a page complains about (the build/serve/launch part is
// scripts/web-harness.ts, shared with the benchmark).
import type { Page } from 'playwright-core';

export { startHarness, launchChromium, type WebHarness } from '../../scripts/web-harness.js';

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
