// §6 of issue 10 for PyTorch files: a few KB may not make the reader allocate or checksum
// gigabytes. Stride-0 views, aliased views and zip directories whose records share bytes
// are built here with the pickle/zip builders the interop tests use.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InteropError } from './errors.js';
import { MAX_EXPANDED_BYTES, readTorchStateDict } from './torch-pt.js';
import { readZipEntries } from './zip.js';
import { concat, makeZip } from '../../test/interop/helpers.js';
import { f32Bytes, ptZip, stateDictPickle, type TensorSpec } from '../../test/interop/pickle-builder.js';
import { runCli } from '../../test/loaders/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const big = new Uint8Array(8 << 20).map((_, i) => i * 7);

function interopError(f: () => unknown): InteropError {
  try {
    f();
  } catch (e) {
    if (e instanceof InteropError) return e;
    throw e;
  }
  throw new Error('expected an InteropError');
}

/**
 * `n` tensors, each a stride-0 view of one float storage expanded to about 2^24 elements
 * (64 MiB); their sizes differ by a column so no two are the same view.
 */
function expandedViews(n: number): Uint8Array {
  const specs: TensorSpec[] = Array.from({ length: n }, (_, i) => ({ name: `w${i}`, numel: 1, size: [4096, 4096 - i], stride: [0, 0] }));
  return ptZip(stateDictPickle(specs), { 0: f32Bytes([1.5]) });
}

/**
 * The zip of `entries`, plus `aliases` more central-directory records (named alias0, alias1, …)
 * that all point at the local header of the last entry.
 */
function aliasedZip(entries: [string, Uint8Array][], aliases: number): Uint8Array {
  const zip = makeZip(entries);
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const cdOffset = dv.getUint32(eocd + 16, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const count = dv.getUint16(eocd + 10, true);
  // The last central record: 46 fixed bytes + its name.
  const lastName = new TextEncoder().encode(entries[entries.length - 1]![0]);
  const last = zip.subarray(cdOffset + cdSize - 46 - lastName.length, cdOffset + cdSize);
  const copies: Uint8Array[] = [];
  for (let i = 0; i < aliases; i++) {
    const name = new TextEncoder().encode(`archive/alias${String(i).padStart(4, '0')}`);
    const rec = new Uint8Array(46 + name.length);
    rec.set(last.subarray(0, 46));
    new DataView(rec.buffer).setUint16(28, name.length, true);
    rec.set(name, 46);
    copies.push(rec);
  }
  const extra = copies.reduce((s, c) => s + c.length, 0);
  const eocdNew = zip.slice(eocd);
  const ev = new DataView(eocdNew.buffer);
  ev.setUint16(8, count + aliases, true);
  ev.setUint16(10, count + aliases, true);
  ev.setUint32(12, cdSize + extra, true);
  return concat([zip.subarray(0, cdOffset + cdSize), ...copies, eocdNew]);
}

describe('.pt tensors: a total bound on what views materialise', () => {
  it('a ~5 KB file of 33 stride-0 views (64 MiB each, 2.1 GB in all) stops at the file bound', () => {
    const file = expandedViews(33);
    expect(file.length).toBeLessThan(6000);
    const before = process.memoryUsage().arrayBuffers;
    const e = interopError(() => readTorchStateDict(file));
    expect(e.code).toBe('E_TORCH');
    expect(e.message).toMatch(/F32 view \(offset 0, size \[4096, 4095\], stride \[0, 0\]\) would bring the tensors read to 134201344 bytes, over this file's limit of 67108868 \(its 4 storage bytes plus 67108864 for expanded views\)/);
    // One 64 MiB view at most was ever allocated (and is garbage now).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 * MAX_EXPANDED_BYTES);
  });

  it('the same expanded view under 33 keys is one copy, within the bound', () => {
    const specs: TensorSpec[] = Array.from({ length: 33 }, (_, i) => ({ name: `w${i}`, numel: 1, size: [4096, 4096], stride: [0, 0] }));
    const sd = readTorchStateDict(ptZip(stateDictPickle(specs), { 0: f32Bytes([1.5]) }));
    expect(sd.get('w32')!.data).toBe(sd.get('w0')!.data);
  });

  it('one expanded view within the bound still reads, with the right values', () => {
    const sd = readTorchStateDict(expandedViews(1));
    const t = sd.get('w0')!;
    expect(t.shape).toEqual([4096, 4096]);
    expect(t.data.length).toBe(2 ** 24);
    expect([t.data[0], t.data[2 ** 24 - 1]]).toEqual([1.5, 1.5]);
  });

  it('tied weights (the same view under many keys) are copied once and share their data', () => {
    const storage = f32Bytes(Array.from({ length: 1 << 18 }, (_, i) => i)); // 1 MiB
    const specs: TensorSpec[] = Array.from({ length: 200 }, (_, i) => ({ name: `tied${i}`, numel: 1 << 18, size: [512, 512], stride: [512, 1] }));
    // 200 x 1 MiB copies would be over the bound (1 MiB + 64 MiB); one copy is not.
    const sd = readTorchStateDict(ptZip(stateDictPickle(specs), { 0: storage }));
    expect(sd.size).toBe(200);
    expect(sd.get('tied199')!.data).toBe(sd.get('tied0')!.data);
    expect(sd.get('tied7')!.data[1000]).toBe(1000);
  });

  it('many distinct overlapping views of one 8 MiB storage stop at the bound', () => {
    const numel = 1 << 21; // 8 MiB of floats
    const specs: TensorSpec[] = Array.from({ length: 100 }, (_, i) => ({ name: `v${i}`, numel, offset: i, size: [numel - 100], stride: [1] }));
    const e = interopError(() => readTorchStateDict(ptZip(stateDictPickle(specs), { 0: new Uint8Array(4 * numel) })));
    expect(e.code).toBe('E_TORCH');
    expect(e.message).toMatch(/over this file's limit of 75497472 \(its 8388608 storage bytes plus 67108864 for expanded views\)/);
  });
});

describe('zip: entries may not share bytes', () => {

  it('400 directory records pointing at one 8 MiB entry are refused before any CRC pass', () => {
    const zip = aliasedZip([['archive/data.pkl', new Uint8Array([0x80, 2, 0x2e])], ['archive/data/0', big]], 400);
    const e = interopError(() => readZipEntries(zip));
    expect(e.code).toBe('E_ZIP');
    expect(e.message).toMatch(/^zip: entry 'archive\/alias0000' \(bytes \d+\.\.\d+\) overlaps entry 'archive\/data\/0' \(bytes \d+\.\.\d+\); entries must not share bytes$/);
  });

  it('an entry whose data runs into the central directory is refused', () => {
    const zip = makeZip([['a', new Uint8Array([1, 2, 3])]]);
    const dv = new DataView(zip.buffer);
    const cd = dv.getUint32(zip.length - 22 + 16, true);
    // Claim 3 more bytes (CRC of the longer span is irrelevant: layout is checked first).
    dv.setUint32(cd + 20, 6, true);
    dv.setUint32(cd + 24, 6, true);
    const e = interopError(() => readZipEntries(zip));
    expect(e.message).toMatch(/overlaps entry 'a'|entry 'a' .* overlaps the central directory|the central directory .* overlaps entry 'a'/);
  });

  it('a well-formed archive still reads', () => {
    const entries = readZipEntries(makeZip([['x', new Uint8Array([1])], ['y', big]]));
    expect([...entries.keys()]).toEqual(['x', 'y']);
    expect(entries.get('y')!.length).toBe(8 << 20);
  });
});

describe('the CLI ends these files with one coded line', () => {
  it('import-torch on the stride-0 bomb and on the aliased zip', async () => {
    const bomb = join(dir, 'bomb.pt');
    writeFileSync(bomb, expandedViews(33));
    const aliased = join(dir, 'aliased.pt');
    const pkl = stateDictPickle([{ name: 'w', numel: 2 << 20, size: [2 << 20], stride: [1] }]);
    writeFileSync(aliased, aliasedZip([['archive/data.pkl', pkl], ['archive/version', new TextEncoder().encode('3\n')], ['archive/data/0', big]], 400));
    const [a, b] = await Promise.all([
      runCli(['import-torch', '--weights', bomb, '--out', join(dir, 'a.onnx')]),
      runCli(['import-torch', '--weights', aliased, '--out', join(dir, 'b.onnx')]),
    ]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^highway-onnx: \[E_TORCH\] torch: F32 view .* over this file's limit/);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^highway-onnx: \[E_ZIP\] zip: entry 'archive\/alias0000' .* overlaps entry 'archive\/data\/0'/);
  }, 60_000);
});
