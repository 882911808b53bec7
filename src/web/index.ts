// Browser entry of highway-onnx: the Node runtime's Predictor API over onnxruntime-web, and
// training in the browser (src/web/train.ts). Nothing reachable from here imports node:*.
import { DeviceLostError, ModelLoadError } from '../runtime/errors.js';
import { vetClassifierModel } from '../runtime/validate.js';
import { ortMessage } from '../runtime/ort-errors.js';
import { Predictor, smallRunTokensFor, type ModelInfo, type PredictorOptions, type SessionLike, type TensorCtor } from '../runtime/predictor.js';
import { openUnpaddedTwin } from '../runtime/unpadded-form.js';
import { IO_NAMES } from '../models/classifier-io.js';
import { RunQueue, WEBGPU_QUEUE } from '../runtime/run-queue.js';
import { backendsFor, configureWasm, createBackendSession, type WasmSettings, type WebBackend, type WebDevice } from './ort.js';

export { configureWasm, ortFor, webgpuAdapter, webgpuAvailable, wasmSettings, WEB_DEVICES, type WasmSettings, type WebBackend, type WebDevice } from './ort.js';
export { DeviceLostError } from '../runtime/errors.js';
export { defaultWasmThreads, MAX_WASM_THREADS, WasmThreadsError, type ThreadScope } from './threads.js';
export { setRuntimeVerbose } from '../runtime/log.js';
export type { GpuAdapterSummary } from '../runtime/adapter.js';
export { Predictor, type Prediction, type PredictorOptions, type ModelInfo } from '../runtime/predictor.js';
export { evaluate, type LabelledSet } from '../runtime/evaluate.js';
export { classificationMetrics, type EvalReport, type ClassMetrics } from '../runtime/metrics.js';
export { DeviceUnavailableError, ModelLoadError, ModelRunError, ModelWeightsError, PredictInputError, PredictorReleasedError, PredictAbortedError } from '../runtime/errors.js';
export { ExternalDataError, ModelDigestError } from '../onnx/errors.js';
export { ModelGraphError } from '../models/verify-graph.js';
export { trainInBrowser, timeSteps, BrowserTraining, Training, openWebClassifierRunner, WebTrainSession, webStepRuntime, exportModel, BROWSER_TRAIN_DEFAULTS, type BrowserTrainOptions, type BrowserTrainResult, type TrainProgress, type TrainingStep } from './train.js';
export type { StepInfo, EpochEnd, TrainCallbacks } from '../train/loop.js';
export { serveTraining, trainInWorker, type TrainingRun, type WorkerTrainOptions, type WorkerTrainCallbacks } from './worker.js';
export { builtinDataset, BUILTIN_LABELS, tokenize, applyRule0, Vocabulary, type Dataset, type Example } from '../data/index.js';
export type { ModelConfig } from '../models/config.js';

export interface WebLoadOptions extends Omit<PredictorOptions, 'queue' | 'adapter' | 'provider'>, WasmSettings {
  /**
   * 'auto' (default): WebGPU on a hardware adapter, else WASM (a software adapter such as
   * SwiftShader is never chosen, and a WebGPU failure or lost device falls back to WASM);
   * 'webgpu': any adapter; 'cpu' (or 'wasm'): WASM.
   */
  device?: WebDevice;
}

/** A Predictor that also says which backend runs it (and with how many WASM threads). */
export class WebPredictor extends Predictor {
  constructor(
    session: SessionLike,
    Tensor: TensorCtor,
    info: ModelInfo,
    readonly backend: WebBackend,
    readonly threads: number,
    opts: PredictorOptions = {},
  ) {
    super(session, Tensor, info, opts);
  }
}

/** Decode and vet a classifier file (the Node loader's checks): its config, labels and vocabulary. */
export function modelInfoFromBytes(bytes: Uint8Array): ModelInfo {
  return vetClassifierModel(bytes).info;
}

async function readSource(source: string | URL | Uint8Array | ArrayBuffer | Blob): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  const url = String(source);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ModelLoadError(`cannot fetch model '${url}': ${(e as Error).message}`);
  }
  if (!res.ok) throw new ModelLoadError(`cannot fetch model '${url}': HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Load a highway-onnx classifier (URL, bytes or a File) and return a Predictor over
 * onnxruntime-web. As in Node, the file is vetted first and run once on a tiny input, so a
 * model that would fail on requests fails here. Runs are serialised: per session on WASM, and
 * across every session of the page on WebGPU (their shared device), the test run included.
 * Throws DeviceUnavailableError (E_DEVICE_UNAVAILABLE), DeviceLostError (E_DEVICE_LOST,
 * explicit 'webgpu' only: 'auto' falls back to WASM), ModelLoadError, ModelWeightsError.
 */
export async function loadModel(source: string | URL | Uint8Array | ArrayBuffer | Blob, opts: WebLoadOptions = {}): Promise<WebPredictor> {
  configureWasm(opts);
  const bytes = await readSource(source);
  const info = modelInfoFromBytes(bytes);
  const device = opts.device ?? 'auto';
  const { backends, adapter } = await backendsFor(device);
  const failures: string[] = [];
  for (const backend of backends) {
    const last = backend === backends[backends.length - 1];
    let opened: Awaited<ReturnType<typeof createBackendSession>>;
    try {
      opened = await createBackendSession(bytes, backend);
    } catch (e) {
      if (last) throw failures.length > 0 ? new ModelLoadError(`${(e as Error).message} (after: ${failures.join('; ')})`) : e;
      failures.push(`${backend}: ${(e as Error).message}`);
      continue;
    }
    const { session, ort } = opened;
    const threads = typeof ort.env.wasm.numThreads === 'number' ? ort.env.wasm.numThreads : 1;
    const queue = backend === 'webgpu' ? WEBGPU_QUEUE : new RunQueue();
    const gpu = backend === 'webgpu' && adapter ? { adapter } : {};
    // WASM: single sentences (any run with no padding) go to the model without its padding mask, as in Node.
    const unpadded =
      backend === 'wasm' && session.inputNames.includes(IO_NAMES.ids)
        ? await openUnpaddedTwin(bytes, session as unknown as SessionLike, async (form) => (await createBackendSession(form, 'wasm')).session as unknown as SessionLike, {
            Tensor: ort.Tensor as unknown as TensorCtor,
            vocabSize: info.config.vocabSize,
          })
        : null;
    const small = unpadded ? { smallRuns: { session: session as unknown as SessionLike, maxTokens: smallRunTokensFor(info.config), unpadded } } : {};
    let predictor: WebPredictor;
    try {
      predictor = new WebPredictor(session as unknown as SessionLike, ort.Tensor as unknown as TensorCtor, info, backend, threads, { ...opts, provider: backend, queue, ...gpu, ...small });
    } catch (e) {
      // A bad option (E_PREDICT_INPUT) after the sessions were opened: close them.
      await Promise.all([session.release(), unpadded?.release?.()].map((p) => p?.catch(() => undefined)));
      throw e;
    }
    try {
      // A raw-text model (export-text) takes texts, an ids model token ids.
      await (predictor.takesText ? predictor.predict(['a', 'a a']) : predictor.predict([[1], [1, 1]]));
      return predictor;
    } catch (e) {
      await predictor.release().catch(() => undefined);
      if (e instanceof DeviceLostError && !last) {
        failures.push(`${backend}: ${e.message}`);
        continue; // 'auto': the device went away, WASM next
      }
      if (e instanceof DeviceLostError) throw e;
      throw new ModelLoadError(`the model loads but fails on a two-sequence test input: ${ortMessage(e)}`);
    }
  }
  throw new ModelLoadError(`onnxruntime-web could not load the model (${failures.join('; ')})`);
}
