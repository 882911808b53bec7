// Our inference graph against the PyTorch twin (scripts/torch/twin.py: nn.Embedding,
// nn.LSTM per layer over pack_padded_sequence, nn.Linear, masked max). The fixtures come
// from scripts/torch/make_grad_fixtures.py: weights in our layout, a ragged batch (lengths
// 5, 1, 7, 3, random ids under the padding too) and the twin's outputs in float64.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { classifierModel } from './classifier.js';
import { assertValidModel, encodeModel } from '../onnx/index.js';
import { diff, loadTorchFixture, torchFixtureNames } from '../../test/helpers/torch-fixtures.js';

const TOL = 1e-5;

describe('classifier vs the PyTorch twin', () => {
  const names = torchFixtureNames();

  it('has fixtures for plain and highway, 1–3 layers and every carry mode', () => {
    const configs = names.map((n) => loadTorchFixture(n).config);
    expect(configs.some((c) => c.kind === 'plain')).toBe(true);
    for (const carry of ['identity', 'projection', 'zero-pad'] as const) {
      expect(configs.some((c) => c.kind === 'highway' && c.carry === carry), carry).toBe(true);
    }
    expect(new Set(configs.map((c) => c.layers))).toEqual(new Set([1, 2, 3]));
  });

  // Both graph forms: the inference form classifierModel writes by default, and the plain one.
  for (const name of names) for (const fused of [true, false]) {
    it(`${name}${fused ? '' : ' (plain form)'}: logits, probs (and gates) match the twin within ${TOL}`, async () => {
      const f = loadTorchFixture(name);
      const model = classifierModel(f.config, { params: f.params, fused });
      assertValidModel(model);
      const s = await ort.InferenceSession.create(encodeModel(model));
      const out = await s.run({
        ids: new ort.Tensor('int64', f.ids, [f.batch, f.time]),
        lengths: new ort.Tensor('int32', f.lengths, [f.batch]),
      });
      await s.release();
      expect(out.logits!.dims).toEqual([f.batch, f.config.classes]);
      const logits = diff(out.logits!.data as Float32Array, f.logits);
      const probs = diff(out.probs!.data as Float32Array, f.probs);
      let line = `torch twin ${name}${fused ? '' : ' (plain form)'}: max |Δlogits| ${logits.abs.toExponential(2)}, max |Δprobs| ${probs.abs.toExponential(2)}`;
      if (f.gates) {
        expect(out.gates!.dims).toEqual([f.batch, f.config.layers, f.time]);
        const gates = diff(out.gates!.data as Float32Array, f.gates);
        line += `, max |Δgates| ${gates.abs.toExponential(2)}`;
        expect(gates.abs).toBeLessThan(TOL);
      } else {
        expect(out.gates).toBeUndefined();
      }
      console.log(line);
      expect(logits.abs).toBeLessThan(TOL);
      expect(probs.abs).toBeLessThan(TOL);
    });
  }
});
