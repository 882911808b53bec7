// Runs the training-step and eval graphs in some onnxruntime, keeping parameters and optimizer
// state as tensors between steps (each step's outputs are the next step's inputs).
// Runtime-agnostic: Node (onnxruntime-node, train-session.ts) and the browser
// (onnxruntime-web, src/web/train.ts) each hand it their Tensor class and session factory.
import type { PaddedBatch } from '../data/batches.js';
import type { Tensor } from '../onnx/tensor.js';
import type { StepGraphs, TensorSpec } from './step-graph.js';
import { ModelRunError } from '../runtime/errors.js';
import { ortMessage } from '../runtime/ort-errors.js';

/**
 * session.run, with an onnxruntime failure (a kernel error, a failed allocation on a huge batch)
 * turned into ModelRunError (E_MODEL_RUN) saying which run and batch it was.
 */
async function runCoded<T extends RuntimeTensor>(session: RuntimeSession<T>, feeds: Record<string, T>, what: string): Promise<Record<string, T>> {
  try {
    return await session.run(feeds);
  } catch (e) {
    throw new ModelRunError(`onnxruntime failed on ${what}: ${ortMessage(e)}`);
  }
}

export interface StepResult {
  loss: number;
  correct: number;
  gradNorm: number;
}

export interface StepInputs {
  batch: PaddedBatch;
  labels: BigInt64Array;
  embeddingMask: Float32Array;
  outputMask: Float32Array;
  lr: number;
  /** 1-based global step (Adam's bias correction). */
  step: number;
}

/** What the runner needs of an onnxruntime tensor. */
export interface RuntimeTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** What the runner needs of an onnxruntime InferenceSession. */
export interface RuntimeSession<T extends RuntimeTensor> {
  run(feeds: Record<string, T>): Promise<Record<string, T>>;
  release(): Promise<void>;
}

/** One onnxruntime: how to make tensors and sessions. */
export interface StepRuntime<T extends RuntimeTensor> {
  tensor(type: 'float32', data: Float32Array, dims: readonly number[]): T;
  tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): T;
  tensor(type: 'int32', data: Int32Array, dims: readonly number[]): T;
  createSession(bytes: Uint8Array): Promise<RuntimeSession<T>>;
}

/** Everything a StepRunner is made of; openStepRunner() builds it. */
export interface StepRunnerParts<T extends RuntimeTensor> {
  runtime: StepRuntime<T>;
  train: RuntimeSession<T>;
  eval: RuntimeSession<T>;
  graphs: StepGraphs;
  tensors: Map<string, T>;
}

/** Create both sessions and load the initial parameters and optimizer state (shapes checked). */
export async function openStepRunner<T extends RuntimeTensor>(
  runtime: StepRuntime<T>,
  graphs: StepGraphs,
  models: { trainStep: Uint8Array; eval: Uint8Array },
  params: Map<string, Tensor>,
  state: Map<string, Tensor>,
): Promise<StepRunnerParts<T>> {
  const tensors = new Map<string, T>();
  const put = (spec: TensorSpec, t: Tensor | undefined, what: string): void => {
    if (!t) throw new Error(`missing ${what} '${spec.name}'`);
    if (t.dims.join() !== spec.dims.join()) throw new Error(`${what} '${spec.name}' has shape [${t.dims}], expected [${spec.dims}]`);
    tensors.set(spec.name, runtime.tensor('float32', t.data as Float32Array, t.dims));
  };
  graphs.params.forEach((p) => put(p, params.get(p.name), 'parameter'));
  graphs.state.forEach((s) => put(s, state.get(s.name), 'optimizer state'));
  const train = await runtime.createSession(models.trainStep);
  const evalSession = await runtime.createSession(models.eval);
  return { runtime, train, eval: evalSession, graphs, tensors };
}

const scalar = (t: RuntimeTensor | undefined, name: string): number => {
  if (!t) throw new Error(`the training graph has no '${name}' output`);
  return (t.data as Float32Array)[0]!;
};

export class StepRunner<T extends RuntimeTensor> {
  protected readonly runtime: StepRuntime<T>;
  protected readonly graphs: StepGraphs;
  private readonly trainSession: RuntimeSession<T>;
  private readonly evalSession: RuntimeSession<T>;
  private readonly tensors: Map<string, T>;

  constructor(parts: StepRunnerParts<T>) {
    this.runtime = parts.runtime;
    this.graphs = parts.graphs;
    this.trainSession = parts.train;
    this.evalSession = parts.eval;
    this.tensors = parts.tensors;
  }

  private batchFeeds(batch: PaddedBatch, labels: BigInt64Array): Record<string, T> {
    return {
      ids: this.runtime.tensor('int64', batch.ids, [batch.batch, batch.time]),
      lengths: this.runtime.tensor('int32', batch.lengths, [batch.batch]),
      labels: this.runtime.tensor('int64', labels, [batch.batch]),
    };
  }

  /** One optimizer step; parameters and state advance only if the loss is finite. */
  async step(inp: StepInputs): Promise<StepResult> {
    const { batch: B, time: T } = inp.batch;
    const feeds: Record<string, T> = {
      ...this.batchFeeds(inp.batch, inp.labels),
      'dropout.embedding': this.runtime.tensor('float32', inp.embeddingMask, [T, B, inp.embeddingMask.length / (T * B)]),
      'dropout.output': this.runtime.tensor('float32', inp.outputMask, [B, inp.outputMask.length / B]),
      lr: this.runtime.tensor('float32', Float32Array.of(inp.lr), []),
      step: this.runtime.tensor('float32', Float32Array.of(inp.step), []),
    };
    for (const [name, t] of this.tensors) feeds[name] = t;
    const out = await runCoded(this.trainSession, feeds, `training step ${inp.step} (a batch of ${B} sentence(s) of up to ${T} tokens)`);
    const result = { loss: scalar(out.loss, 'loss'), correct: scalar(out.correct, 'correct'), gradNorm: scalar(out.grad_norm, 'grad_norm') };
    if (Number.isFinite(result.loss) && Number.isFinite(result.gradNorm)) {
      for (const name of this.tensors.keys()) this.tensors.set(name, out[this.graphs.nextName(name)]!);
    }
    return result;
  }

  /** Summed loss and correct count over the given batches (no dropout, no update). */
  async evaluate(batches: { batch: PaddedBatch; labels: BigInt64Array }[]): Promise<{ loss: number; correct: number; total: number; predictions: number[] }> {
    let loss = 0;
    let correct = 0;
    let total = 0;
    const predictions: number[] = [];
    for (const { batch, labels } of batches) {
      const feeds = this.batchFeeds(batch, labels);
      for (const p of this.graphs.params) feeds[p.name] = this.tensors.get(p.name)!;
      const out = await runCoded(this.evalSession, feeds, `evaluation (a batch of ${batch.batch} sentence(s) of up to ${batch.time} tokens)`);
      loss += scalar(out.loss_sum, 'loss_sum');
      correct += scalar(out.correct, 'correct');
      total += batch.batch;
      const logits = out.logits!.data as Float32Array;
      const C = logits.length / batch.batch;
      for (let b = 0; b < batch.batch; b++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (logits[b * C + c]! > logits[b * C + best]!) best = c;
        predictions.push(best);
      }
    }
    return { loss, correct, total, predictions };
  }

  private snapshot(specs: TensorSpec[]): Map<string, Tensor> {
    return new Map(specs.map((s) => {
      const t = this.tensors.get(s.name)!;
      return [s.name, { dtype: 'float32', dims: [...t.dims], data: t.data as Float32Array }];
    }));
  }

  params(): Map<string, Tensor> {
    return this.snapshot(this.graphs.params);
  }

  state(): Map<string, Tensor> {
    return this.snapshot(this.graphs.state);
  }

  async release(): Promise<void> {
    await this.trainSession.release();
    await this.evalSession.release();
  }
}
