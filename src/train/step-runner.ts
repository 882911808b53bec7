// Runs a training-step graph (training-step.ts) and its eval graph in any onnxruntime, keeping
// parameters and optimizer state as onnxruntime tensors between steps: each step's
// `<name>.next` outputs are the next step's `<name>` inputs, never copied into JS arrays by us
// except when someone asks for params()/state() (a checkpoint, the best model). Where the
// session writes into tensors passed as outputs (onnxruntime-node on CPU), the updated values
// go into a second set of buffers and the two sets swap each step, so onnxruntime allocates
// nothing for them. (onnxruntime-node 1.30's binding still returns a fresh JS copy of every
// fetched output, which the runner drops: about 40% of a 1-layer step's CPU time, measured by
// scripts/bench/step-copies.ts.) Runtime-agnostic: Node (onnxruntime-node, node-runtime.ts) and
// the browser (onnxruntime-web, src/web/train.ts) hand it their Tensor class and session
// factory; the classifier (classifier-feeds.ts) and imported models (finetune/) hand it their
// batch feeds. With the lazy embedding update the step returns only the table's and its moments'
// updated rows (`rowUpdates`): the runner keeps those tensors in its own Float32Arrays (the input
// tensors wrap them, so nothing is copied in) and writes the rows into them after each step.
import type { Tensor } from '../onnx/tensor.js';
import { StepInputError } from './errors.js';
import { ModelRunError } from '../runtime/errors.js';
import { ortMessage } from '../runtime/ort-errors.js';
import { nextName, nextRowsName, type RowUpdateSpec, type StepResult, type TensorSpec, type TrainingStepSpec } from './training-step.js';

export type { StepResult } from './training-step.js';

/** What the runner needs of an onnxruntime tensor. */
export interface RuntimeTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** What the runner needs of an onnxruntime InferenceSession. */
export interface RuntimeSession<T extends RuntimeTensor> {
  /** `fetches`: output tensors to write into (honoured only when `preallocatedOutputs`). */
  run(feeds: Record<string, T>, fetches?: Record<string, T | null>): Promise<Record<string, T>>;
  release(): Promise<void>;
  /** True when run() writes outputs into the tensors given in `fetches` (onnxruntime-node on CPU). */
  readonly preallocatedOutputs?: boolean;
}

/** One onnxruntime: how to make tensors and sessions. */
export interface StepRuntime<T extends RuntimeTensor> {
  tensor(type: 'float32', data: Float32Array, dims: readonly number[]): T;
  tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): T;
  tensor(type: 'int32', data: Int32Array, dims: readonly number[]): T;
  createSession(bytes: Uint8Array): Promise<RuntimeSession<T>>;
}

/** How a model's batches become feeds: the only thing our classifier and imported models differ in. */
export interface BatchFeeder<B, T extends RuntimeTensor> {
  /** Inputs of a training step for `batch` (data, labels, per-step inputs such as dropout masks). */
  trainFeeds(runtime: StepRuntime<T>, batch: B): Record<string, T>;
  /** Inputs of the eval graph for `batch` (data and labels). */
  evalFeeds(runtime: StepRuntime<T>, batch: B): Record<string, T>;
  /** Examples in the batch. */
  size(batch: B): number;
  /** The batch in an error message: 'a batch of 3 sentence(s) of up to 7 tokens'. */
  describe(batch: B): string;
}

/** Summed loss and correct count over evaluated batches, and each example's argmax class in order. */
export interface EvalResult {
  loss: number;
  correct: number;
  total: number;
  predictions: number[];
}

/**
 * session.run, with an onnxruntime failure (a kernel error, a failed allocation on a huge batch)
 * turned into ModelRunError (E_MODEL_RUN) saying which run and batch it was.
 */
async function runCoded<T extends RuntimeTensor>(session: RuntimeSession<T>, feeds: Record<string, T>, what: string, fetches?: Record<string, T | null>): Promise<Record<string, T>> {
  try {
    return await (fetches ? session.run(feeds, fetches) : session.run(feeds));
  } catch (e) {
    throw new ModelRunError(`onnxruntime failed on ${what}: ${ortMessage(e)}`);
  }
}

const scalar = (t: RuntimeTensor | undefined, name: string): number => {
  if (!t) throw new ModelRunError(`the training graph has no '${name}' output`);
  return (t.data as Float32Array)[0]!;
};

/** A float32 tensor's contents, copied: the runner reuses its buffers. */
const copyOut = (t: RuntimeTensor): Tensor => ({ dtype: 'float32', dims: [...t.dims], data: new Float32Array(t.data as Float32Array) });

/** What StepRunner.open() needs: the step graph's contract and both graphs as bytes. */
export interface StepModels extends Pick<TrainingStepSpec, 'params' | 'state' | 'lrInput' | 'stepInput' | 'rowUpdates'> {
  trainStep: Uint8Array;
  eval: Uint8Array;
}

/**
 * One training-step session and one eval session of some onnxruntime, with the parameters and
 * optimizer state between steps. `B` is the model's batch (the feeder turns it into feeds),
 * `T` the runtime's tensor class. Open with StepRunner.open().
 */
export class StepRunner<B, T extends RuntimeTensor = RuntimeTensor> {
  /** The other set of parameter/state buffers the next step writes into (preallocated outputs only). */
  private spare: Map<string, T> | null;
  /** Tensors the step returns by rows (RowUpdateSpec): kept here, never swapped; their `data` is written in place. */
  private readonly byRows: Map<string, T>;
  private readonly rowUpdates: RowUpdateSpec | null;

  protected constructor(
    readonly runtime: StepRuntime<T>,
    readonly feeder: BatchFeeder<B, T>,
    readonly spec: StepModels,
    private readonly trainSession: RuntimeSession<T>,
    private readonly evalSession: RuntimeSession<T>,
    private tensors: Map<string, T>,
    /** 'training step' or 'fine-tuning step': how errors name a step. */
    private readonly stepLabel: string,
  ) {
    this.rowUpdates = spec.rowUpdates ?? null;
    const rowNames = new Set(this.rowUpdates?.tensors ?? []);
    this.byRows = new Map([...tensors].filter(([name]) => rowNames.has(name)));
    for (const name of rowNames) tensors.delete(name);
    this.spare = trainSession.preallocatedOutputs
      ? new Map([...tensors].map(([name, t]) => [name, runtime.tensor('float32', new Float32Array((t.data as Float32Array).length), t.dims)]))
      : null;
  }

  /** The current value of a parameter or state tensor. */
  private current(name: string): T {
    return this.tensors.get(name) ?? this.byRows.get(name)!;
  }

  /**
   * Create both sessions and load the initial parameters and optimizer state (every tensor of
   * `models.params` / `models.state` must be given, float32, of its shape).
   * @throws StepInputError (E_STEP_INPUTS) for a missing or misshapen tensor; onnxruntime's load errors.
   */
  static async open<B, T extends RuntimeTensor>(
    runtime: StepRuntime<T>,
    feeder: BatchFeeder<B, T>,
    models: StepModels,
    values: { params: Map<string, Tensor>; state: Map<string, Tensor> },
    opts: { stepLabel?: string } = {},
  ): Promise<StepRunner<B, T>> {
    const tensors = loadTensors(runtime, models, values);
    const train = await runtime.createSession(models.trainStep);
    const evalSession = await runtime.createSession(models.eval);
    return new StepRunner(runtime, feeder, models, train, evalSession, tensors, opts.stepLabel ?? 'training step');
  }

  /**
   * One optimizer step on `batch` at learning rate `lr`; `step` is the 1-based global step
   * (Adam's bias correction). Parameters and state advance only when loss and gradient norm
   * are finite; the caller decides what a non-finite loss means.
   * @throws ModelRunError (E_MODEL_RUN) when onnxruntime fails, naming the step and batch.
   */
  async step(batch: B, at: { lr: number; step: number }): Promise<StepResult> {
    const feeds: Record<string, T> = {
      ...this.feeder.trainFeeds(this.runtime, batch),
      [this.spec.lrInput]: this.runtime.tensor('float32', Float32Array.of(at.lr), []),
      [this.spec.stepInput]: this.runtime.tensor('float32', Float32Array.of(at.step), []),
    };
    for (const [name, t] of this.tensors) feeds[name] = t;
    for (const [name, t] of this.byRows) feeds[name] = t;
    let fetches: Record<string, T | null> | undefined;
    if (this.spare) {
      fetches = { loss: null, correct: null, grad_norm: null };
      for (const [name, t] of this.spare) fetches[nextName(name)] = t;
      if (this.rowUpdates) {
        fetches[this.rowUpdates.idsOutput] = null;
        for (const name of this.byRows.keys()) fetches[nextRowsName(name)] = null;
      }
    }
    const out = await runCoded(this.trainSession, feeds, `${this.stepLabel} ${at.step} (${this.feeder.describe(batch)})`, fetches);
    const result = { loss: scalar(out.loss, 'loss'), correct: scalar(out.correct, 'correct'), gradNorm: scalar(out.grad_norm, 'grad_norm') };
    if (Number.isFinite(result.loss) && Number.isFinite(result.gradNorm)) {
      if (this.spare) [this.tensors, this.spare] = [this.spare, this.tensors];
      else for (const name of this.tensors.keys()) this.tensors.set(name, out[nextName(name)]!);
      if (this.rowUpdates) this.scatterRows(out);
    }
    return result;
  }

  /**
   * Write the step's updated rows into the row-updated tensors: row `ids[k]` of each becomes
   * row k of its `<name>.next_rows` [U, E]. Rows not named keep their values, as SparseAdam has it.
   * @throws ModelRunError (E_MODEL_RUN) when an output is missing or an id is outside the table.
   */
  private scatterRows(out: Record<string, T>): void {
    const idsOut = out[this.rowUpdates!.idsOutput];
    if (!idsOut) throw new ModelRunError(`the training graph has no '${this.rowUpdates!.idsOutput}' output`);
    const ids = idsOut.data as BigInt64Array;
    for (const [name, t] of this.byRows) {
      const rowsOut = out[nextRowsName(name)];
      if (!rowsOut) throw new ModelRunError(`the training graph has no '${nextRowsName(name)}' output`);
      const rows = rowsOut.data as Float32Array;
      const table = t.data as Float32Array;
      const [V, E] = [t.dims[0]!, t.dims[1]!];
      if (rows.length !== ids.length * E) throw new ModelRunError(`'${nextRowsName(name)}' holds ${rows.length} values, expected ${ids.length} rows of ${E}`);
      for (let k = 0; k < ids.length; k++) {
        const id = Number(ids[k]);
        if (!(id >= 0 && id < V)) throw new ModelRunError(`'${this.rowUpdates!.idsOutput}' holds row id ${id}, outside '${name}' [${V}, ${E}]`);
        table.set(rows.subarray(k * E, (k + 1) * E), id * E);
      }
    }
  }

  /**
   * Summed loss and correct count over the given batches with the current parameters (no
   * dropout, no update), and the argmax of each example's logits.
   * @throws ModelRunError (E_MODEL_RUN) when onnxruntime fails.
   */
  async evaluate(batches: Iterable<B>): Promise<EvalResult> {
    const r: EvalResult = { loss: 0, correct: 0, total: 0, predictions: [] };
    for (const batch of batches) {
      const feeds = this.feeder.evalFeeds(this.runtime, batch);
      for (const p of this.spec.params) feeds[p.name] = this.current(p.name);
      const out = await runCoded(this.evalSession, feeds, `evaluation (${this.feeder.describe(batch)})`);
      const n = this.feeder.size(batch);
      r.loss += scalar(out.loss_sum, 'loss_sum');
      r.correct += scalar(out.correct, 'correct');
      r.total += n;
      const logits = out.logits!.data as Float32Array;
      const C = logits.length / n;
      for (let b = 0; b < n; b++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (logits[b * C + c]! > logits[b * C + best]!) best = c;
        r.predictions.push(best);
      }
    }
    return r;
  }

  private snapshot(specs: TensorSpec[]): Map<string, Tensor> {
    return new Map(specs.map((s) => [s.name, copyOut(this.current(s.name))]));
  }

  /** The current parameters, copied out of onnxruntime (a checkpoint, the best model). */
  params(): Map<string, Tensor> {
    return this.snapshot(this.spec.params);
  }

  /** The current optimizer state, copied out of onnxruntime. */
  state(): Map<string, Tensor> {
    return this.snapshot(this.spec.state);
  }

  async release(): Promise<void> {
    await this.trainSession.release();
    await this.evalSession.release();
  }
}

function loadTensors<T extends RuntimeTensor>(runtime: StepRuntime<T>, models: StepModels, values: { params: Map<string, Tensor>; state: Map<string, Tensor> }): Map<string, T> {
  const tensors = new Map<string, T>();
  const put = (spec: TensorSpec, t: Tensor | undefined, what: string): void => {
    if (!t) throw new StepInputError(`missing ${what} '${spec.name}': the training step needs [${spec.dims}]`);
    if (t.dtype !== 'float32') throw new StepInputError(`${what} '${spec.name}' is ${t.dtype}: training runs in float32`);
    if (t.dims.join() !== spec.dims.join()) throw new StepInputError(`${what} '${spec.name}' has shape [${t.dims}], expected [${spec.dims}]`);
    // A copy: the runner may write into its buffers, and the caller keeps its own.
    tensors.set(spec.name, runtime.tensor('float32', new Float32Array(t.data as Float32Array), t.dims));
  };
  models.params.forEach((p) => put(p, values.params.get(p.name), 'parameter'));
  models.state.forEach((s) => put(s, values.state.get(s.name), 'optimizer state'));
  return tensors;
}
