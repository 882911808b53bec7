import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dataDir = path.dirname(fileURLToPath(import.meta.url));
// The only files allowed to reach the file system; everything else also runs in the browser.
const NODE_ONLY = new Set(['files.ts', 'node.ts', 'line-reader.ts']);

describe('src/data browser safety', () => {
  it('the error base it extends imports nothing', () => {
    const src = readFileSync(path.join(dataDir, '..', 'errors.ts'), 'utf8');
    expect(src).not.toMatch(/\bimport\b|\brequire\(/);
  });

  it('core files import nothing Node-only', () => {
    const core = readdirSync(dataDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NODE_ONLY.has(f));
    expect(core).toContain('index.ts');
    for (const file of core) {
      const src = readFileSync(path.join(dataDir, file), 'utf8');
      const imports = [...src.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g)].map((m) => m[1] ?? m[2]);
      // src/errors.ts (the CodedError base) is the one module outside src/data it may use; it imports nothing (below).
      const outside = imports.filter((spec) => !spec!.startsWith('./') && spec !== '../errors.js');
      expect(outside, `${file} imports ${outside.join(', ')}`).toEqual([]);
      expect(src, file).not.toMatch(/\bprocess\.|\bBuffer\b|toLocale(?:Lower|Upper)Case|localeCompare/);
    }
  });
});
