// Our classifier's batches as step inputs: ids [batch, time] int64, lengths [batch] int32,
// labels [batch] int64, and for a training step the two dropout masks
// ('dropout.embedding' [time, batch, embedDim], 'dropout.output' [batch, 2·hidden]) drawn from
// (seed, step) so a step is a pure function of its inputs and a resumed run repeats exactly.
import { padBatch, type PaddedBatch } from '../data/batches.js';
import type { ModelConfig } from '../models/config.js';
import type { Tensor } from '../onnx/tensor.js';
import { dropoutMask, stepRng } from './dropout.js';
import type { StepGraphs } from './step-graph.js';
import { StepRunner, type BatchFeeder, type RuntimeTensor, type StepRuntime } from './step-runner.js';

/** Token ids and class ids of a split's examples, in order. */
export interface Encoded {
  ids: number[][];
  labels: number[];
}

/** The padded, labelled batch of these example indices. */
export function labelledBatch(data: Encoded, indices: number[]): LabelledBatch {
  return { batch: padBatch(indices.map((i) => data.ids[i]!)), labels: BigInt64Array.from(indices, (i) => BigInt(data.labels[i]!)) };
}

/** A padded batch with its labels (class ids), as the eval graph takes it. */
export interface LabelledBatch {
  batch: PaddedBatch;
  labels: BigInt64Array;
}

/** A training batch: a labelled batch and its dropout masks (inverted dropout: 0 or 1/(1−p)). */
export interface ClassifierBatch extends LabelledBatch {
  /** [time, batch, embedDim] row-major. */
  embeddingMask: Float32Array;
  /** [batch, 2·hidden] row-major. */
  outputMask: Float32Array;
}

/** The step runner of our classifier (a StepRunner fed ClassifierBatches). */
export type ClassifierRunner<T extends RuntimeTensor = RuntimeTensor> = StepRunner<ClassifierBatch | LabelledBatch, T>;

const dataFeeds = <T extends RuntimeTensor>(rt: StepRuntime<T>, { batch, labels }: LabelledBatch): Record<string, T> => ({
  ids: rt.tensor('int64', batch.ids, [batch.batch, batch.time]),
  lengths: rt.tensor('int32', batch.lengths, [batch.batch]),
  labels: rt.tensor('int64', labels, [batch.batch]),
});

/** Feeds for the classifier's step and eval graphs (step-graph.ts). */
export function classifierFeeder<T extends RuntimeTensor>(): BatchFeeder<ClassifierBatch | LabelledBatch, T> {
  return {
    trainFeeds: (rt, b) => {
      if (!('embeddingMask' in b)) throw new TypeError('a training step needs the batch\'s dropout masks (withDropout)');
      const { batch: B, time: T } = b.batch;
      return {
        ...dataFeeds(rt, b),
        'dropout.embedding': rt.tensor('float32', b.embeddingMask, [T, B, b.embeddingMask.length / (T * B)]),
        'dropout.output': rt.tensor('float32', b.outputMask, [B, b.outputMask.length / B]),
      };
    },
    evalFeeds: dataFeeds,
    size: (b) => b.batch.batch,
    describe: (b) => `a batch of ${b.batch.batch} sentence(s) of up to ${b.batch.time} tokens`,
  };
}

/**
 * Buffers that successive training steps draw their dropout masks into, grown to the largest
 * batch seen, so a training loop allocates no mask per step (~10^5 floats each: fresh ones cost
 * more in garbage collection, driven by external memory, than drawing them does).
 */
export class DropoutBuffers {
  private embedding = new Float32Array(0);
  private output = new Float32Array(0);

  /** A buffer of at least `n` floats for this mask; the same one again until a larger `n` is asked. */
  take(mask: 'embedding' | 'output', n: number): Float32Array {
    if (this[mask].length < n) this[mask] = new Float32Array(n);
    return this[mask];
  }
}

/**
 * `b` with the dropout masks of global step `step` (1-based) of a run with this seed. With
 * `buffers`, the masks are views into them: valid until the next call with the same buffers
 * (a training loop uses a step's batch only for that step).
 */
export function withDropout(b: LabelledBatch, config: Pick<ModelConfig, 'embedDim' | 'hidden' | 'dropout'>, seed: number, step: number, buffers?: DropoutBuffers): ClassifierBatch {
  const rng = stepRng(seed, step);
  const { batch: B, time: T } = b.batch;
  const embedding = T * B * config.embedDim;
  const output = B * 2 * config.hidden;
  return {
    ...b,
    embeddingMask: dropoutMask(rng, embedding, config.dropout, buffers?.take('embedding', embedding)),
    outputMask: dropoutMask(rng, output, config.dropout, buffers?.take('output', output)),
  };
}

/**
 * A step runner for the classifier's graphs on `runtime`, starting from these parameters and
 * optimizer state (copied in).
 * @throws StepInputError (E_STEP_INPUTS) when a tensor is missing or misshapen.
 */
export function openClassifierRunner<T extends RuntimeTensor>(runtime: StepRuntime<T>, graphs: StepGraphs, models: { trainStep: Uint8Array; eval: Uint8Array }, params: Map<string, Tensor>, state: Map<string, Tensor>): Promise<ClassifierRunner<T>> {
  return StepRunner.open(runtime, classifierFeeder<T>(), { ...models, params: graphs.params, state: graphs.state, lrInput: graphs.lrInput, stepInput: graphs.stepInput, rowUpdates: graphs.rowUpdates ?? null }, { params, state });
}
