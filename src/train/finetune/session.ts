// Fine-tuning an imported model in onnxruntime: the step graph's updated parameters and
// optimizer state are fed back as the next step's inputs (as src/train/train-session.ts
// does for our own classifier, whose feeds differ: no dropout masks here).
import * as ort from 'onnxruntime-node';
import type { PaddedBatch } from '../../data/batches.js';
import type { Value } from '../../graph/index.js';
import { encodeModel, type ModelProto } from '../../onnx/proto.js';
import { allocate, tensorFromProto, type Tensor } from '../../onnx/tensor.js';
import type { OptimizerSpec } from '../../optim/index.js';
import type { Device } from '../../runtime/device.js';
import { createNodeSession } from '../../runtime/node.js';
import { ModelRunError } from '../../runtime/errors.js';
import { ortMessage } from '../../runtime/ort-errors.js';
import { ImportError } from '../../onnx-import/context.js';
import type { ImportedModel, ImportOptions } from '../../onnx-import/importer.js';

/** session.run with onnxruntime's failure as ModelRunError (E_MODEL_RUN) naming the run. */
async function runCoded(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, what: string): Promise<ort.InferenceSession.ReturnType> {
  try {
    return await session.run(feeds);
  } catch (e) {
    throw new ModelRunError(`onnxruntime failed on ${what}: ${ortMessage(e)}`);
  }
}
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

/** The model's own feeds for a padded batch. */
export function batchFeeds(b: DataBinding, batch: PaddedBatch): Record<string, ort.Tensor> {
  let ids: BigInt64Array | Int32Array = batch.ids;
  if (b.timeMajor) {
    const t = new BigInt64Array(batch.ids.length);
    for (let i = 0; i < batch.batch; i++) for (let s = 0; s < batch.time; s++) t[s * batch.batch + i] = batch.ids[i * batch.time + s]!;
    ids = t;
  }
  if (b.idsDType === 'int32') ids = Int32Array.from(ids as BigInt64Array, (v) => Number(v));
  const feeds: Record<string, ort.Tensor> = {
    [b.idsInput]: new ort.Tensor(b.idsDType, ids, b.timeMajor ? [batch.time, batch.batch] : [batch.batch, batch.time]),
  };
  if (b.lengthsInput) {
    const lens = b.lengthsDType === 'int64' ? BigInt64Array.from(batch.lengths, (v) => BigInt(v)) : batch.lengths;
    feeds[b.lengthsInput] = new ort.Tensor(b.lengthsDType, lens, [batch.batch]);
  }
  for (const { name, dims: [d, h] } of b.zeroStates ?? []) feeds[name] = new ort.Tensor('float32', new Float32Array(d * batch.batch * h), [d, batch.batch, h]);
  return feeds;
}

export interface ImportedTrainerOptions {
  optimizer: OptimizerSpec;
  /** Parameter values to start from (default: the model's own initializers). */
  params?: Map<string, Tensor>;
  /** Optimizer state to resume (default zeros). */
  state?: Map<string, Tensor>;
  /** Completed steps so far (Adam's bias correction continues from here). */
  step?: number;
  logitsOutput?: string;
  import?: ImportOptions;
  device?: Device;
  threads?: number;
}

export interface StepResult {
  loss: number;
  correct: number;
  gradNorm: number;
}

const toOrt = (t: Tensor): ort.Tensor => new ort.Tensor('float32', t.data as Float32Array, t.dims);
const fromOrt = (t: ort.Tensor): Tensor => ({ dtype: 'float32', dims: [...t.dims], data: t.data as Float32Array });

export class ImportedTrainer {
  private constructor(
    readonly source: ModelProto,
    readonly graphs: ImportedStepGraphs,
    private readonly train: ort.InferenceSession,
    private readonly evalSession: ort.InferenceSession,
    private readonly tensors: Map<string, ort.Tensor>,
    private readonly importOpts: ImportOptions,
    public steps: number,
  ) {}

  static async create(source: ModelProto, opts: ImportedTrainerOptions): Promise<ImportedTrainer> {
    const common = { ...(opts.logitsOutput ? { logitsOutput: opts.logitsOutput } : {}), ...(opts.import ? { import: opts.import } : {}) };
    const graphs = buildImportedStep(source, opts.optimizer, { ...common, ...(opts.params ? { params: opts.params } : {}) });
    const evalModel = buildImportedEval(source, { ...common, trainable: graphs.params.map((p) => p.name) });
    const sessionOpts = { device: opts.device ?? 'cpu', ...(opts.threads ? { threads: opts.threads } : {}) } as const;
    const train = await createNodeSession(encodeModel(graphs.trainStep), sessionOpts);
    const evalSession = await createNodeSession(encodeModel(evalModel), sessionOpts);
    const inits = new Map((source.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
    const tensors = new Map<string, ort.Tensor>();
    for (const p of graphs.params) {
      const t = opts.params?.get(p.name) ?? tensorFromProto(inits.get(p.name)!);
      if (t.dtype !== 'float32') throw new ImportError(`parameter '${p.name}' is ${t.dtype}: fine-tuning runs in float32`);
      if (t.dims.join() !== p.dims.join()) throw new ImportError(`parameter '${p.name}' has shape [${t.dims}], the model needs [${p.dims}]`);
      tensors.set(p.name, toOrt(t));
    }
    for (const s of graphs.state) {
      const t = opts.state?.get(s.name);
      tensors.set(s.name, toOrt(t && t.dims.join() === s.dims.join() ? t : allocate('float32', s.dims)));
    }
    return new ImportedTrainer(source, graphs, train, evalSession, tensors, opts.import ?? {}, opts.step ?? 0);
  }

  /** One optimizer step on a batch (the model's feeds plus int64 labels); parameters advance only on a finite loss. */
  async step(feeds: Record<string, ort.Tensor>, labels: BigInt64Array, lr: number): Promise<StepResult> {
    const all: Record<string, ort.Tensor> = {
      ...feeds,
      [this.graphs.labelsInput]: new ort.Tensor('int64', labels, [labels.length]),
      [this.graphs.lrInput]: new ort.Tensor('float32', Float32Array.of(lr), []),
      [this.graphs.stepInput]: new ort.Tensor('float32', Float32Array.of(this.steps + 1), []),
    };
    for (const [name, t] of this.tensors) all[name] = t;
    const out = await runCoded(this.train, all, `fine-tuning step ${this.steps + 1} (a batch of ${labels.length})`);
    const r = {
      loss: (out.loss!.data as Float32Array)[0]!,
      correct: (out.correct!.data as Float32Array)[0]!,
      gradNorm: (out.grad_norm!.data as Float32Array)[0]!,
    };
    if (Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)) {
      for (const name of this.tensors.keys()) this.tensors.set(name, out[`${name}.next`]!);
      this.steps++;
    }
    return r;
  }

  /** Summed loss, correct count and predictions over labelled batches (no update). */
  async evaluate(batches: { feeds: Record<string, ort.Tensor>; labels: BigInt64Array }[]): Promise<{ loss: number; correct: number; total: number }> {
    let loss = 0;
    let correct = 0;
    let total = 0;
    for (const { feeds, labels } of batches) {
      const all: Record<string, ort.Tensor> = { ...feeds, [this.graphs.labelsInput]: new ort.Tensor('int64', labels, [labels.length]) };
      for (const p of this.graphs.params) all[p.name] = this.tensors.get(p.name)!;
      const out = await runCoded(this.evalSession, all, `evaluation (a batch of ${labels.length})`);
      loss += (out.loss_sum!.data as Float32Array)[0]!;
      correct += (out.correct!.data as Float32Array)[0]!;
      total += labels.length;
    }
    return { loss, correct, total };
  }

  params(): Map<string, Tensor> {
    return new Map(this.graphs.params.map((p) => [p.name, fromOrt(this.tensors.get(p.name)!)]));
  }

  state(): Map<string, Tensor> {
    return new Map(this.graphs.state.map((s) => [s.name, fromOrt(this.tensors.get(s.name)!)]));
  }

  /** The fine-tuned model: the source's inputs, outputs, opset and metadata, the new weights. */
  exportModel(): ModelProto {
    return exportImported(this.source, this.params(), this.importOpts);
  }

  async release(): Promise<void> {
    await this.train.release();
    await this.evalSession.release();
  }
}
