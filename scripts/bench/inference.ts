// Inference benchmark: the Predictor (tokenized ids → padded tensors → probabilities)
// against a raw onnxruntime-node session on the same model, measured in the same run.
import * as ort from 'onnxruntime-node';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { loadModel } from '../../src/runtime/node.js';
import { Rng } from '../../src/data/rng.js';
import { interleaved, markdownTable, percentile } from './stats.js';

export interface InferenceRow {
  layers: number;
  batch: number;
  oursSentencesPerSec: number;
  rawSentencesPerSec: number;
  ratio: number;
  oursP50Ms: number;
  oursP99Ms: number;
  rawP50Ms: number;
  rawP99Ms: number;
  iterations: number;
}

export async function benchInference(opts: { layers: number[]; batches: number[]; seconds: number; seqLen: number }): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  for (const layers of opts.layers) {
    const config = resolveConfig({ layers, vocabSize: 20000, embedDim: 100, hidden: 50, kind: 'highway' });
    const bytes = encodeModel(classifierModel(config, {}));
    const predictor = await loadModel(bytes, { device: 'cpu', maxBatch: 1024 });
    const raw = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    for (const batch of opts.batches) {
      const rng = new Rng(layers * 1000 + batch);
      // SST-like lengths: uniform 5..2·seqLen−5, so batches are ragged as in real use.
      const seqs = Array.from({ length: batch }, () =>
        Array.from({ length: 5 + rng.nextInt(2 * opts.seqLen - 10) }, () => 2 + rng.nextInt(config.vocabSize - 2)),
      );
      const T = Math.max(...seqs.map((s) => s.length));
      const ids = new BigInt64Array(batch * T);
      seqs.forEach((s, b) => s.forEach((id, t) => (ids[b * T + t] = BigInt(id))));
      const feeds = {
        ids: new ort.Tensor('int64', ids, [batch, T]),
        lengths: new ort.Tensor('int32', Int32Array.from(seqs.map((s) => s.length)), [batch]),
      };
      const t = await interleaved(() => predictor.predict(seqs), () => raw.run(feeds), { seconds: opts.seconds, minIters: 5, warmup: 2 });
      const sa = [...t.a].sort((x, y) => x - y);
      const sb = [...t.b].sort((x, y) => x - y);
      const tpA = (batch * 1000) / percentile(sa, 50);
      const tpB = (batch * 1000) / percentile(sb, 50);
      rows.push({
        layers, batch,
        oursSentencesPerSec: tpA, rawSentencesPerSec: tpB, ratio: tpA / tpB,
        oursP50Ms: percentile(sa, 50), oursP99Ms: percentile(sa, 99), rawP50Ms: percentile(sb, 50), rawP99Ms: percentile(sb, 99),
        iterations: sa.length,
      });
      process.stderr.write(`  inference layers=${layers} batch=${batch}: ours ${tpA.toFixed(0)}/s, raw ${tpB.toFixed(0)}/s (${sa.length} iters)\n`);
    }
    await predictor.release();
    await raw.release();
  }
  return rows;
}

export function inferenceTable(rows: InferenceRow[]): string {
  const f = (x: number, d = 1): string => x.toFixed(d);
  return markdownTable(
    ['layers', 'batch', 'ours sent/s', 'raw ort sent/s', 'ours/raw', 'ours p50 ms', 'ours p99 ms', 'raw p50 ms', 'raw p99 ms', 'iters'],
    rows.map((r) => [r.layers, r.batch, f(r.oursSentencesPerSec, 0), f(r.rawSentencesPerSec, 0), f(r.ratio, 3), f(r.oursP50Ms, 2), f(r.oursP99Ms, 2), f(r.rawP50Ms, 2), f(r.rawP99Ms, 2), r.iterations]),
  );
}
