// The fused backward (autodiff's `fuse`, the default: the cell-state Scan with a 2-node body, no
// padding select in the backward Scan without a Y_h gradient) against the unfused one
// (`fuse: false`, the graph as it was built before): same losses, gradient norms, parameters,
// optimizer state and evaluation, bit for bit, over steps of ragged batches.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { encodeModel } from '../onnx/proto.js';
import { optimizerState, type OptimizerSpec } from '../optim/index.js';
import { buildStepGraphs } from './step-graph.js';
import { labelledBatch, openClassifierRunner, withDropout } from './classifier-feeds.js';
import { nodeRuntimes } from '../../test/helpers/step-runtimes.js';

const { node } = nodeRuntimes();
const data = {
  ids: Array.from({ length: 24 }, (_, i) => Array.from({ length: 1 + ((i * 5) % 9) }, (_, t) => 2 + ((i * 7 + t * 3) % 38))),
  labels: Array.from({ length: 24 }, (_, i) => i % 3),
};

/** Every float of every tensor equal as bits (so +0 and −0 differ, NaN payloads count). */
function sameBits(a: Map<string, Tensor>, b: Map<string, Tensor>): string[] {
  return [...a].filter(([name, t]) => !Buffer.from((t.data as Float32Array).buffer).equals(Buffer.from((b.get(name)!.data as Float32Array).buffer))).map(([name]) => name);
}

describe('fused LSTM backward', () => {
  for (const [kind, layers, optimizer] of [
    ['highway', 3, { kind: 'adam', clipNorm: 1 }],
    ['highway', 1, { kind: 'adamw', weightDecay: 0.1, beta1: 0.8 }],
    ['plain', 2, { kind: 'adam', embeddingUpdate: 'lazy' }],
  ] as const) {
    it(`takes bit-identical steps to the unfused graph (${kind}, ${layers} layers, ${JSON.stringify(optimizer)})`, async () => {
      const config = resolveConfig({ seed: 9, kind, layers, embedDim: 6, hidden: 5, vocabSize: 40, classes: 3, labels: ['a', 'b', 'c'], dropout: 0.3, carry: 'projection' });
      const params = initParams(config);
      const spec = optimizer as OptimizerSpec;
      const fused = buildStepGraphs(config, spec, { params });
      const plain = buildStepGraphs(config, spec, { params, fuse: false });
      // The premise: fusing changed the graph. Scan body sizes, cell-state Scans first: 3 and 8 nodes
      // unfused, 2 and 7 fused, per layer.
      const bodies = (g: typeof fused): number[] => g.trainStep.graph!.node!.filter((n) => n.opType === 'Scan').map((n) => n.attribute!.find((a) => a.name === 'body')!.g!.node!.length).sort();
      expect(bodies(plain)).toEqual([...Array(layers).fill(3), ...Array(layers).fill(8)].sort());
      expect(bodies(fused)).toEqual([...Array(layers).fill(2), ...Array(layers).fill(7)].sort());
      const state = new Map(optimizerState(spec, fused.params).map((s) => [s.name, allocate('float32', s.dims)]));
      const open = (g: typeof fused) => openClassifierRunner(node, g, { trainStep: encodeModel(g.trainStep), eval: encodeModel(g.eval) }, params, state);
      const [a, b] = [await open(fused), await open(plain)];
      try {
        for (let step = 1; step <= 5; step++) {
          const batch = () => withDropout(labelledBatch(data, Array.from({ length: 3 + step }, (_, k) => (k * 5 + step * 3) % 24)), config, 9, step);
          const [ra, rb] = [await a.step(batch(), { lr: 0.05, step }), await b.step(batch(), { lr: 0.05, step })];
          expect(Object.is(ra.loss, rb.loss) && Object.is(ra.gradNorm, rb.gradNorm) && ra.correct === rb.correct, `step ${step}: ${JSON.stringify([ra, rb])}`).toBe(true);
        }
        expect(sameBits(a.params(), b.params())).toEqual([]);
        expect(sameBits(a.state(), b.state())).toEqual([]);
        const every = [labelledBatch(data, [0, 1, 2, 3, 4, 5, 6, 7])];
        expect(await a.evaluate(every)).toEqual(await b.evaluate(every));
      } finally {
        await a.release();
        await b.release();
      }
    }, 60_000);
  }
});
