import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDataset } from './builtin.js';
import { DataFormatError, DataOptionError } from './errors.js';
import { detectFormat, readDataset, writeSplits } from './files.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sstDir = path.resolve(projectRoot, '../shared/data/sst');
const treesDir = path.resolve(projectRoot, '../shared/data/sst-trees');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'highway-data-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function makeDir(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content);
  return dir;
}

describe('readDataset on the Stanford Sentiment Treebank', () => {
  it('binary: 6920 / 872 / 1821', async () => {
    const d = await readDataset(sstDir);
    expect([d.train.length, d.dev.length, d.test.length]).toEqual([6920, 872, 1821]);
    expect(d.labels).toEqual(['negative', 'positive']);
    expect(d.train[0]).toEqual({
      text: "The Rock is destined to be the 21st Century 's new `` Conan '' and that he 's going to make a splash even greater than Arnold Schwarzenegger , Jean-Claud Van Damme or Steven Segal .",
      label: 1,
    });
  });

  it('five classes: 8544 / 1101 / 2210', async () => {
    const d = await readDataset(sstDir, { format: 'sst', binary: false });
    expect([d.train.length, d.dev.length, d.test.length]).toEqual([8544, 1101, 2210]);
    expect(d.labels).toHaveLength(5);
  });
});

describe('readDataset on the SST trees', () => {
  it('detects trees; sentences by default, the same as the sentence copy (binary and five classes)', async () => {
    expect(await detectFormat(treesDir)).toBe('trees');
    expect(await detectFormat(sstDir)).toBe('sst');
    const d = await readDataset(treesDir);
    expect([d.train.length, d.dev.length, d.test.length]).toEqual([6920, 872, 1821]);
    expect(d.labels).toEqual(['negative', 'positive']);
    expect(d.train[0]).toEqual((await readDataset(sstDir)).train[0]);
    const five = await readDataset(treesDir, { format: 'trees', binary: false });
    expect([five.train.length, five.dev.length, five.test.length]).toEqual([8544, 1101, 2210]);
  });

  it('phrases: every labelled node of the training trees; dev and test stay whole sentences', async () => {
    const two = await readDataset(treesDir, { phrases: true });
    expect([two.train.length, two.dev.length, two.test.length]).toEqual([98_794, 872, 1821]);
    const distinct = await readDataset(treesDir, { phrases: true, distinctPhrases: true });
    expect([distinct.train.length, distinct.dev.length, distinct.test.length]).toEqual([77_616, 872, 1821]);
    const five = await readDataset(treesDir, { phrases: true, binary: false });
    expect([five.dev.length, five.test.length]).toEqual([1101, 2210]);
    // All nodes of all training trees, neutral included: one per '(' in the file.
    const raw = await readFile(path.join(treesDir, 'train.txt'), 'utf8');
    expect(five.train.length).toBe((raw.match(/\(/g) ?? []).length);
  });

  it('a sentence file starting with a bracket is not taken for trees; phrases need trees', async () => {
    const paren = await makeDir('paren', { 'train.txt': '( 3 ) stars ||| 3\n', 'dev.txt': 'b ||| 3\n', 'test.txt': 'c ||| 0\n' });
    expect(await detectFormat(paren)).toBe('sst');
    const err = await readDataset(paren, { phrases: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataOptionError);
    expect((err as DataOptionError).code).toBe('E_DATA_OPTION');
    expect((err as Error).message).toMatch(/phrase-level training needs SST trees \(format 'trees'\); the data in .*paren is format 'sst'/);
    const trees = await makeDir('small-trees', { 'train.txt': '\n(3 (3 fine) (2 film))\n', 'dev.txt': '(1 (1 bad))\n', 'test.txt': '(4 (4 great))\n' });
    expect(await detectFormat(trees)).toBe('trees');
    expect((await readDataset(trees, { phrases: true })).train).toEqual([{ text: 'fine film', label: 1 }, { text: 'fine', label: 1 }]);
    const bad = await makeDir('bad-trees', { 'train.txt': '(3 (3 fine) (2 film))\n(3 (9 x))\n', 'dev.txt': '(1 (1 bad))\n', 'test.txt': '(4 (4 great))\n' });
    await expect(readDataset(bad)).rejects.toThrow(/bad-trees\/train\.txt:2: expected a label 0-4/);
  });
});

describe('readDataset', () => {
  it('autodetects TSV, CSV and JSONL', async () => {
    const tsv = await makeDir('tsv', {
      'train.tsv': 'text\tlabel\ngood\tpos\nbad\tneg\n',
      'dev.tsv': 'text\tlabel\nfine\tpos\n',
      'test.tsv': 'text\tlabel\nmeh\tneg\n',
    });
    expect(await detectFormat(tsv)).toBe('tsv');
    const d = await readDataset(tsv);
    expect(d.labels).toEqual(['neg', 'pos']);
    expect(d.train).toEqual([
      { text: 'good', label: 1 },
      { text: 'bad', label: 0 },
    ]);
    expect(d.test).toEqual([{ text: 'meh', label: 0 }]);

    const csv = await makeDir('csv', {
      'train.csv': 'text,label\n"a, b",1\n',
      'dev.csv': 'text,label\nc,0\n',
      'test.csv': 'text,label\nd,1\n',
    });
    expect((await readDataset(csv)).train).toEqual([{ text: 'a, b', label: 1 }]);

    const jsonl = await makeDir('jsonl', {
      'train.jsonl': '{"text":"a","label":0}\n{"text":"a2","label":1}\n',
      'dev.jsonl': '{"text":"b","label":1}\n',
      'test.jsonl': '{"text":"c","label":1}\n',
    });
    const j = await readDataset(jsonl);
    expect(j.labels).toEqual(['0', '1']);
    expect(j.dev).toEqual([{ text: 'b', label: 1 }]);
  });

  it('says what it looked for when the directory, the data or a split is missing', async () => {
    await expect(readDataset(path.join(tmp, 'nope'))).rejects.toThrow(/data directory not found: .*nope/);
    const empty = await makeDir('empty', { 'readme.md': 'hi' });
    await expect(readDataset(empty)).rejects.toThrow(/no data set in .*empty: looked for train\.txt, train\.tsv, train\.csv, train\.jsonl/);
    const partial = await makeDir('partial', { 'train.txt': 'a ||| 1\n', 'dev.txt': 'b ||| 3\n' });
    await expect(readDataset(partial)).rejects.toThrow(/looked for train\.txt, dev\.txt, test\.txt; missing test\.txt/);
    await expect(readDataset(partial, { format: 'jsonl' })).rejects.toThrow(/missing train\.jsonl, dev\.jsonl, test\.jsonl/);
    const both = await makeDir('both', { 'train.txt': '', 'train.tsv': '' });
    await expect(readDataset(both)).rejects.toThrow(/several formats \(sst, tsv\); pass a format/);
  });

  it('passes on format errors with the file path and line', async () => {
    const bad = await makeDir('bad', { 'train.txt': 'a ||| 1\nb ||| x\n', 'dev.txt': 'b ||| 3\n', 'test.txt': 'c ||| 0\n' });
    const err = await readDataset(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).file).toBe(path.join(bad, 'train.txt'));
    expect((err as DataFormatError).line).toBe(2);
  });
});

describe('writeSplits', () => {
  it('round-trips the built-in data through SST format', async () => {
    const data = builtinDataset({ trainSize: 200, devSize: 40, testSize: 40 });
    const dir = path.join(tmp, 'builtin');
    await writeSplits(dir, data);
    expect(await readDataset(dir)).toEqual(data);
  });

  it('refuses labels SST cannot express', async () => {
    const data = { train: [], dev: [], test: [], labels: ['a', 'b', 'c'] };
    await expect(writeSplits(path.join(tmp, 'x'), data)).rejects.toThrow(/writes SST format/);
  });
});
