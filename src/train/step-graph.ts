// Derive the training-step graph (forward + backward + optimizer, one ONNX graph of
// standard ops) and the eval graph (forward only, parameters as inputs) from a config.
import { buildClassifier } from '../models/classifier.js';
import type { ModelConfig } from '../models/config.js';
import { gradients } from '../autodiff/index.js';
import { buildOptimizerStep, optimizerState, resolveSpec, type OptimizerSpec, type RowGradient } from '../optim/index.js';
import { fixPadRow } from '../nn/embedding.js';
import { op, toModel, type Value } from '../graph/index.js';
import { assertValidModel } from '../onnx/checker.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';

export interface TensorSpec {
  name: string;
  dims: number[];
}

export interface StepGraphs {
  trainStep: ModelProto;
  eval: ModelProto;
  params: TensorSpec[];
  state: TensorSpec[];
  /** Output name holding the updated value, per parameter / state tensor. */
  nextName: (name: string) => string;
  nodeCount: number;
}

export const nextName = (name: string): string => `${name}.next`;

function accuracyCount(logits: Value, labels: Value): Value {
  const predicted = op.argMax(logits, 1);
  return op.reduceSum(op.cast(op.equal(predicted, labels), 'float32'), undefined, { name: 'correct' });
}

/**
 * The training-step and eval graphs of a classifier. `classWeights` (length = classes) weights
 * each example's loss by its gold class (w[y]·CE, mean over Σw as SoftmaxCrossEntropyLoss
 * defines it): `--class-weights balanced` gives a rare class the total weight of a common one.
 * The eval graph's loss stays unweighted, so dev losses compare across weightings.
 */
export function buildStepGraphs(config: ModelConfig, optimizer: OptimizerSpec, opts: { params: Map<string, Tensor>; opset?: number; classWeights?: readonly number[] }): StepGraphs {
  const opset = opts.opset ?? 17;
  // --- training step ---
  const cg = buildClassifier(config, { params: opts.params, training: true });
  const g = cg.graph;
  g.docString = `highway-onnx training step: forward, backward and ${optimizer.kind} update of a ${config.kind} BiLSTM classifier (${config.layers} layers)`;
  const labels = g.input('labels', 'int64', ['batch']);
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const weights = opts.classWeights ? g.scope('loss', () => g.vector([...opts.classWeights!], 'float32')) : undefined;
  const [loss] = g.scope('loss', () => op.softmaxCrossEntropyLoss(cg.logits, labels, { reduction: 'mean', ...(weights ? { weights } : {}) }));
  const correct = g.scope('metrics', () => accuracyCount(cg.logits, labels));
  const paramValues = [...cg.params.values()];
  const table = cg.params.get('embedding.weight')!;
  // Lazy embedding update (SparseAdam): the gradient is taken at the looked-up rows, never
  // scattered into a dense [V, E] table; the optimizer updates those rows only.
  const resolved = resolveSpec(optimizer);
  const lazy = resolved.kind !== 'sgd' && resolved.embeddingUpdate === 'lazy';
  const grads = gradients(g, loss!, lazy ? paramValues.map((p) => (p === table ? cg.lookup.rows : p)) : paramValues);
  const gradOf = (p: Value): Value | RowGradient => {
    if (p !== table) return grads.get(p)!;
    // The padding row (id 0) stays fixed, as with PyTorch's Embedding(padding_idx=0).
    if (!lazy) return fixPadRow(grads.get(p)!);
    const E = cg.config.embedDim;
    return { kind: 'rows', ids: op.reshape(cg.lookup.ids, [-1]), rows: op.reshape(grads.get(cg.lookup.rows)!, [-1, E]), fixedId: 0 };
  };
  const paramSpecs = [...cg.params.entries()].map(([name, v]) => ({ name, dims: v.staticShape() }));
  const stateSpecs = optimizerState(optimizer, paramSpecs);
  const stateInputs = stateSpecs.map((s) => g.input(s.name, 'float32', s.dims));
  const upd = buildOptimizerStep(g, {
    params: paramValues,
    grads: paramValues.map(gradOf),
    spec: optimizer,
    lr,
    step,
    state: stateInputs,
  });
  g.output(loss!, 'loss');
  g.output(correct, 'correct');
  g.output(upd.gradNorm, 'grad_norm');
  paramSpecs.forEach((p, i) => g.output(upd.newParams[i]!, nextName(p.name)));
  stateSpecs.forEach((s, i) => g.output(upd.newState[i]!, nextName(s.name)));
  const trainStep = toModel(g, { opset: Math.max(opset, 16), paramsAsInputs: true });
  assertValidModel(trainStep, { maxStaticTensorBytes: Infinity }); // zeros shaped like the parameters are expected here

  // --- eval: forward only, parameters fed as inputs so one session serves the whole run ---
  const ev = buildClassifier({ ...config, gatesOutput: false }, { params: opts.params, training: false, outputs: false });
  const evLabels = ev.graph.input('labels', 'int64', ['batch']);
  const [evLoss] = ev.graph.scope('loss', () => op.softmaxCrossEntropyLoss(ev.logits, evLabels, { reduction: 'sum' }));
  ev.graph.output(ev.logits, 'logits');
  ev.graph.output(evLoss!, 'loss_sum');
  ev.graph.output(ev.graph.scope('metrics', () => accuracyCount(ev.logits, evLabels)), 'correct');
  const evalModel = toModel(ev.graph, { opset, paramsAsInputs: true });
  assertValidModel(evalModel);

  return {
    trainStep,
    eval: evalModel,
    params: paramSpecs,
    state: stateSpecs.map((s) => ({ name: s.name, dims: s.dims })),
    nextName,
    nodeCount: trainStep.graph?.node?.length ?? 0,
  };
}
