// Node entry of the runtime: load a model file into a Predictor over onnxruntime-node.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { decodeModel } from '../onnx/proto.js';
import { readClassifierMetadata } from '../models/classifier.js';
import { Vocabulary } from '../data/vocab.js';
import { executionProviders, type Device } from './device.js';
import { availableNodeBackends } from './node-backends.js';
import { ModelLoadError } from './errors.js';
import { Predictor, type ModelInfo, type PredictorOptions, type TensorCtor } from './predictor.js';

export interface LoadOptions extends PredictorOptions {
  device?: Device;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
}

/** Create an onnxruntime-node session; under 'auto' a failing accelerator falls back to CPU. */
export async function createNodeSession(bytes: Uint8Array, opts: { device?: Device; threads?: number } = {}): Promise<ort.InferenceSession> {
  const device = opts.device ?? 'auto';
  const providers = executionProviders(device, availableNodeBackends());
  const base: ort.InferenceSession.SessionOptions = opts.threads ? { intraOpNumThreads: opts.threads } : {};
  try {
    return await ort.InferenceSession.create(bytes, { ...base, executionProviders: providers });
  } catch (e) {
    if (device === 'auto' && providers[0] !== 'cpu') return ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
    throw new ModelLoadError(`onnxruntime could not load the model on ${providers.join(' → ')}: ${(e as Error).message}`);
  }
}

export function modelInfoFromBytes(bytes: Uint8Array): ModelInfo {
  const meta = readClassifierMetadata(decodeModel(bytes));
  return { config: meta.config, labels: meta.labels, vocab: meta.vocab ? Vocabulary.fromJSON(meta.vocab) : null };
}

/** Load a highway-onnx classifier (path or bytes) and return a Predictor. */
export async function loadModel(source: string | Uint8Array, opts: LoadOptions = {}): Promise<Predictor> {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = new Uint8Array(await readFile(source));
    } catch (e) {
      throw new ModelLoadError(`cannot read model file '${source}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else bytes = source;
  const info = modelInfoFromBytes(bytes);
  const session = await createNodeSession(bytes, opts);
  return new Predictor(session, ort.Tensor as unknown as TensorCtor, info, opts);
}
