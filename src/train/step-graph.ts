// Derive the training-step graph (forward + backward + optimizer, one ONNX graph of
// standard ops) and the eval graph (forward only, parameters as inputs) from a config.
import { buildClassifier } from '../models/classifier.js';
import type { ModelConfig } from '../models/config.js';
import type { OptimizerSpec } from '../optim/index.js';
import { op, toModel, type Value } from '../graph/index.js';
import { assertValidModel } from '../onnx/checker.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import { addTrainingStep, nextName, type TrainingStepSpec } from './training-step.js';

export type { TensorSpec } from './training-step.js';

/** The classifier's training-step and eval graphs, with the step's contract (TrainingStepSpec). */
export interface StepGraphs extends TrainingStepSpec {
  trainStep: ModelProto;
  eval: ModelProto;
  /** Output name holding the updated value, per parameter / state tensor. */
  nextName: (name: string) => string;
  nodeCount: number;
}

export { nextName } from './training-step.js';

function accuracyCount(logits: Value, labels: Value): Value {
  const predicted = op.argMax(logits, 1);
  return op.reduceSum(op.cast(op.equal(predicted, labels), 'float32'), undefined, { name: 'correct' });
}

/**
 * The training-step and eval graphs of a classifier. `classWeights` (length = classes) weights
 * each example's loss by its gold class (w[y]·CE, mean over Σw as SoftmaxCrossEntropyLoss
 * defines it): `--class-weights balanced` gives a rare class the total weight of a common one.
 * The eval graph's loss stays unweighted, so dev losses compare across weightings.
 * `lazyOutputs` (lazy embedding update only): 'rows' (default) returns the table and its moments
 * by updated rows (TrainingStepSpec.rowUpdates), 'full' whole, as the dense update does.
 * `fuse` (default true): the gradient rules' same-bits restructuring (TrainingStepArgs.fuse).
 */
export function buildStepGraphs(
  config: ModelConfig,
  optimizer: OptimizerSpec,
  opts: { params: Map<string, Tensor>; opset?: number; classWeights?: readonly number[]; lazyOutputs?: 'rows' | 'full'; fuse?: boolean },
): StepGraphs {
  const opset = opts.opset ?? 17;
  // --- training step ---
  const cg = buildClassifier(config, { params: opts.params, training: true });
  const g = cg.graph;
  g.docString = `highway-onnx training step: forward, backward and ${optimizer.kind} update of a ${config.kind} BiLSTM classifier (${config.layers} layers)`;
  const labels = g.input('labels', 'int64', ['batch']);
  const weights = opts.classWeights ? g.scope('loss', () => g.vector([...opts.classWeights!], 'float32')) : undefined;
  const [loss] = g.scope('loss', () => op.softmaxCrossEntropyLoss(cg.logits, labels, { reduction: 'mean', ...(weights ? { weights } : {}) }));
  const correct = g.scope('metrics', () => accuracyCount(cg.logits, labels));
  // The padding row (id 0) stays fixed, as with PyTorch's Embedding(padding_idx=0); with
  // `embeddingUpdate: 'lazy'` the table's gradient is taken at the looked-up rows (SparseAdam).
  const table = cg.params.get('embedding.weight') ?? null;
  const spec = addTrainingStep(g, {
    loss: loss!,
    correct,
    params: [...cg.params.values()],
    optimizer,
    padRow: table,
    lookup: table ? { table, ids: cg.lookup.ids, rows: cg.lookup.rows } : null,
    ...(opts.lazyOutputs ? { lazyOutputs: opts.lazyOutputs } : {}),
    ...(opts.fuse !== undefined ? { fuse: opts.fuse } : {}),
  });
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
    ...spec,
    nextName,
    nodeCount: trainStep.graph?.node?.length ?? 0,
  };
}
