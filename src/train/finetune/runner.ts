// Fine-tuning an imported model: how a padded batch of token ids enters the model (the
// binding of its inputs) and the StepRunner over its derived step graph (training.ts). The
// runner feeds each step's updated parameters and optimizer state back, as it does for our
// own classifier; only the feeds differ (no dropout masks here).
import * as ort from 'onnxruntime-node';
import type { PaddedBatch } from '../../data/batches.js';
import type { Value } from '../../graph/index.js';
import { encodeModel, type ModelProto } from '../../onnx/proto.js';
import { allocate, tensorFromProto, type Tensor } from '../../onnx/tensor.js';
import type { OptimizerSpec } from '../../optim/index.js';
import type { Device } from '../../runtime/device.js';
import { ImportError } from '../../onnx-import/context.js';
import type { ImportedModel, ImportOptions } from '../../onnx-import/importer.js';
import { StepRunner, type BatchFeeder, type RuntimeTensor, type StepRuntime } from '../step-runner.js';
import { nodeStepRuntime } from '../node-runtime.js';
import { buildImportedEval, buildImportedStep, exportImported, type ImportedStepGraphs } from './training.js';

/** How a padded batch of token ids enters the model. */
export interface DataBinding {
  idsInput: string;
  idsDType: 'int64' | 'int32';
  /** Lengths input (int32 or int64 [batch]), when the model takes one. */
  lengthsInput: string | null;
  lengthsDType: 'int64' | 'int32';
  /** ids as [time, batch] instead of [batch, time]. */
  timeMajor: boolean;
  /**
   * LSTM initial-state inputs (h0/c0, float [layers·directions, batch, hidden]), fed zeros of
   * the batch's size — what PyTorch's LSTM starts from when no state is passed. Absent when none.
   */
  zeroStates?: { name: string; dims: [number, number] }[];
}

/** True when `v` flows, through any nodes, into an LSTM's initial_h or initial_c (inputs 5, 6). */
function feedsLstmState(imp: ImportedModel, v: Value): boolean {
  const reached = new Set<Value>([v]);
  for (const n of imp.graph.nodes) {
    const hit = n.inputs.findIndex((x) => x !== null && reached.has(x));
    if (hit < 0) continue;
    if (n.opType === 'LSTM' && n.inputs.every((x, i) => x === null || !reached.has(x) || i === 5 || i === 6)) return true;
    for (const o of n.outputs) reached.add(o);
  }
  return false;
}

const isInt = (v: Value): boolean => v.dtype === 'int64' || v.dtype === 'int32';

/** The ids input (integer, rank 2) and the lengths input (integer, rank 1) of an imported model. */
export function detectBinding(imp: ImportedModel, given: Partial<DataBinding> = {}): DataBinding {
  const inputs = [...imp.inputs.entries()];
  const pick = (name: string | null | undefined, rank: number, what: string): [string, Value] | null => {
    if (name) {
      const v = imp.inputs.get(name);
      if (!v) throw new ImportError(`${what} input '${name}' is not an input of the model (inputs: ${[...imp.inputs.keys()].join(', ')})`);
      return [name, v];
    }
    const c = inputs.filter(([, v]) => isInt(v) && v.rank === rank);
    if (c.length > 1) throw new ImportError(`several inputs could hold the ${what} (${c.map(([n]) => n).join(', ')}); name one with --${what}-input`);
    return c[0] ?? null;
  };
  const ids = pick(given.idsInput, 2, 'ids');
  if (!ids) throw new ImportError(`no integer [batch, time] input for the token ids among ${inputs.map(([n, v]) => `${n} ${v.dtype}[${v.shape?.join(', ') ?? '…'}]`).join(', ')}`);
  const lengths = given.lengthsInput === null ? null : pick(given.lengthsInput, 1, 'lengths');
  const known = new Set([ids[0], lengths?.[0]]);
  const zeroStates: { name: string; dims: [number, number] }[] = [];
  for (const [name, v] of inputs) {
    if (known.has(name) || v.dtype !== 'float32' || v.rank !== 3) continue;
    const [d, , h] = v.shape!;
    if (typeof d === 'number' && typeof h === 'number' && feedsLstmState(imp, v)) {
      zeroStates.push({ name, dims: [d, h] });
      known.add(name);
    }
  }
  const extra = inputs.filter(([n]) => !known.has(n)).map(([n]) => n);
  if (extra.length > 0) throw new ImportError(`the model has inputs fine-tuning cannot feed from text: ${extra.join(', ')} (it feeds the ids, the lengths and zeros to LSTM initial states only)`);
  const dims = ids[1].shape ?? [];
  const looksTimeMajor = typeof dims[0] === 'string' && /time|seq|len/i.test(dims[0]) && typeof dims[1] === 'string' && /batch/i.test(dims[1]);
  return {
    idsInput: ids[0],
    idsDType: ids[1].dtype as 'int64' | 'int32',
    lengthsInput: lengths?.[0] ?? null,
    lengthsDType: (lengths?.[1].dtype ?? 'int32') as 'int64' | 'int32',
    timeMajor: given.timeMajor ?? looksTimeMajor,
    ...(zeroStates.length > 0 ? { zeroStates } : {}),
  };
}

/** The model's own feeds for a padded batch, as tensors of `rt`. */
export function bindingFeeds<T extends RuntimeTensor>(rt: StepRuntime<T>, b: DataBinding, batch: PaddedBatch): Record<string, T> {
  let ids: BigInt64Array | Int32Array = batch.ids;
  if (b.timeMajor) {
    const t = new BigInt64Array(batch.ids.length);
    for (let i = 0; i < batch.batch; i++) for (let s = 0; s < batch.time; s++) t[s * batch.batch + i] = batch.ids[i * batch.time + s]!;
    ids = t;
  }
  if (b.idsDType === 'int32') ids = Int32Array.from(ids as BigInt64Array, (v) => Number(v));
  const dims = b.timeMajor ? [batch.time, batch.batch] : [batch.batch, batch.time];
  const feeds: Record<string, T> = {
    [b.idsInput]: ids instanceof Int32Array ? rt.tensor('int32', ids, dims) : rt.tensor('int64', ids, dims),
  };
  if (b.lengthsInput) {
    feeds[b.lengthsInput] = b.lengthsDType === 'int64'
      ? rt.tensor('int64', BigInt64Array.from(batch.lengths, (v) => BigInt(v)), [batch.batch])
      : rt.tensor('int32', batch.lengths, [batch.batch]);
  }
  for (const { name, dims: [d, h] } of b.zeroStates ?? []) feeds[name] = rt.tensor('float32', new Float32Array(d * batch.batch * h), [d, batch.batch, h]);
  return feeds;
}

/** The model's own feeds for a padded batch, as onnxruntime-node tensors. */
export function batchFeeds(b: DataBinding, batch: PaddedBatch): Record<string, ort.Tensor> {
  return bindingFeeds(nodeStepRuntime(), b, batch);
}

/** A batch of an imported model: its own feeds and the int64 labels [batch]. */
export interface ImportedBatch<T extends RuntimeTensor = ort.Tensor> {
  feeds: Record<string, T>;
  labels: BigInt64Array;
}

/** Feeds of an imported model's step and eval graphs: the model's inputs plus labels. */
export function importedFeeder<T extends RuntimeTensor>(labelsInput: string): BatchFeeder<ImportedBatch<T>, T> {
  const feeds = (rt: StepRuntime<T>, b: ImportedBatch<T>): Record<string, T> => ({ ...b.feeds, [labelsInput]: rt.tensor('int64', b.labels, [b.labels.length]) });
  return { trainFeeds: feeds, evalFeeds: feeds, size: (b) => b.labels.length, describe: (b) => `a batch of ${b.labels.length}` };
}

export interface ImportedRunnerOptions {
  optimizer: OptimizerSpec;
  /** Parameter values to start from (default: the model's own initializers). */
  params?: Map<string, Tensor>;
  /** Optimizer state to resume (default zeros; a tensor of another shape is also replaced by zeros). */
  state?: Map<string, Tensor>;
  logitsOutput?: string;
  import?: ImportOptions;
  device?: Device;
  threads?: number;
}

/** A StepRunner over an imported model's step graph, and the model exported with its current weights. */
export interface ImportedRunner {
  runner: StepRunner<ImportedBatch, ort.Tensor>;
  graphs: ImportedStepGraphs;
  /** The fine-tuned model: the source's inputs, outputs, opset and metadata, the current weights. */
  exportModel(): ModelProto;
}

/**
 * Derive the step and eval graphs of `source` and open a runner for them on onnxruntime-node.
 * @throws ImportError (E_ONNX_IMPORT) for a parameter that is not float32 or not of the model's shape.
 */
export async function openImportedRunner(source: ModelProto, opts: ImportedRunnerOptions): Promise<ImportedRunner> {
  const common = { ...(opts.logitsOutput ? { logitsOutput: opts.logitsOutput } : {}), ...(opts.import ? { import: opts.import } : {}) };
  const graphs = buildImportedStep(source, opts.optimizer, { ...common, ...(opts.params ? { params: opts.params } : {}) });
  const evalModel = buildImportedEval(source, { ...common, trainable: graphs.params.map((p) => p.name) });
  const inits = new Map((source.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const params = new Map<string, Tensor>();
  for (const p of graphs.params) {
    const t = opts.params?.get(p.name) ?? tensorFromProto(inits.get(p.name)!);
    if (t.dtype !== 'float32') throw new ImportError(`parameter '${p.name}' is ${t.dtype}: fine-tuning runs in float32`);
    if (t.dims.join() !== p.dims.join()) throw new ImportError(`parameter '${p.name}' has shape [${t.dims}], the model needs [${p.dims}]`);
    params.set(p.name, t);
  }
  const state = new Map(graphs.state.map((s) => {
    const t = opts.state?.get(s.name);
    return [s.name, t && t.dims.join() === s.dims.join() ? t : allocate('float32', s.dims)];
  }));
  const runtime = nodeStepRuntime({ device: opts.device ?? 'cpu', ...(opts.threads ? { threads: opts.threads } : {}) });
  const runner = await StepRunner.open(runtime, importedFeeder<ort.Tensor>(graphs.labelsInput), { ...graphs, trainStep: encodeModel(graphs.trainStep), eval: encodeModel(evalModel) }, { params, state }, { stepLabel: 'fine-tuning step' });
  const importOpts = opts.import ?? {};
  return { runner, graphs, exportModel: () => exportImported(source, runner.params(), importOpts) };
}
