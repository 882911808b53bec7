// The gradient probe agrees with the training step: with dropout off, the per-group
// squared norms it reports add up to the training graph's global gradient norm.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { allocate } from '../onnx/tensor.js';
import { optimizerState } from '../optim/index.js';
import { padBatch } from '../data/batches.js';
import { buildStepGraphs } from './step-graph.js';
import { TrainSession } from './node-runtime.js';
import { createGradientProbe } from '../experiment/gradients.js';

describe('gradient probe', () => {
  for (const kind of ['plain', 'highway'] as const) {
    it(`${kind}: group norms add up to the train step's gradient norm`, async () => {
      const config = resolveConfig({ kind, layers: 3, vocabSize: 30, embedDim: 6, hidden: 3, dropout: 0, gateBias: -2, seed: 5 });
      const params = initParams(config);
      const batch = padBatch([[2, 3, 4, 5], [6, 7], [8, 9, 10], [11]]);
      const labels = BigInt64Array.from([0n, 1n, 1n, 0n]);

      const probe = await createGradientProbe(config);
      const m = await probe.measure(params, [{ batch, labels }]);
      await probe.release();

      const spec = { kind: 'sgd' as const, momentum: 0 };
      const graphs = buildStepGraphs(config, spec, { params });
      const state = new Map(optimizerState(spec, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
      const session = await TrainSession.create(graphs, params, state);
      const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
      const r = await session.step({
        batch, labels,
        embeddingMask: ones(batch.time * batch.batch * config.embedDim),
        outputMask: ones(batch.batch * 2 * config.hidden),
      }, { lr: 0, step: 1 });
      await session.release();

      const total = Math.sqrt(m.embeddingGradNorm ** 2 + m.layerGradNorm.reduce((a, v) => a + v * v, 0) + m.outputGradNorm ** 2);
      expect(total).toBeCloseTo(r.gradNorm, 5);
      expect(m.loss).toBeCloseTo(r.loss, 5);
      expect(m.lstmGradNorm).toHaveLength(3);
      if (kind === 'plain') expect(m.layerGradNorm).toEqual(m.lstmGradNorm);
      else {
        // σ(−2) ≈ 0.12 with small gate weights: the deep stack starts out carrying.
        for (const g of m.gateMean!) expect(g).toBeGreaterThan(0.05);
        for (const g of m.gateMean!) expect(g).toBeLessThan(0.25);
        for (const [i, v] of m.layerGradNorm.entries()) expect(v).toBeGreaterThan(m.lstmGradNorm[i]!);
      }
    }, 60_000);
  }
});
