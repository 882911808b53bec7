// Test helpers: run a ModelProto in onnxruntime-node, make ragged batches, random params.
import * as ort from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../../src/onnx/index.js';
import { allocate, type Tensor } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/data/rng.js';
import { paramSpecs } from '../../src/models/init.js';
import type { ModelConfig } from '../../src/models/config.js';

export interface Batch {
  ids: number[][];
  lengths: number[];
}

export async function session(model: ModelProto): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(model));
}

export function feeds(batch: Batch, extra: Record<string, ort.Tensor> = {}): Record<string, ort.Tensor> {
  const B = batch.ids.length;
  const T = batch.ids[0]!.length;
  return {
    ids: new ort.Tensor('int64', BigInt64Array.from(batch.ids.flat(), (v) => BigInt(v)), [B, T]),
    lengths: new ort.Tensor('int32', Int32Array.from(batch.lengths), [B]),
    ...extra,
  };
}

export interface RunResult {
  logits: number[][];
  probs: number[][];
  gates: number[][][] | null;
  gateDims: readonly number[] | null;
}

export async function runClassifier(s: ort.InferenceSession, batch: Batch, extra: Record<string, ort.Tensor> = {}): Promise<RunResult> {
  const out = await s.run(feeds(batch, extra));
  const rows = (t: ort.Tensor): number[][] => {
    const [b, c] = t.dims as [number, number];
    const d = t.data as Float32Array;
    return Array.from({ length: b }, (_, i) => Array.from(d.subarray(i * c, (i + 1) * c)));
  };
  const g = out.gates;
  let gates: number[][][] | null = null;
  if (g) {
    const [b, l, t] = g.dims as [number, number, number];
    const d = g.data as Float32Array;
    gates = Array.from({ length: b }, (_, i) => Array.from({ length: l }, (_, j) => Array.from(d.subarray((i * l + j) * t, (i * l + j + 1) * t))));
  }
  return { logits: rows(out.logits!), probs: rows(out.probs!), gates, gateDims: g ? g.dims : null };
}

/** B sequences of max length T; lengths include 1 and T; padded positions hold `padId`. */
export function raggedBatch(rng: Rng, vocabSize: number, B: number, T: number, padId = 0): Batch {
  const lengths = Array.from({ length: B }, (_, i) => (i === 0 ? 1 : i === 1 ? T : 1 + rng.nextInt(T)));
  const ids = lengths.map((len) => Array.from({ length: T }, (_, t) => (t < len ? 1 + rng.nextInt(vocabSize - 1) : padId)));
  return { ids, lengths };
}

/** Random parameters of every spec, U(−scale, scale): larger than init, so the nonlinearities matter. */
export function randomParams(config: ModelConfig, rng: Rng, scale = 0.7): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const s of paramSpecs(config)) {
    const t = allocate('float32', s.dims);
    for (let i = 0; i < t.data.length; i++) t.data[i] = (2 * rng.nextFloat() - 1) * scale;
    out.set(s.name, t);
  }
  return out;
}

export function maxAbsDiff(a: number[][] | number[][][], b: number[][] | number[][][]): number {
  const fa = (a as unknown[]).flat(2) as number[];
  const fb = (b as unknown[]).flat(2) as number[];
  if (fa.length !== fb.length) return Infinity;
  return fa.reduce((m, v, i) => Math.max(m, Math.abs(v - fb[i]!)), 0);
}
