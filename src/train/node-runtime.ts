// onnxruntime-node as a step runtime (step-runner.ts). The step/evaluate logic is
// runtime-agnostic; the browser's runtime is webStepRuntime in src/web/train.ts.
import * as ort from 'onnxruntime-node';
import { openNodeSession } from '../runtime/node.js';
import { WEBGPU_QUEUE } from '../runtime/run-queue.js';
import type { Device } from '../runtime/device.js';
import type { Tensor } from '../onnx/tensor.js';
import { encodeModel } from '../onnx/proto.js';
import type { StepGraphs } from './step-graph.js';
import type { RuntimeSession, StepRuntime } from './step-runner.js';
import { openClassifierRunner, type ClassifierRunner } from './classifier-feeds.js';

/**
 * onnxruntime-node as a step runtime on a device. On CPU, sessions write a step's updated
 * parameters into preallocated output tensors (onnxruntime-node honours `fetches` values); on
 * WebGPU, runs and release go through the process's WebGPU queue (the device is shared with
 * any Predictor on it).
 */
export function nodeStepRuntime(opts: { device?: Device; threads?: number } = {}): StepRuntime<ort.Tensor> {
  return {
    tensor: (type: 'float32' | 'int64' | 'int32', data: Float32Array | BigInt64Array | Int32Array, dims: readonly number[]) => new ort.Tensor(type, data, dims),
    createSession: async (bytes: Uint8Array): Promise<RuntimeSession<ort.Tensor>> => {
      const { session, provider } = await openNodeSession(bytes, opts);
      const run = (feeds: Record<string, ort.Tensor>, fetches?: Record<string, ort.Tensor | null>): Promise<Record<string, ort.Tensor>> =>
        (fetches ? session.run(feeds, fetches) : session.run(feeds)) as Promise<Record<string, ort.Tensor>>;
      if (provider !== 'webgpu') return { run, release: () => session.release(), preallocatedOutputs: provider === 'cpu' };
      return {
        run: (feeds, fetches) => WEBGPU_QUEUE.run(() => run(feeds, fetches)),
        release: () => WEBGPU_QUEUE.run(() => session.release()),
      };
    },
  } as StepRuntime<ort.Tensor>;
}

/** The classifier's step runner on onnxruntime-node (device as openNodeSession chooses it: default 'auto'). */
export async function openNodeClassifierRunner(graphs: StepGraphs, params: Map<string, Tensor>, state: Map<string, Tensor>, opts: { device?: Device; threads?: number } = {}): Promise<ClassifierRunner<ort.Tensor>> {
  const models = { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) };
  return openClassifierRunner(nodeStepRuntime(opts), graphs, models, params, state);
}

/** @deprecated The classifier's step runner on onnxruntime-node: use openNodeClassifierRunner. */
export type TrainSession = ClassifierRunner<ort.Tensor>;
/** @deprecated "Session" is onnxruntime's word: use openNodeClassifierRunner(graphs, params, state, opts). */
export const TrainSession = { create: openNodeClassifierRunner };
