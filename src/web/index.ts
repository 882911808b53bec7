// Browser entry of highway-onnx: the Node runtime's Predictor API over onnxruntime-web, and
// training in the browser (src/web/train.ts). Nothing reachable from here imports node:*.
import { ModelLoadError } from '../runtime/errors.js';
import { vetClassifierModel } from '../runtime/validate.js';
import { Predictor, type ModelInfo, type PredictorOptions, type SessionLike, type TensorCtor } from '../runtime/predictor.js';
import { configureWasm, createWebSession, type WasmSettings, type WebBackend, type WebDevice } from './ort.js';

export { configureWasm, ortFor, webgpuAvailable, wasmSettings, WEB_DEVICES, type WasmSettings, type WebBackend, type WebDevice } from './ort.js';
export { Predictor, type Prediction, type PredictorOptions, type ModelInfo } from '../runtime/predictor.js';
export { evaluate, type LabelledSet } from '../runtime/evaluate.js';
export { classificationMetrics, type EvalReport, type ClassMetrics } from '../runtime/metrics.js';
export { DeviceUnavailableError, ModelLoadError, ModelRunError, ModelWeightsError, PredictInputError } from '../runtime/errors.js';
export { trainInBrowser, timeSteps, Training, WebTrainSession, exportModel, BROWSER_TRAIN_DEFAULTS, type BrowserTrainOptions, type BrowserTrainResult, type TrainProgress, type TrainingStep } from './train.js';
export { serveTraining, trainInWorker, type TrainingRun, type WorkerTrainOptions } from './worker.js';
export { builtinDataset, BUILTIN_LABELS, tokenize, Vocabulary, type Dataset, type Example } from '../data/index.js';
export type { ModelConfig } from '../models/config.js';

export interface WebLoadOptions extends PredictorOptions, WasmSettings {
  /** 'auto' (default): WebGPU when the browser has an adapter, else WASM. */
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
 * model that would fail on requests fails here.
 */
export async function loadModel(source: string | URL | Uint8Array | ArrayBuffer | Blob, opts: WebLoadOptions = {}): Promise<WebPredictor> {
  configureWasm(opts);
  const bytes = await readSource(source);
  const info = modelInfoFromBytes(bytes);
  const { session, ort, backend } = await createWebSession(bytes, opts.device ?? 'auto');
  const threads = typeof ort.env.wasm.numThreads === 'number' ? ort.env.wasm.numThreads : 1;
  const predictor = new WebPredictor(session as unknown as SessionLike, ort.Tensor as unknown as TensorCtor, info, backend, threads, { ...opts, provider: backend });
  try {
    await predictor.predict([[1], [1, 1]]);
  } catch (e) {
    await session.release().catch(() => undefined);
    throw new ModelLoadError(`the model loads but fails on a two-sequence test input: ${(e as Error).message.split('\n')[0]}`);
  }
  return predictor;
}
