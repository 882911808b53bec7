// onnxruntime-web as a step runtime (src/train/step-runner.ts), and the classifier's step
// runner on it, opened on the first backend that starts.
import type * as OrtWeb from 'onnxruntime-web';
import { encodeModel } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import type { StepGraphs } from '../train/step-graph.js';
import type { StepRuntime } from '../train/step-runner.js';
import { openClassifierRunner, type ClassifierRunner } from '../train/classifier-feeds.js';
import { ortFor, sessionOptions, type Ort, type WebBackend } from './ort.js';
import { WEBGPU_QUEUE } from '../runtime/run-queue.js';
import { DeviceUnavailableError } from '../runtime/errors.js';

/**
 * onnxruntime-web as a step runtime. On WebGPU, session creation, runs and release go through
 * the realm's WebGPU queue, like the Predictor's, so training and inference never overlap on
 * the shared device.
 */
export function webStepRuntime(ort: Ort, backend: WebBackend = 'wasm'): StepRuntime<OrtWeb.Tensor> {
  const serial = <T>(f: () => Promise<T>): Promise<T> => (backend === 'webgpu' ? WEBGPU_QUEUE.run(f) : f());
  return {
    tensor: (type: 'float32' | 'int64' | 'int32', data: Float32Array | BigInt64Array | Int32Array, dims: readonly number[]) => new ort.Tensor(type, data, dims),
    createSession: async (bytes: Uint8Array) => {
      const session = await serial(() => ort.InferenceSession.create(bytes, sessionOptions(backend)));
      return {
        run: (feeds: Record<string, OrtWeb.Tensor>) => serial(() => session.run(feeds)),
        release: () => serial(() => session.release()),
      };
    },
  } as StepRuntime<OrtWeb.Tensor>;
}

/** The classifier's step runner on onnxruntime-web (`backend` default 'wasm'). */
export async function openWebClassifierRunner(
  graphs: StepGraphs,
  params: Map<string, Tensor>,
  state: Map<string, Tensor>,
  opts: { backend?: WebBackend; ort?: Ort } = {},
): Promise<ClassifierRunner<OrtWeb.Tensor>> {
  const backend = opts.backend ?? 'wasm';
  const ort = opts.ort ?? (await ortFor(backend));
  const models = { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) };
  return openClassifierRunner(webStepRuntime(ort, backend), graphs, models, params, state);
}

/** @deprecated The classifier's step runner on onnxruntime-web: use openWebClassifierRunner. */
export type WebTrainSession = ClassifierRunner<OrtWeb.Tensor>;
/** @deprecated "Session" is onnxruntime's word: use openWebClassifierRunner(graphs, params, state, opts). */
export const WebTrainSession = { create: openWebClassifierRunner };

/**
 * Open on the first backend that starts ('auto' lists WebGPU, then WASM): a WebGPU adapter
 * that fails to start falls back to the next. Throws the last backend's error.
 */
export async function openOnFirst<T>(backends: WebBackend[], open: (b: WebBackend) => Promise<T>): Promise<{ session: T; backend: WebBackend }> {
  let last: unknown = new DeviceUnavailableError('no backend to train on');
  for (const b of backends) {
    try {
      return { session: await open(b), backend: b };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}


