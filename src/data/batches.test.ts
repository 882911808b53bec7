import { describe, expect, it } from 'vitest';
import { BUCKET_BATCHES, lengthBucketedBatches, padBatch } from './batches.js';
import { Rng } from './rng.js';

const seqOf = (len: number) => Array.from({ length: len }, (_, i) => i + 2);

function lengthsFor(n: number, rng: Rng): number[][] {
  return Array.from({ length: n }, () => seqOf(1 + rng.nextInt(30)));
}

describe('lengthBucketedBatches', () => {
  const data = lengthsFor(1037, new Rng(1));

  it('uses every index exactly once, in batches of batchSize', () => {
    for (const rng of [new Rng(2), null]) {
      const batches = lengthBucketedBatches(data, 32, rng);
      const flat = batches.flat().sort((a, b) => a - b);
      expect(flat).toEqual(data.map((_, i) => i));
      const short = batches.filter((b) => b.length !== 32);
      expect(short).toHaveLength(1); // 1037 = 32 * 32 + 13, one bucket
      expect(short[0]).toHaveLength(13);
    }
  });

  it('groups similar lengths', () => {
    const batches = lengthBucketedBatches(data, 32, new Rng(3));
    const spread = batches.map((b) => Math.max(...b.map((i) => data[i]!.length)) - Math.min(...b.map((i) => data[i]!.length)));
    // 1037 random lengths in 1..30 sorted into 33 batches: neighbours differ by a step or two.
    expect(Math.max(...spread)).toBeLessThanOrEqual(3);
  });

  it('is deterministic per seed and changes with it', () => {
    expect(lengthBucketedBatches(data, 16, new Rng(4))).toEqual(lengthBucketedBatches(data, 16, new Rng(4)));
    expect(lengthBucketedBatches(data, 16, new Rng(4))).not.toEqual(lengthBucketedBatches(data, 16, new Rng(5)));
  });

  it('does not shuffle without an rng', () => {
    const small = [seqOf(3), seqOf(1), seqOf(2), seqOf(1), seqOf(5)];
    expect(lengthBucketedBatches(small, 2, null)).toEqual([[1, 3], [2, 0], [4]]);
  });

  it('buckets in chunks of BUCKET_BATCHES batches', () => {
    const n = BUCKET_BATCHES * 2 * 2 + 1; // batchSize 2: two full buckets and one left over
    const desc = Array.from({ length: n }, (_, i) => seqOf(n - i));
    const batches = lengthBucketedBatches(desc, 2, null);
    expect(batches[0]).toEqual([BUCKET_BATCHES * 2 - 1, BUCKET_BATCHES * 2 - 2]); // shortest of bucket one first
    expect(batches.at(-1)).toEqual([n - 1]);
    expect(() => lengthBucketedBatches(desc, 0, null)).toThrow(/batchSize/);
  });

  it('handles no examples', () => {
    expect(lengthBucketedBatches([], 8, new Rng(1))).toEqual([]);
  });
});

describe('padBatch', () => {
  it('pads row-major with 0 to the longest sequence', () => {
    const p = padBatch([[5, 6, 7], [8], [9, 10]]);
    expect(p.batch).toBe(3);
    expect(p.time).toBe(3);
    expect(Array.from(p.lengths)).toEqual([3, 1, 2]);
    expect(p.ids).toBeInstanceOf(BigInt64Array);
    expect(Array.from(p.ids, Number)).toEqual([5, 6, 7, 8, 0, 0, 9, 10, 0]);
  });

  it('truncates to maxLen', () => {
    const p = padBatch([[5, 6, 7, 8], [9]], { maxLen: 2 });
    expect(p.time).toBe(2);
    expect(Array.from(p.lengths)).toEqual([2, 1]);
    expect(Array.from(p.ids, Number)).toEqual([5, 6, 9, 0]);
  });

  it('encodes an empty sequence as one <unk>', () => {
    const p = padBatch([[], []]);
    expect(p.time).toBe(1);
    expect(Array.from(p.lengths)).toEqual([1, 1]);
    expect(Array.from(p.ids, Number)).toEqual([1, 1]);
    expect(Array.from(padBatch([[4, 4], []]).ids, Number)).toEqual([4, 4, 1, 0]);
  });

  it('rejects bad input', () => {
    expect(() => padBatch([])).toThrow(/at least one sequence/);
    expect(() => padBatch([[1]], { maxLen: 0 })).toThrow(/maxLen/);
    expect(() => padBatch([[1, -2]])).toThrow(/sequence 0 has id -2 at position 1/);
    expect(() => padBatch([[1.5]])).toThrow(RangeError);
  });
});
