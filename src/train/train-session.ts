// The training-step runner over onnxruntime-node. The step/evaluate logic is runtime-agnostic
// and lives in step-runner.ts (the browser's twin is src/web/train.ts).
import * as ort from 'onnxruntime-node';
import { openNodeSession } from '../runtime/node.js';
import { WEBGPU_QUEUE } from '../runtime/run-queue.js';
import type { Device } from '../runtime/device.js';
import type { Tensor } from '../onnx/tensor.js';
import { encodeModel } from '../onnx/proto.js';
import type { StepGraphs } from './step-graph.js';
import { openStepRunner, StepRunner, type StepRuntime } from './step-runner.js';

export type { StepInputs, StepResult } from './step-runner.js';

/**
 * onnxruntime-node as a step runtime on a device. On WebGPU, runs and release go through the
 * process's WebGPU queue (the device is shared with any Predictor on it).
 */
export function nodeStepRuntime(opts: { device?: Device; threads?: number } = {}): StepRuntime<ort.Tensor> {
  return {
    tensor: (type: 'float32' | 'int64' | 'int32', data: Float32Array | BigInt64Array | Int32Array, dims: readonly number[]) => new ort.Tensor(type, data, dims),
    createSession: async (bytes: Uint8Array) => {
      const { session, provider } = await openNodeSession(bytes, opts);
      if (provider !== 'webgpu') return session;
      return {
        run: (feeds: Record<string, ort.Tensor>) => WEBGPU_QUEUE.run(() => session.run(feeds)),
        release: () => WEBGPU_QUEUE.run(() => session.release()),
      };
    },
  } as StepRuntime<ort.Tensor>;
}

export class TrainSession extends StepRunner<ort.Tensor> {
  static async create(graphs: StepGraphs, params: Map<string, Tensor>, state: Map<string, Tensor>, opts: { device?: Device; threads?: number } = {}): Promise<TrainSession> {
    const models = { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) };
    return new TrainSession(await openStepRunner(nodeStepRuntime(opts), graphs, models, params, state));
  }
}
