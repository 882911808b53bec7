// Whole-model gradients: what our autodiff derives for the classifier (LSTM rule, highway
// gate, masked max-pool, embedding scatter, softmax cross-entropy) against PyTorch autograd
// through the twin (scripts/torch/twin.py), on the fixtures of
// scripts/torch/make_grad_fixtures.py. The reference is the twin in float64 on the same
// float32 weights; our graph runs in float32 in onnxruntime-node (its LSTM kernel is
// float32 only), so the tolerance is float32's: max |Δ| ≤ 1e-5 · max(1, max |g|) per
// parameter. The PyTorch twin run in float32 itself lands within ~1e-7 of the reference
// (recorded per case in the fixture's JSON, float32TwinMaxRelDiff).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildClassifier } from '../models/classifier.js';
import { gradients } from './index.js';
import { op, toModel } from '../graph/index.js';
import { encodeModel } from '../onnx/index.js';
import { diff, loadTorchFixture, torchFixtureNames, type TorchFixture } from '../../test/helpers/torch-fixtures.js';

const TOL = 1e-5;

async function ourGradients(f: TorchFixture): Promise<{ loss: number; logits: Float32Array; grads: Map<string, Float32Array> }> {
  const cg = buildClassifier(f.config, { params: f.params, training: false });
  const g = cg.graph;
  const labels = g.input('labels', 'int64', ['batch']);
  const [loss] = g.scope('loss', () => op.softmaxCrossEntropyLoss(cg.logits, labels, { reduction: 'mean' }));
  const names = [...cg.params.keys()];
  const grads = gradients(g, loss!, names.map((n) => cg.params.get(n)!));
  g.output(loss!, 'loss');
  for (const n of names) g.output(grads.get(cg.params.get(n)!)!, `grad.${n}`);
  const s = await ort.InferenceSession.create(encodeModel(toModel(g, { opset: 17 })));
  try {
    const out = await s.run({
      ids: new ort.Tensor('int64', f.ids, [f.batch, f.time]),
      lengths: new ort.Tensor('int32', f.lengths, [f.batch]),
      labels: new ort.Tensor('int64', f.labels, [f.batch]),
    });
    return {
      loss: (out.loss!.data as Float32Array)[0]!,
      logits: out.logits!.data as Float32Array,
      grads: new Map(names.map((n) => [n, out[`grad.${n}`]!.data as Float32Array])),
    };
  } finally {
    await s.release();
  }
}

describe('classifier gradients vs PyTorch autograd (the twin)', () => {
  for (const name of torchFixtureNames()) {
    it(`${name}: every parameter's gradient within ${TOL}·max(1, |g|)`, async () => {
      const f = loadTorchFixture(name);
      const ours = await ourGradients(f);
      expect([...ours.grads.keys()].sort()).toEqual([...f.grads.keys()].sort());
      expect(Math.abs(ours.loss - f.loss)).toBeLessThan(TOL);
      expect(diff(ours.logits, f.logits).abs).toBeLessThan(TOL);
      const rows = f.paramNames.map((p) => ({ p, ...diff(ours.grads.get(p)!, f.grads.get(p)!) }));
      const worst = rows.reduce((a, b) => (b.rel > a.rel ? b : a));
      console.log(
        `torch grad ${name}: loss Δ ${Math.abs(ours.loss - f.loss).toExponential(2)}; largest gradient difference ` +
          `${worst.abs.toExponential(2)} (relative ${worst.rel.toExponential(2)}) in ${worst.p}\n  ` +
          rows.map((r) => `${r.p} ${r.abs.toExponential(1)}`).join(', '),
      );
      for (const r of rows) expect(r.rel, r.p).toBeLessThan(TOL);
    });
  }
});
