/**
 * Batching for ragged sentences.
 *
 * Padding costs LSTM steps, so batches group sentences of similar length:
 * after a seeded shuffle, the data is cut into buckets of
 * `BUCKET_BATCHES × batchSize`, each bucket is sorted by length and cut into
 * batches, and the batch order is shuffled. Shuffling before bucketing keeps
 * batches different from epoch to epoch; bucketing (rather than one global
 * sort) keeps some randomness in which sentences meet. With `rng = null`
 * (evaluation) nothing is shuffled, so the result is a pure function of the data.
 */
import type { Rng } from './rng.js';
import { Vocabulary } from './vocab.js';

export const BUCKET_BATCHES = 50;

/** Index arrays into `examples`; every index appears exactly once. */
export function lengthBucketedBatches(examples: readonly (readonly number[])[], batchSize: number, rng: Rng | null): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`lengthBucketedBatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  const order = examples.map((_, i) => i);
  if (rng) rng.shuffle(order);
  const bucketSize = BUCKET_BATCHES * batchSize;
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += bucketSize) {
    // Array.prototype.sort is stable, so equal lengths keep the shuffled order.
    const bucket = order.slice(start, start + bucketSize).sort((a, b) => examples[a]!.length - examples[b]!.length);
    for (let i = 0; i < bucket.length; i += batchSize) batches.push(bucket.slice(i, i + batchSize));
  }
  if (rng) rng.shuffle(batches);
  return batches;
}

export interface PaddedBatch {
  /** `[batch, time]` row-major int64 token ids, `Vocabulary.PAD_ID` (0) after each sequence's end. */
  ids: BigInt64Array;
  /** Valid length of each row, in 1..time (the LSTM's `sequence_lens`). */
  lengths: Int32Array;
  batch: number;
  time: number;
}

export interface PadOptions {
  /** Longer sequences are truncated to their first `maxLen` tokens. */
  maxLen?: number;
}

/**
 * Pads a batch of id sequences to the longest one.
 *
 * An empty sequence becomes `[UNK_ID]`: a zero length would leave the LSTM no
 * step to run and the max-pool over valid steps nothing to take, and padding
 * id 0 must never sit at a valid position, so the one valid step is `<unk>`.
 */
export function padBatch(seqs: readonly (readonly number[])[], options: PadOptions = {}): PaddedBatch {
  const { maxLen } = options;
  if (maxLen !== undefined && (!Number.isInteger(maxLen) || maxLen < 1)) {
    throw new RangeError(`padBatch: maxLen must be a positive integer, got ${maxLen}`);
  }
  if (seqs.length === 0) throw new RangeError('padBatch: a batch needs at least one sequence');
  const rows = seqs.map((s) => {
    const r = s.length === 0 ? [Vocabulary.UNK_ID] : s;
    return maxLen !== undefined && r.length > maxLen ? r.slice(0, maxLen) : r;
  });
  const batch = rows.length;
  const time = rows.reduce((m, r) => Math.max(m, r.length), 1);
  const ids = new BigInt64Array(batch * time); // zero-filled: PAD_ID
  const lengths = new Int32Array(batch);
  rows.forEach((r, b) => {
    lengths[b] = r.length;
    r.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0) throw new RangeError(`padBatch: sequence ${b} has id ${id} at position ${t}; ids are non-negative integers`);
      ids[b * time + t] = BigInt(id);
    });
  });
  return { ids, lengths, batch, time };
}
