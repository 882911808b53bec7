// --class-weights (issue 18 item 4): the training step's loss is SoftmaxCrossEntropyLoss with a
// [C] weight vector, Σ w[y]·CE / Σ w[y]. Checked against a plain-TypeScript computation from the
// logits the inference model gives for the same parameters (dropout 0, so the step's forward
// pass is the inference one).
import { describe, expect, it } from 'vitest';
import { padBatch } from '../data/batches.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { allocate } from '../onnx/tensor.js';
import { optimizerState } from '../optim/index.js';
import { loadModel } from '../runtime/node.js';
import { buildStepGraphs } from './step-graph.js';
import { TrainSession } from './node-runtime.js';

const config = resolveConfig({ layers: 1, vocabSize: 12, embedDim: 6, hidden: 3, dropout: 0, seed: 5, classes: 3, labels: ['a', 'b', 'c'] });
const ids = [[2, 3, 4], [5, 6], [7, 8, 9, 10], [11], [3, 5, 7]];
const gold = [0, 2, 1, 2, 0];

async function stepLoss(classWeights?: number[]): Promise<number> {
  const params = initParams(config);
  const optimizer = { kind: 'sgd' as const, momentum: 0 };
  const graphs = buildStepGraphs(config, optimizer, { params, ...(classWeights ? { classWeights } : {}) });
  const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
  const session = await TrainSession.create(graphs, params, state);
  const batch = padBatch(ids);
  const r = await session.step({
    batch, labels: BigInt64Array.from(gold, BigInt),
    embeddingMask: new Float32Array(batch.time * batch.batch * config.embedDim).fill(1),
    outputMask: new Float32Array(batch.batch * 2 * config.hidden).fill(1),
  }, { lr: 1e-3, step: 1 });
  await session.release();
  return r.loss;
}

async function referenceLoss(w: number[]): Promise<number> {
  const p = await loadModel(encodeModel(classifierModel(config, { params: initParams(config) })), { device: 'cpu' });
  const preds = await p.predict(ids);
  await p.release();
  let num = 0;
  let den = 0;
  preds.forEach((pr, i) => {
    const z = pr.logits;
    const m = Math.max(...z);
    const ce = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) - z[gold[i]!]!;
    num += w[gold[i]!]! * ce;
    den += w[gold[i]!]!;
  });
  return num / den;
}

describe('class weights in the training step', () => {
  it('weights each example by its class; no weights is the plain mean', async () => {
    const w = [0.4, 2.5, 1.3];
    expect(await stepLoss(w)).toBeCloseTo(await referenceLoss(w), 5);
    expect(await stepLoss()).toBeCloseTo(await referenceLoss([1, 1, 1]), 5);
    // The weighting changes the number: the check above can fail.
    expect(Math.abs((await referenceLoss(w)) - (await referenceLoss([1, 1, 1])))).toBeGreaterThan(1e-3);
  });
});
