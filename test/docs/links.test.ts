// The README and the docs pages link only to files and headings that exist, so moving a
// section or renaming a file cannot leave a dead link or a missing image behind.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenLinks, githubSlug } from './md-links.js';

const root = resolve(import.meta.dirname, '../..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('Markdown links', () => {
  it.each(pages)('%s: every relative link, image and anchor resolves', (page) => {
    const file = join(root, page);
    expect(brokenLinks(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('the checker reports a missing file, a missing image and a missing anchor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-links-'));
    writeFileSync(join(dir, 'other.md'), '# Other page\n\n## Serving, in depth\n');
    const page = join(dir, 'page.md');
    const text = [
      '# Title',
      '[ok](other.md#serving-in-depth) [ok](#title) `[code](nowhere.md)`',
      '[gone](missing.md) ![img](pics/chart.svg)',
      '[bad anchor](other.md#serving) [bad local](#nothing)',
      '```',
      '[in a fence](also-missing.md)',
      '```',
    ].join('\n');
    writeFileSync(page, text);
    expect(brokenLinks(page, text).map((b) => [b.line, b.target])).toEqual([
      [3, 'missing.md'],
      [3, 'pics/chart.svg'],
      [4, 'other.md#serving'],
      [4, '#nothing'],
    ]);
  });

  it('anchors follow GitHub: punctuation dropped, repeats numbered', () => {
    expect(githubSlug('Sweeps on many machines (BullMQ over Redis)')).toBe('sweeps-on-many-machines-bullmq-over-redis');
    expect([...anchorsOf('# A\n## A\n## **B** c\n## Smaller models: `export --dtype`\n')]).toEqual(['a', 'a-1', 'b-c', 'smaller-models-export---dtype']);
  });
});
