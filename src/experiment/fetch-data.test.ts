// `npm run fetch-data`: the tree conversion, the offline path (--from a zip), and the clear
// failure where there is no network.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSstTree, sstTreesToLines } from '../data/sst-trees.js';
import { DataFormatError } from '../data/errors.js';
import { crc32 } from '../formats/zip.js';
import { readDataset } from '../data/files.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'highway-fetch-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/fetch-data.ts'), ...args], { cwd: root, timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

/** A zip with deflated entries, as the Stanford distribution has. */
function zip(files: Record<string, string>): Uint8Array {
  const enc = new TextEncoder();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const raw = enc.encode(text);
    const comp = deflateRawSync(raw);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(raw), 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(raw), 16);
    central.writeUInt32LE(comp.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, comp);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Object.keys(files).length, 8);
  eocd.writeUInt16LE(Object.keys(files).length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, eocd]));
}

const TREES = {
  train: '(3 (2 It) (4 (4 (2 \'s) (4 (3 (2 a) (4 gem)))) (2 .)))\n(1 (2 A) (1 (1 dull) (2 (2 -LRB-) (2 (2 film) (2 -RRB-)))))\n(2 (2 So) (2 so))\n',
  dev: '(4 (4 Superb) (2 .))\n(0 (0 Awful) (2 .))\n',
  test: '(3 (3 Good) (2 fun))\n(1 (1 Weak))\n',
};

describe('SST trees → sentence ||| label', () => {
  it('takes the root label and the leaves, unescaping brackets', () => {
    expect(parseSstTree(TREES.train.split('\n')[0]!, 'f', 1)).toEqual({ text: "It 's a gem .", label: 3 });
    expect(sstTreesToLines(TREES.train, 'f')).toBe("It 's a gem . ||| 3\nA dull ( film ) ||| 1\nSo so ||| 2\n");
  });

  it('names file and line of a malformed tree', () => {
    expect(() => sstTreesToLines('(3 (2 ok))\n(3 (2 not closed)\n', 'trees/train.txt')).toThrow(DataFormatError);
    expect(() => sstTreesToLines('(3 (2 ok))\n(3 (2 not closed)\n', 'trees/train.txt')).toThrow(/trees\/train\.txt:2: expected balanced parentheses/);
    expect(() => sstTreesToLines('no tree here', 'x.txt')).toThrow(/x\.txt:1: expected a tree/);
  });
});

describe('npm run fetch-data', () => {
  it('fails clearly (non-zero, says where to put the files) when the download fails', async () => {
    const out = path.join(tmp, 'nonet');
    const r = await run(['--url', 'http://127.0.0.1:9/trainDevTestTrees_PTB.zip', '--out', out, '--timeout', '10']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/download failed: http:\/\/127\.0\.0\.1:9\/trainDevTestTrees_PTB\.zip/);
    expect(r.stderr).toContain('--from trainDevTestTrees_PTB.zip');
    expect(r.stderr).toContain(`place train.txt, dev.txt, test.txt`);
  }, 60_000);

  it('converts a downloaded zip offline (--from)', async () => {
    const file = path.join(tmp, 'trainDevTestTrees_PTB.zip');
    await writeFile(file, zip({ 'trees/train.txt': TREES.train, 'trees/dev.txt': TREES.dev, 'trees/test.txt': TREES.test }));
    const out = path.join(tmp, 'sst');
    const r = await run(['--from', file, '--out', out]);
    expect(r.stderr).toMatch(/binary \(SST-2, neutral dropped\) 2\/2\/2/);
    expect(r.code).toBe(0);
    expect(await readFile(path.join(out, 'dev.txt'), 'utf8')).toBe('Superb . ||| 4\nAwful . ||| 0\n');
    const d = await readDataset(out);
    expect(d.train.map((e) => e.label)).toEqual([1, 0]);
    // A second run leaves existing files alone.
    const again = await run(['--from', file, '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already holds/);
  }, 60_000);
});
