// The padding row (id 0) of our own classifier's embedding stays fixed through `train`'s step
// graph (shared by the browser's training), as PyTorch's Embedding(padding_idx=0) keeps it:
// torch's gradient of that row is zero even where id 0 sits inside a valid step. The row
// starts non-zero here (weights from elsewhere), so a moved row would show.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildStepGraphs } from './step-graph.js';
import { initParams } from '../models/init.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';

describe('train: the embedding\'s padding row stays fixed', () => {
  it('one SGD step with id 0 inside valid steps moves the used rows, never row 0', async () => {
    const config = resolveConfig({ kind: 'plain', layers: 1, embedDim: 4, hidden: 3, classes: 2, vocabSize: 10 } as never);
    const params = initParams(config);
    const table = params.get('embedding.weight')!.data as Float32Array;
    table.set([0.3, -0.2, 0.1, 0.4], 0); // row 0 non-zero
    const g = buildStepGraphs(config, { kind: 'sgd' } as never, { params });
    const s = await ort.InferenceSession.create(encodeModel(g.trainStep));
    try {
      const [B, T] = [2, 3];
      const feeds: Record<string, ort.Tensor> = {
        ids: new ort.Tensor('int64', BigInt64Array.from([3, 0, 5, 0, 7, 0], BigInt), [B, T]), // id 0 at valid steps
        lengths: new ort.Tensor('int32', Int32Array.from([3, 2]), [B]),
        'dropout.embedding': new ort.Tensor('float32', new Float32Array(T * B * 4).fill(1), [T, B, 4]),
        'dropout.output': new ort.Tensor('float32', new Float32Array(B * 6).fill(1), [B, 6]),
        labels: new ort.Tensor('int64', BigInt64Array.from([1n, 0n]), [B]),
        lr: new ort.Tensor('float32', Float32Array.of(1), []),
        step: new ort.Tensor('float32', Float32Array.of(1), []),
      };
      for (const p of g.params) feeds[p.name] = new ort.Tensor('float32', params.get(p.name)!.data as Float32Array, p.dims);
      const out = await s.run(feeds);
      const next = out[g.nextName('embedding.weight')]!.data as Float32Array;
      expect([...next.slice(0, 4)]).toEqual([...table.slice(0, 4)]);
      const moved = (row: number): number => Math.max(...[0, 1, 2, 3].map((j) => Math.abs(next[row * 4 + j]! - table[row * 4 + j]!)));
      for (const row of [3, 5, 7]) expect(moved(row), `row ${row}`).toBeGreaterThan(0);
    } finally {
      await s.release();
    }
  });
});
