// The inference form classifierModel writes (BuildClassifierOptions.fused) against the plain
// form training differentiates: the same function (logits, probs, gates within 1e-5 on ragged
// batches, random weights larger than the init), the same parameters as initializers, fewer
// nodes. PyTorch checks the fused form too (torch-twin.test.ts).
import { describe, expect, it } from 'vitest';
import { classifierModel } from './classifier.js';
import { resolveConfig, type ModelConfig } from './config.js';
import { paramSpecs } from './init.js';
import { verifyClassifierGraph } from './verify-graph.js';
import { assertValidModel } from '../onnx/index.js';
import { Rng } from '../data/rng.js';
import { maxAbsDiff, raggedBatch, randomParams, runClassifier, session } from '../../test/reference/run-model.js';

const TOL = 1e-5;
const configs: Partial<ModelConfig>[] = [
  { kind: 'highway', layers: 1, carry: 'projection' },
  { kind: 'highway', layers: 3, carry: 'projection' },
  { kind: 'highway', layers: 2, carry: 'identity', embedDim: 8 },
  { kind: 'highway', layers: 2, carry: 'zero-pad' },
  { kind: 'plain', layers: 2 },
];

/** Nodes left after onnxruntime folds those whose inputs are all initializers (the weight Concats). */
function runtimeNodes(m: ReturnType<typeof classifierModel>): number {
  const inits = new Set((m.graph!.initializer ?? []).map((t) => t.name));
  return m.graph!.node!.filter((n) => !(n.input ?? []).every((i) => inits.has(i))).length;
}

describe('the fused inference form', () => {
  for (const partial of configs) {
    const config = resolveConfig({ vocabSize: 40, embedDim: 6, hidden: 4, classes: 3, seed: 3, ...partial });
    it(`${config.kind} ${config.layers} layer(s), carry ${config.carry}: same outputs as the plain form, same parameters`, async () => {
      const rng = new Rng(11);
      const params = randomParams(config, rng);
      const plain = classifierModel(config, { params, fused: false });
      const fused = classifierModel(config, { params });
      assertValidModel(fused);
      verifyClassifierGraph(fused, config);
      const names = (m: typeof fused): string[] => (m.graph!.initializer ?? []).map((t) => t.name!).filter((n) => !n.startsWith('const')).sort();
      expect(names(fused)).toEqual(paramSpecs(config).map((s) => s.name).sort());
      expect(names(fused)).toEqual(names(plain));
      if (config.kind === 'highway') expect(runtimeNodes(fused)).toBeLessThan(runtimeNodes(plain));
      const [a, b] = [await session(plain), await session(fused)];
      for (const [B, T] of [[1, 1], [1, 9], [5, 7], [16, 12]] as const) {
        const batch = raggedBatch(rng, config.vocabSize, B, T);
        const [x, y] = [await runClassifier(a, batch), await runClassifier(b, batch)];
        expect(maxAbsDiff(x.logits, y.logits)).toBeLessThan(TOL);
        expect(maxAbsDiff(x.probs, y.probs)).toBeLessThan(TOL);
        if (x.gates) expect(maxAbsDiff(x.gates, y.gates!)).toBeLessThan(TOL);
        else expect(y.gates).toBeNull();
      }
      await Promise.all([a.release(), b.release()]);
    });
  }
});
