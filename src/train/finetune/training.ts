/**
 * Graphs derived from an imported model: the inference model exported again (original input
 * and output names, opset and metadata; new weights), the training step (forward + the same
 * autodiff + optimizer, parameters as inputs), a gradient graph for checks, and an eval graph.
 *
 * The loss is SoftmaxCrossEntropyLoss (mean) of the model's logits against a new int64
 * `labels` input. The logits are the output named by the caller, else found: a float output
 * of rank 2 named like 'logits', else the only one not made by Softmax/LogSoftmax/Sigmoid,
 * else the input of the model's only Softmax/LogSoftmax output.
 */
import { gradients } from '../../autodiff/index.js';
import { op, toModel, type Graph, type Value } from '../../graph/index.js';
import { assertValidModel } from '../../onnx/checker.js';
import { stampDigest } from '../../onnx/digest.js';
import type { GraphProto, ModelProto } from '../../onnx/proto.js';
import type { Tensor } from '../../onnx/tensor.js';
import type { OptimizerSpec } from '../../optim/index.js';
import { addTrainingStep, type TrainingStepSpec } from '../training-step.js';
import { ImportError } from '../../onnx-import/context.js';
import { importOnnx, type ImportedModel, type ImportOptions } from '../../onnx-import/importer.js';
import { fixPadRow } from '../../nn/embedding.js';
import { tensorFromProto } from '../../onnx/tensor.js';
import { findEmbedding } from './embedding.js';

export type { TensorSpec } from '../training-step.js';

export interface LogitsChoice {
  /** The output the loss is taken on (or, for a probabilities output, that output's name). */
  output: string;
  value: Value;
  /** True when the logits are the input of a Softmax/LogSoftmax output rather than an output. */
  beforeSoftmax: boolean;
}

const isFloat = (v: Value): boolean => v.dtype === 'float32' || v.dtype === 'float64';
const NORMALISERS = new Set(['Softmax', 'LogSoftmax', 'Sigmoid']);

export function chooseLogits(imp: ImportedModel, given?: string): LogitsChoice {
  const outputs = [...imp.outputs.entries()];
  const describe = outputs.map(([n, v]) => `'${n}' ${v.dtype}[${v.shape?.join(', ') ?? '…'}]`).join(', ');
  if (given !== undefined) {
    const v = imp.outputs.get(given);
    if (!v) throw new ImportError(`--logits-output '${given}' is not an output of the model (outputs: ${describe})`);
    if (!isFloat(v) || (v.rank !== null && v.rank !== 2)) throw new ImportError(`logits output '${given}' must be float [batch, classes], found ${v.toString()}`);
    return { output: given, value: v, beforeSoftmax: false };
  }
  const candidates = outputs.filter(([, v]) => isFloat(v) && (v.rank === null || v.rank === 2));
  const named = candidates.filter(([n]) => /logit/i.test(n));
  if (named.length === 1) return { output: named[0]![0], value: named[0]![1], beforeSoftmax: false };
  const raw = candidates.filter(([, v]) => !NORMALISERS.has(v.producer?.opType ?? ''));
  if (raw.length === 1) return { output: raw[0]![0], value: raw[0]![1], beforeSoftmax: false };
  const soft = candidates.filter(([, v]) => ['Softmax', 'LogSoftmax'].includes(v.producer?.opType ?? ''));
  if (raw.length === 0 && soft.length === 1) {
    const [name, v] = soft[0]!;
    return { output: name, value: v.producer!.inputs[0]!, beforeSoftmax: true };
  }
  throw new ImportError(
    candidates.length === 0
      ? `no output looks like logits (float [batch, classes]); outputs: ${describe}`
      : `cannot tell which output holds the logits (candidates: ${candidates.map(([n]) => `'${n}'`).join(', ')}); name it with --logits-output`,
  );
}

/** Float values that reach `target` through float inputs (the values a gradient can flow from). */
export function reachingValues(g: Graph, target: Value): Set<Value> {
  const reach = new Set<Value>([target]);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => reach.has(o))) continue;
    for (const v of n.inputs) if (v && isFloat(v)) reach.add(v);
  }
  return reach;
}

function uniqueInput(g: Graph, name: string, dtype: 'int64' | 'float32', shape: (string | number)[]): Value {
  return g.input(name, dtype, shape, { unique: true });
}

interface LossGraph {
  imp: ImportedModel;
  logits: LogitsChoice;
  labels: Value;
  loss: Value;
  correct: Value;
  /** Trainable parameters that reach the loss, in initializer order. */
  params: Value[];
  /** Float initializers left fixed, with the reason. */
  frozen: { name: string; reason: string }[];
  /** The embedding table whose padding row (id 0) stays fixed; null when none. */
  padRow: string | null;
}

/**
 * The trainable embedding table whose row 0 starts at zero: PyTorch's Embedding(padding_idx=0)
 * made it so (ONNX keeps no padding_idx), and its gradient there is zero, so it stays fixed.
 */
function padRowTable(source: ModelProto, imp: ImportedModel, params: Value[]): string | null {
  for (const [name, v] of imp.inputs) {
    if ((v.dtype !== 'int64' && v.dtype !== 'int32') || v.rank !== 2) continue;
    const emb = findEmbedding(imp, name);
    const param = emb ? imp.params.get(emb.table) : undefined;
    if (!emb || !param || !params.includes(param)) continue;
    const init = (source.graph?.initializer ?? []).find((t) => t.name === emb.table);
    if (!init) continue;
    const w = tensorFromProto(init);
    const row0 = Array.from(w.data as ArrayLike<number>).slice(0, w.dims[1] ?? 0);
    if (row0.length > 0 && row0.every((x) => x === 0)) return emb.table;
  }
  return null;
}

export interface ImportedTrainingOptions {
  params?: Map<string, Tensor>;
  logitsOutput?: string;
  import?: ImportOptions;
}

function lossGraph(source: ModelProto, opts: ImportedTrainingOptions): LossGraph {
  const imp = importOnnx(source, { ...opts.import, registerOutputs: false });
  const g = imp.graph;
  if (opts.params) {
    for (const [name, t] of opts.params) {
      const v = imp.params.get(name);
      if (!v) throw new ImportError(`parameter '${name}' is not a trainable initializer of the model`);
      g.setInitializer(v, t);
    }
  }
  const logits = chooseLogits(imp, opts.logitsOutput);
  const batch = logits.value.shape?.[0] ?? 'batch';
  const labels = uniqueInput(g, 'labels', 'int64', [typeof batch === 'number' ? batch : batch === '?' ? 'batch' : batch]);
  const [loss] = g.scope('loss', () => op.softmaxCrossEntropyLoss(logits.value, labels, { reduction: 'mean' }));
  const correct = g.scope('metrics', () => op.reduceSum(op.cast(op.equal(op.argMax(logits.value, 1), labels), 'float32')));
  const reach = reachingValues(g, loss!);
  const params: Value[] = [];
  const frozen: { name: string; reason: string }[] = [];
  for (const [name, v] of imp.params) {
    if (reach.has(v)) params.push(v);
    else {
      g.params.delete(v);
      frozen.push({ name, reason: `does not reach the logits '${logits.output}'` });
    }
  }
  const sourceInits = new Set((source.graph?.initializer ?? []).map((t) => t.name ?? ''));
  const freeze = opts.import?.freeze;
  for (const [name, v] of imp.constants) {
    if (!isFloat(v) || !sourceInits.has(name)) continue;
    const reason = (Array.isArray(freeze) && freeze.includes(name)) || typeof freeze === 'function' ? 'frozen'
      : opts.import?.trainable ? 'not among the trainable initializers'
        : 'a scalar (taken for a constant)';
    frozen.push({ name, reason });
  }
  if (params.length === 0) throw new ImportError(`no trainable parameter reaches the logits '${logits.output}'`);
  return { imp, logits, labels, loss: loss!, correct, params, frozen, padRow: padRowTable(source, imp, params) };
}

/** The parameter of `padRow`'s table (see padRowTable), or null. */
const padRowParam = (lg: LossGraph): Value | null => (lg.padRow ? lg.imp.params.get(lg.padRow) ?? null : null);

/** Gradients by parameter, the padding row of `padRow`'s table zeroed (see padRowTable). */
function trainingGradients(lg: LossGraph, opset: number): Map<Value, Value> {
  const grads = gradients(lg.imp.graph, lg.loss, lg.params, { opset });
  const table = padRowParam(lg);
  if (table) grads.set(table, fixPadRow(grads.get(table)!));
  return grads;
}

/** An imported model's training step, with the step's contract (TrainingStepSpec: parameters, state, lr/step inputs). */
export interface ImportedStepGraphs extends TrainingStepSpec {
  trainStep: ModelProto;
  frozen: { name: string; reason: string }[];
  logitsOutput: string;
  labelsInput: string;
  /** The model's own inputs, which the step graph takes as well. */
  dataInputs: string[];
  nodeCount: number;
  opset: number;
}

export { nextName } from '../training-step.js';

/**
 * Drop initializers nothing reads. Constant nodes become initializers on import, and a typed
 * constructor that read one as numbers (axes, perm, starts) writes its own: the original is
 * then left unused, and onnxruntime would warn about each.
 */
export function pruneUnusedInitializers(model: ModelProto): ModelProto {
  const g = model.graph;
  if (!g) return model;
  const used = new Set<string>((g.output ?? []).map((o) => o.name ?? ''));
  const visit = (graph: GraphProto): void => {
    for (const n of graph.node ?? []) {
      for (const i of n.input ?? []) used.add(i);
      for (const a of n.attribute ?? []) {
        if (a.g) visit(a.g);
        for (const sub of a.graphs ?? []) visit(sub);
      }
    }
    for (const o of graph.output ?? []) used.add(o.name ?? '');
  };
  visit(g);
  g.initializer = (g.initializer ?? []).filter((t) => used.has(t.name ?? ''));
  return model;
}

/** The training step: loss, correct, grad_norm and every updated parameter and state tensor. */
export function buildImportedStep(source: ModelProto, optimizer: OptimizerSpec, opts: ImportedTrainingOptions = {}): ImportedStepGraphs {
  const lg = lossGraph(source, opts);
  const g = lg.imp.graph;
  // The embedding gradient scatters with ScatterND reduction="add": opset 16.
  const opset = Math.max(lg.imp.opset, 16);
  g.docString = `highway-onnx fine-tuning step (${optimizer.kind}) of an imported model: forward, backward, update`;
  const spec = addTrainingStep(g, { loss: lg.loss, correct: lg.correct, params: lg.params, optimizer, padRow: padRowParam(lg), opset });
  const trainStep = pruneUnusedInitializers(toModel(g, { opset, paramsAsInputs: true }));
  assertValidModel(trainStep, { maxStaticTensorBytes: Infinity }); // zeros shaped like the parameters are expected here
  return {
    trainStep,
    ...spec,
    frozen: lg.frozen,
    logitsOutput: lg.logits.output,
    labelsInput: lg.labels.name,
    dataInputs: [...lg.imp.inputs.keys()],
    nodeCount: trainStep.graph?.node?.length ?? 0,
    opset,
  };
}

/** Loss and dLoss/dParam (outputs 'loss' and '<name>.grad'), parameters as initializers: for checks against other frameworks. */
export function buildImportedGradients(source: ModelProto, opts: ImportedTrainingOptions = {}): { model: ModelProto; params: string[]; labelsInput: string; logitsOutput: string } {
  const lg = lossGraph(source, opts);
  const g = lg.imp.graph;
  const opset = Math.max(lg.imp.opset, 16);
  const grads = trainingGradients(lg, opset);
  g.output(lg.loss, 'loss');
  for (const p of lg.params) g.output(grads.get(p)!, `${p.name}.grad`);
  const model = pruneUnusedInitializers(toModel(g, { opset }));
  assertValidModel(model, { maxStaticTensorBytes: Infinity }); // a gradient graph: zeros shaped like the parameters
  return { model, params: lg.params.map((p) => p.name), labelsInput: lg.labels.name, logitsOutput: lg.logits.output };
}

/** Forward only with the parameters as inputs: logits, 'loss_sum' and 'correct' for a labelled batch. */
export function buildImportedEval(source: ModelProto, opts: ImportedTrainingOptions & { trainable: string[] }): ModelProto {
  const lg = lossGraph(source, { ...opts, import: { ...opts.import, trainable: opts.trainable } });
  const g = lg.imp.graph;
  const [lossSum] = g.scope('eval', () => op.softmaxCrossEntropyLoss(lg.logits.value, lg.labels, { reduction: 'sum' }));
  g.output(lg.logits.value, 'logits');
  g.output(lossSum!, 'loss_sum');
  g.output(lg.correct, 'correct');
  const model = pruneUnusedInitializers(toModel(g, { opset: lg.imp.opset, paramsAsInputs: true }));
  assertValidModel(model);
  return model;
}

/**
 * The imported model emitted again from the IR with new parameter values: same input and
 * output names, same opset, the source's metadata and doc string.
 */
export function exportImported(source: ModelProto, params: Map<string, Tensor> = new Map(), importOpts: ImportOptions = {}): ModelProto {
  const imp = importOnnx(source, { ...importOpts, ...(params.size > 0 ? { trainable: [...new Set([...params.keys(), ...(importOpts.trainable ?? [])])] } : {}) });
  for (const [name, t] of params) {
    const v = imp.params.get(name);
    if (!v) throw new ImportError(`parameter '${name}' is not an initializer of the model`);
    imp.graph.setInitializer(v, t);
  }
  const metadata: Record<string, string> = {};
  for (const p of source.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  const model = pruneUnusedInitializers(toModel(imp.graph, {
    opset: imp.opset,
    docString: source.docString ?? '',
    metadata,
    producerName: 'highway-onnx',
  }));
  if (source.modelVersion !== undefined && source.modelVersion !== null) model.modelVersion = source.modelVersion;
  if (source.domain) model.domain = source.domain;
  assertValidModel(model);
  // New weights: a digest the source carried no longer applies; this file gets its own.
  return stampDigest(model);
}
