// Node entry of the runtime: load a model file into a Predictor over onnxruntime-node.
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { executionProviders, type Device } from './device.js';
import { availableNodeBackends } from './node-backends.js';
import { expectedNodeAdapter, noAdapterMessage, probeNodeWebgpu, webgpuFailureReason, type WebgpuProbe } from './node-webgpu.js';
import { runtimeVerbose } from './log.js';
import { cpuSessionOptions } from './session-options.js';
import { WEBGPU_QUEUE } from './run-queue.js';
import type { GpuAdapterSummary } from './adapter.js';
import { DeviceUnavailableError, ModelLoadError, PredictInputError } from './errors.js';
import { Predictor, smallRunTokensFor, type ModelInfo, type PredictorOptions, type SessionLike, type TensorCtor } from './predictor.js';
import { vetClassifierModel } from './validate.js';
import { ortMessage } from './ort-errors.js';
import { inlineExternalData } from './external-data.js';
import { openUnpaddedTwin } from './unpadded-form.js';
import { IO_NAMES } from '../models/classifier-io.js';

export interface LoadOptions extends PredictorOptions {
  device?: Device;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  /** Called when 'auto' had to fall back from an accelerator to CPU (default: a warning on stderr). */
  onFallback?: (message: string) => void;
  /**
   * Tensors stored outside the .onnx file (ONNX external data): 'refuse' (default) fails with
   * E_EXTERNAL_DATA; 'model-folder' reads them from the model file's own folder only (never the
   * working directory; no '..', no absolute names, no symbolic link leaving the folder) and puts
   * them inside the model before it is vetted. Needs the model as a path.
   */
  externalData?: 'refuse' | 'model-folder';
  /**
   * CPU only: runs of at most this many padded tokens (batch × longest length) go to a second
   * session with one intra-op thread (PredictorOptions.smallRuns; default smallRunTokensFor(config):
   * 64 for embed 100, hidden 50, fewer for wider models). 0, or
   * `threads: 1`, or a single-core machine: one session only. Only an absent (undefined) value
   * means the default: null, like any other value that is not a non-negative integer or Infinity,
   * is refused with PredictInputError (E_PREDICT_INPUT).
   */
  smallRunTokens?: number;
}

/** A protobuf message (an .onnx file without external data) cannot exceed 2 GiB. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** The onnxruntime calls createNodeSession makes; tests replace them to exercise device choice without a GPU. */
export interface SessionBackend {
  available(): string[];
  create(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
  /** The WebGPU adapter the drivers promise, without starting it (absent: none known). */
  webgpuAdapter?(): GpuAdapterSummary | null;
  /** Start WebGPU once, out of process, and say whether it works (absent: not probed). */
  probeWebgpu?(): WebgpuProbe;
}

const ortBackend: SessionBackend = {
  available: availableNodeBackends,
  create: (bytes, options) => ort.InferenceSession.create(bytes, options),
  webgpuAdapter: () => expectedNodeAdapter(),
  probeWebgpu: probeNodeWebgpu,
};

const DEVICE_HINTS: Record<string, string> = {
  cuda: 'it needs an NVIDIA driver and the CUDA 12 / cuDNN 9 libraries on the library path',
  webgpu: 'it needs a GPU adapter (Vulkan, Metal or D3D12) visible to this process',
};

export interface NodeSession {
  session: ort.InferenceSession;
  /** The provider that runs the model: 'cuda', 'webgpu' or 'cpu'. */
  provider: string;
  /** On 'webgpu': the adapter it runs on. */
  adapter?: GpuAdapterSummary;
}

/**
 * Whether WebGPU may be used: for 'auto' only a hardware adapter that starts; for an explicit
 * 'webgpu' any adapter that starts, else DeviceUnavailableError with one clear line.
 */
function webgpuUsable(device: Device, backend: SessionBackend, onFallback: (m: string) => void): GpuAdapterSummary | null {
  const expected = backend.webgpuAdapter?.() ?? null;
  if (device === 'auto' && (!expected || expected.software)) return null;
  const probe = backend.probeWebgpu?.();
  if (!probe) return expected ?? { name: 'unknown adapter', software: false };
  if (probe.ok) return probe.adapter ?? { name: 'unknown adapter', software: false };
  if (runtimeVerbose() && probe.log) process.stderr.write(`${probe.log}\n`);
  if (device === 'auto') {
    onFallback(`device 'auto': the ${expected!.name} WebGPU adapter failed to start (${probe.error}); running on cpu`);
    return null;
  }
  throw new DeviceUnavailableError(noAdapterMessage(probe));
}

/**
 * Create an onnxruntime-node session on the asked device. Under 'auto' a failing accelerator
 * falls back to CPU (reported through onFallback). An explicit device never falls back: when
 * it fails and CPU loads the same model, the device is at fault (DeviceUnavailableError);
 * when CPU fails too, the model is (ModelLoadError).
 */
export async function openNodeSession(
  bytes: Uint8Array,
  opts: { device?: Device; threads?: number; onFallback?: (message: string) => void } = {},
  backend: SessionBackend = ortBackend,
): Promise<NodeSession> {
  const device = opts.device ?? 'auto';
  const onFallback = opts.onFallback ?? ((m: string) => process.stderr.write(`highway-onnx: warning: ${m}\n`));
  const available = backend.available();
  // WebGPU is probed only when it could be chosen: asked by name, or 'auto' without cuda.
  const considerGpu = available.includes('webgpu') && (device === 'webgpu' || (device === 'auto' && !available.includes('cuda')));
  const adapter = considerGpu ? webgpuUsable(device, backend, onFallback) : null;
  const providers = executionProviders(device, available, { hardware: adapter !== null && !adapter.software });
  const base: ort.InferenceSession.SessionOptions = cpuSessionOptions(opts.threads ? { threads: opts.threads } : {});
  const onCpu = async (): Promise<NodeSession> => {
    try {
      return { session: await backend.create(bytes, { ...base, executionProviders: ['cpu'] }), provider: 'cpu' };
    } catch (e) {
      throw new ModelLoadError(`onnxruntime could not load the model on cpu: ${ortMessage(e)}`);
    }
  };
  if (providers[0] === 'cpu') return onCpu();
  const accel = providers[0]!;
  try {
    const create = (): Promise<ort.InferenceSession> => backend.create(bytes, { ...base, executionProviders: providers });
    // Sessions on the WebGPU device are created one at a time, between runs (run-queue.ts).
    const session = await (accel === 'webgpu' ? WEBGPU_QUEUE.run(create) : create());
    return { session, provider: accel, ...(accel === 'webgpu' && adapter ? { adapter } : {}) };
  } catch (e) {
    const why = accel === 'webgpu' ? webgpuFailureReason(e instanceof Error ? e.message : String(e)) : ortMessage(e);
    const cpu = await onCpu(); // a model error surfaces here as ModelLoadError
    if (device === 'auto') {
      onFallback(`device 'auto': ${accel} is installed but failed to start (${why}); running on cpu`);
      return cpu;
    }
    await cpu.session.release();
    throw new DeviceUnavailableError(`device '${device}' is installed but onnxruntime could not start it: ${why} (${DEVICE_HINTS[accel] ?? 'check the driver'}; --device auto falls back to cpu)`);
  }
}

/** Create an onnxruntime-node session (logs quiet unless verbose); under 'auto' a failing accelerator falls back to CPU. */
export async function createNodeSession(bytes: Uint8Array, opts: { device?: Device; threads?: number } = {}): Promise<ort.InferenceSession> {
  return (await openNodeSession(bytes, opts)).session;
}

export function modelInfoFromBytes(bytes: Uint8Array): ModelInfo {
  return vetClassifierModel(bytes).info;
}

async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new ModelLoadError(`'${path}' is a directory: expected an .onnx file (a training run keeps it as model.onnx)`);
    if (s.size > MAX_MODEL_BYTES) {
      throw new ModelLoadError(`'${path}' is ${s.size} bytes: an .onnx file holds at most ${MAX_MODEL_BYTES} bytes (2 GiB protobuf limit)`);
    }
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(`cannot read model file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Load a highway-onnx classifier (path or bytes) and return a Predictor. The file is vetted
 * (structure, metadata, weight shapes, no NaN) and the model run once on a one-token input,
 * so a model that would fail on requests fails here instead.
 */
export async function loadModel(source: string | Uint8Array, opts: LoadOptions = {}): Promise<Predictor> {
  let bytes = typeof source === 'string' ? await readModelFile(source) : source;
  if (opts.externalData === 'model-folder') {
    if (typeof source !== 'string') throw new ModelLoadError("externalData 'model-folder' needs the model as a path: bytes have no folder");
    bytes = await inlineExternalData(bytes, dirname(resolve(source)), MAX_MODEL_BYTES);
  }
  const { info } = vetClassifierModel(bytes);
  const { session, provider, adapter } = await openNodeSession(bytes, opts);
  const takesText = session.inputNames.includes(IO_NAMES.text) && !session.inputNames.includes(IO_NAMES.ids);
  const missing = takesText ? [] : [IO_NAMES.ids, IO_NAMES.lengths].filter((n) => !session.inputNames.includes(n));
  if (missing.length > 0) {
    await session.release().catch(() => undefined);
    throw new ModelLoadError(`the model has no '${missing.join("', '")}' input: expected inputs ids int64 [batch, time] and lengths int32 [batch] (or text, string [batch], for a raw-text model), found ${session.inputNames.join(', ') || 'none'}`);
  }
  // Runs on the shared WebGPU device are serialised across all predictors of this process.
  const gpu = provider === 'webgpu' ? { queue: WEBGPU_QUEUE, ...(adapter ? { adapter } : {}) } : {};
  const small = await smallRunSession(bytes, info, provider, takesText, opts).catch(async (e: unknown) => {
    await session.release().catch(() => undefined);
    throw e;
  });
  let predictor: Predictor;
  try {
    predictor = new Predictor(session, ort.Tensor as unknown as TensorCtor, info, { ...opts, provider, ...gpu, ...(small ? { smallRuns: small } : {}) });
  } catch (e) {
    // The constructor refuses bad options (E_PREDICT_INPUT) after both sessions were opened: close them.
    await Promise.all([session.release(), small?.session.release(), small?.unpadded?.release?.()].map((p) => p?.catch(() => undefined)));
    throw e;
  }
  try {
    await predictor.predict(takesText ? ['a', 'a a'] : [[1], [1, 1]]);
    // That batch went to the small-run session: the main one answers the same input too.
    if (small) await session.run({ [IO_NAMES.ids]: new ort.Tensor('int64', BigInt64Array.of(1n, 0n, 1n, 1n), [2, 2]), [IO_NAMES.lengths]: new ort.Tensor('int32', Int32Array.of(1, 2), [2]) });
  } catch (e) {
    await predictor.release().catch(() => undefined);
    throw new ModelLoadError(`the model loads but fails on a two-sequence test input: ${ortMessage(e)}`);
  }
  return predictor;
}

/**
 * The one-thread session for small runs (PredictorOptions.smallRuns), or null: only on CPU, for an
 * ids model, when the main session may use more than one thread and opts.smallRunTokens is not 0.
 * Throws PredictInputError (E_PREDICT_INPUT) for a smallRunTokens that is not a count.
 */
async function smallRunSession(
  bytes: Uint8Array,
  info: ModelInfo,
  provider: string,
  takesText: boolean,
  opts: LoadOptions,
): Promise<{ session: ort.InferenceSession; maxTokens: number; unpadded?: SessionLike } | null> {
  // `??` would take null as the default too; a caller passing null may mean "none", so it is refused.
  const maxTokens = opts.smallRunTokens === undefined ? smallRunTokensFor(info.config) : opts.smallRunTokens;
  if (!(maxTokens === Number.POSITIVE_INFINITY || (Number.isInteger(maxTokens) && maxTokens >= 0))) {
    throw new PredictInputError(`smallRunTokens must be a non-negative integer (0: no small-run session) or Infinity, found ${opts.smallRunTokens}`);
  }
  if (provider !== 'cpu' || takesText || maxTokens <= 0 || (opts.threads ?? availableParallelism()) <= 1) return null;
  const oneThread = (model: Uint8Array): Promise<ort.InferenceSession> => ort.InferenceSession.create(model, { ...cpuSessionOptions({ threads: 1 }), executionProviders: ['cpu'] });
  let session: ort.InferenceSession;
  try {
    session = await oneThread(bytes);
  } catch (e) {
    throw new ModelLoadError(`onnxruntime could not load the model on cpu: ${ortMessage(e)}`);
  }
  // Single sentences (any run with no padding) go to the model without its padding mask.
  const unpadded = await openUnpaddedTwin(bytes, session, oneThread, {
    Tensor: ort.Tensor as unknown as TensorCtor,
    vocabSize: info.config.vocabSize,
    onRefused: () => {
      if (runtimeVerbose()) process.stderr.write('highway-onnx: the model without its padding mask answered a probe differently; single sentences use the masked model\n');
    },
  });
  return { session, maxTokens, ...(unpadded ? { unpadded } : {}) };
}
