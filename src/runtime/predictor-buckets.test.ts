// Predictor.predict with more inputs than one batch: batches are formed by length (less padding)
// and the results come back in input order, equal to scoring each input alone.
import { describe, expect, it } from 'vitest';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from './node.js';
import { Rng } from '../data/rng.js';

describe('Predictor length buckets', () => {
  it('many inputs of mixed lengths: input order kept, each equal to its prediction alone (1e-6)', async () => {
    const config = resolveConfig({ kind: 'highway', layers: 2, vocabSize: 60, embedDim: 8, hidden: 4, classes: 3, carry: 'projection', seed: 5 });
    const bytes = encodeModel(classifierModel(config));
    const batched = await loadModel(bytes, { device: 'cpu', maxBatch: 7 });
    const alone = await loadModel(bytes, { device: 'cpu', maxBatch: 1 });
    const rng = new Rng(11);
    const seqs = Array.from({ length: 40 }, () => Array.from({ length: 1 + rng.nextInt(30) }, () => 2 + rng.nextInt(58)));
    const got = await batched.predict(seqs);
    const want = await alone.predict(seqs);
    expect(got).toHaveLength(seqs.length);
    got.forEach((p, i) => {
      expect(p.labelId).toBe(want[i]!.labelId);
      p.probs.forEach((x, c) => expect(Math.abs(x - want[i]!.probs[c]!)).toBeLessThan(1e-6));
      // gates are per token of this input: its own length, so the row is this input's
      expect(p.gates!.map((g) => g.length)).toEqual([seqs[i]!.length, seqs[i]!.length]);
      p.gates!.flat().forEach((x, k) => expect(Math.abs(x - want[i]!.gates!.flat()[k]!)).toBeLessThan(1e-6));
    });
    await batched.release();
    await alone.release();
  });
});
