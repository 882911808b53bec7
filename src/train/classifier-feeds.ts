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

/** `b` with the dropout masks of global step `step` (1-based) of a run with this seed. */
export function withDropout(b: LabelledBatch, config: Pick<ModelConfig, 'embedDim' | 'hidden' | 'dropout'>, seed: number, step: number): ClassifierBatch {
  const rng = stepRng(seed, step);
  const { batch: B, time: T } = b.batch;
  return {
    ...b,
    embeddingMask: dropoutMask(rng, T * B * config.embedDim, config.dropout),
    outputMask: dropoutMask(rng, B * 2 * config.hidden, config.dropout),
  };
}

/**
 * A step runner for the classifier's graphs on `runtime`, starting from these parameters and
 * optimizer state (copied in).
 * @throws StepInputError (E_STEP_INPUTS) when a tensor is missing or misshapen.
 */
export function openClassifierRunner<T extends RuntimeTensor>(runtime: StepRuntime<T>, graphs: StepGraphs, models: { trainStep: Uint8Array; eval: Uint8Array }, params: Map<string, Tensor>, state: Map<string, Tensor>): Promise<ClassifierRunner<T>> {
  return StepRunner.open(runtime, classifierFeeder<T>(), { ...models, params: graphs.params, state: graphs.state, lrInput: graphs.lrInput, stepInput: graphs.stepInput }, { params, state });
}
