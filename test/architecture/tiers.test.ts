// The tier lists name real files: an entry left behind by a move or a rename would silently send
// its test to the unit tier (or nowhere), so each glob must match at least one test file.
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../train/cli-child.js';
import { E2E, INTEGRATION } from '../tiers.js';

describe('test tiers', () => {
  it.each([...INTEGRATION, ...E2E])('%s matches a test file', (glob) => {
    expect(globSync(glob, { cwd: ROOT }).length).toBeGreaterThan(0);
  });

  it('no file is in two tiers', () => {
    const integration = new Set(INTEGRATION.flatMap((g) => globSync(g, { cwd: ROOT })));
    const both = E2E.flatMap((g) => globSync(g, { cwd: ROOT })).filter((f) => integration.has(f));
    expect(both).toEqual([]);
  });
});
