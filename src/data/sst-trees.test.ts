// The SST tree reader: node spans and labels, phrase examples, escapes, errors; and the real
// treebank files in ../shared/data/sst-trees checked against the published counts and
// against the `sentence ||| label` copy of the same splits.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSstTreeNodes, parseSstTrees } from './sst-trees.js';
import { parseSst } from './readers.js';
import { DataFormatError } from './errors.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const treesDir = path.resolve(projectRoot, '../shared/data/sst-trees');
const sstDir = path.resolve(projectRoot, '../shared/data/sst');

const GEM = "(3 (2 It) (4 (4 (2 's) (4 (3 (2 a) (4 gem)))) (2 .)))";

describe('parseSstTreeNodes', () => {
  it('gives the leaves and every node in pre-order with its leaf span', () => {
    const t = parseSstTreeNodes(GEM, 'f', 1);
    expect(t.words).toEqual(['It', "'s", 'a', 'gem', '.']);
    expect(t.nodes).toEqual([
      { label: 3, start: 0, end: 5 },
      { label: 2, start: 0, end: 1 },
      { label: 4, start: 1, end: 5 },
      { label: 4, start: 1, end: 4 },
      { label: 2, start: 1, end: 2 },
      { label: 4, start: 2, end: 4 },
      { label: 3, start: 2, end: 4 },
      { label: 2, start: 2, end: 3 },
      { label: 4, start: 3, end: 4 },
      { label: 2, start: 4, end: 5 },
    ]);
  });

  it('undoes PTB escapes and keeps a no-break space inside its leaf', () => {
    const t = parseSstTreeNodes('(2 (2 -LRB-) (2 (2 8\u00a01\\/2) (2 (2 \\*\\*) (2 -RRB-))))', 'f', 1);
    expect(t.words).toEqual(['(', '8\u00a01/2', '**', ')']);
  });

  it('names file, line, what was expected and what was found', () => {
    const bad: [string, RegExp][] = [
      ['no tree', /f:7: expected a tree starting/],
      ['(3 (2 ok)', /f:7: expected balanced parentheses, found a tree that is not closed/],
      ['(3 (7 ok))', /f:7: expected a label 0-4 after '\(', found "7"/],
      ['(3 (2 two words))', /f:7: expected one word per leaf/],
      ['(3 word (2 sub))', /f:7: expected a node holding one word or only subtrees/],
      ['(3 (2 a)) (2 b)', /f:7: expected one tree per line/],
      ['(3 (2 a) ())', /f:7: expected a label 0-4 after '\('/],
    ];
    for (const [tree, message] of bad) {
      expect(() => parseSstTreeNodes(tree, 'f', 7), tree).toThrow(DataFormatError);
      expect(() => parseSstTreeNodes(tree, 'f', 7), tree).toThrow(message);
    }
  });
});

describe('parseSstTrees', () => {
  const file = `${GEM}\n\n(1 (2 A) (1 (1 dull) (2 film)))\n(2 (2 So) (2 so))\n`;

  it('sentences only by default: root labels, SST-2 mapping, neutral roots dropped', () => {
    const s = parseSstTrees(file, { file: 'f', binary: true, phrases: false });
    expect(s.examples).toEqual([{ text: "It 's a gem .", label: 1 }, { text: 'A dull film', label: 0 }]);
    expect(s.labels).toEqual(['negative', 'positive']);
    expect(s.labelKind).toBe('fixed');
  });

  it('phrases: every non-neutral node, 0–1 negative, 3–4 positive, in tree order', () => {
    const s = parseSstTrees(file, { file: 'f', binary: true, phrases: true });
    expect(s.examples).toEqual([
      { text: "It 's a gem .", label: 1 },
      { text: "'s a gem .", label: 1 },
      { text: "'s a gem", label: 1 },
      { text: 'a gem', label: 1 },
      { text: 'a gem', label: 1 },
      { text: 'gem', label: 1 },
      { text: 'A dull film', label: 0 },
      { text: 'dull film', label: 0 },
      { text: 'dull', label: 0 },
    ]);
  });

  it('distinct phrases keep the first of each (text, label) pair', () => {
    const s = parseSstTrees(`${file}(4 (4 gem))\n(0 (0 gem))\n`, { file: 'f', binary: true, phrases: true, distinct: true });
    expect(s.examples.map((e) => `${e.label} ${e.text}`)).toEqual([
      "1 It 's a gem .", "1 's a gem .", "1 's a gem", '1 a gem', '1 gem', '0 A dull film', '0 dull film', '0 dull', '0 gem',
    ]);
  });

  it('five classes keep neutral nodes and the 0–4 labels', () => {
    const s = parseSstTrees(file, { file: 'f', binary: false, phrases: true });
    expect(s.examples.length).toBe(10 + 5 + 3);
    expect(s.examples.filter((e) => e.label === 2).map((e) => e.text)).toEqual(['It', "'s", 'a', '.', 'A', 'film', 'So so', 'So', 'so']);
    expect(s.labels).toEqual(['very negative', 'negative', 'neutral', 'positive', 'very positive']);
  });
});

describe('the real treebank (../shared/data/sst-trees)', () => {
  const read = (dir: string, split: string): Promise<string> => readFile(path.join(dir, `${split}.txt`), 'utf8');

  it('8544 / 1101 / 2210 trees; their roots are the sentence file, sentence for sentence', async () => {
    const counts: number[] = [];
    for (const split of ['train', 'dev', 'test']) {
      const trees = await read(treesDir, split);
      counts.push(parseSstTrees(trees, { file: split, binary: false, phrases: false }).examples.length);
      // The sentence copy keeps PTB's `\*` escape (25 tokens); everything else is identical.
      const sentences = parseSst((await read(sstDir, split)).replace(/\\\*/g, '*'), { file: split, binary: false });
      expect(parseSstTrees(trees, { file: split, binary: false, phrases: false }).examples).toEqual(sentences.examples);
    }
    expect(counts).toEqual([8544, 1101, 2210]);
  });

  it('train: 98,794 non-neutral labelled nodes, 77,616 distinct (phrase, label) pairs, 7.5 tokens on average', async () => {
    const trees = await read(treesDir, 'train');
    const all = parseSstTrees(trees, { file: 'train', binary: true, phrases: true });
    const distinct = parseSstTrees(trees, { file: 'train', binary: true, phrases: true, distinct: true });
    expect(all.examples.length).toBe(98_794);
    expect(distinct.examples.length).toBe(77_616);
    const tokens = all.examples.reduce((a, e) => a + e.text.split(' ').length, 0);
    expect(tokens / all.examples.length).toBeCloseTo(7.52, 2);
    // Independent count: every "(d " with d ≠ 2 in the raw text is one labelled non-neutral node.
    expect((trees.match(/\([0134] /g) ?? []).length).toBe(98_794);
  });
});
