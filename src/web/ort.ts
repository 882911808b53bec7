// onnxruntime-web, loaded on demand in the flavour a device needs: the WASM-only build (14 MB
// of wasm) for 'wasm', the WebGPU build (26 MB, WebGPU kernels plus the same CPU kernels) for
// 'webgpu'. Each flavour is configured once, before its first session, to fetch its .wasm/.mjs
// files from `wasmPaths` — the bundle's own copy (the Vite build puts them in `ort/`), never a CDN.
import type * as OrtWeb from 'onnxruntime-web';
import { DeviceLostError, DeviceUnavailableError, ModelLoadError } from '../runtime/errors.js';
import type { Device } from '../runtime/device.js';
import { summariseAdapterInfo, type AdapterInfoLike, type GpuAdapterSummary } from '../runtime/adapter.js';
import { ortLogSeverity, runtimeVerbose } from '../runtime/log.js';
import { WEBGPU_QUEUE } from '../runtime/run-queue.js';
import { isDeviceLost } from '../runtime/predictor.js';
import { ortMessage } from '../runtime/ort-errors.js';
import { Graph, op, toModel } from '../graph/index.js';
import { encodeModel } from '../onnx/proto.js';
import { defaultWasmThreads, failFastOnThreadWorkers, redirectThreadWorkers } from './threads.js';

export type Ort = typeof OrtWeb;
/**
 * The device vocabulary of the Node runtime (cpu | cuda | webgpu | auto), where 'cpu' means
 * WASM here; 'wasm' is accepted as its other name. 'cuda' exists only in Node.
 */
export type WebDevice = Device | 'wasm';
export type WebBackend = 'wasm' | 'webgpu';
export const WEB_DEVICES: readonly WebDevice[] = ['auto', 'cpu', 'wasm', 'webgpu'];

export interface WasmSettings {
  /**
   * URL prefix (ending in '/') holding ort-wasm-simd-threaded{,.asyncify}.{mjs,wasm}. Default:
   * onnxruntime-web's own guess, relative to its module — set it when bundling.
   */
  wasmPaths?: string;
  /**
   * WASM threads; more than 1 needs a cross-origin-isolated page (COOP/COEP headers). Default:
   * defaultWasmThreads() — navigator.hardwareConcurrency capped at 4 where isolated, else 1.
   */
  numThreads?: number;
}

const settings: WasmSettings = {};
const loaded = new Map<WebBackend, Promise<Ort>>();

/** Settings for flavours not loaded yet (a loaded flavour keeps the settings it started with). */
export function configureWasm(s: WasmSettings): void {
  if (s.wasmPaths !== undefined) settings.wasmPaths = s.wasmPaths.endsWith('/') ? s.wasmPaths : `${s.wasmPaths}/`;
  if (s.numThreads !== undefined) settings.numThreads = s.numThreads;
}

export function wasmSettings(): Readonly<WasmSettings> {
  return { ...settings };
}

/** A one-node graph whose session starts the WASM runtime (and its thread workers). */
function runtimeProbe(): Uint8Array {
  const g = new Graph({ name: 'runtime_probe' });
  g.output(op.identity(g.input('x', 'float32', [1])), 'y');
  return encodeModel(toModel(g));
}

/**
 * The onnxruntime-web module for one backend, configured (logs: errors only unless verbose; WASM
 * threads: `numThreads`, else defaultWasmThreads()). With more than one thread the runtime is
 * started here, so a thread worker that cannot start is a WasmThreadsError (E_WASM_THREADS) for
 * every caller (inference and training) instead of a hang. Without `wasmPaths` the thread workers
 * start from our own entries (threads.ts); a second flavour on the same page then runs on 1 thread.
 */
export function ortFor(backend: WebBackend): Promise<Ort> {
  let p = loaded.get(backend);
  if (!p) {
    p = (backend === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm')).then(async (m) => {
      const ort = m as unknown as Ort;
      ort.env.logLevel = runtimeVerbose() ? 'warning' : 'error';
      let threads = settings.numThreads ?? defaultWasmThreads();
      if (settings.wasmPaths) ort.env.wasm.wasmPaths = settings.wasmPaths;
      else if (threads > 1 && !redirectThreadWorkers(backend)) threads = 1;
      ort.env.wasm.numThreads = threads;
      if (threads > 1) {
        const session = await failFastOnThreadWorkers(ort.InferenceSession.create(runtimeProbe(), { executionProviders: ['wasm'], logSeverityLevel: ortLogSeverity() }));
        await session.release();
      }
      return ort;
    });
    loaded.set(backend, p);
  }
  return p;
}

/** Session options for a backend: its providers and the log level. */
export function sessionOptions(backend: WebBackend): OrtWeb.InferenceSession.SessionOptions {
  return { executionProviders: backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'], logSeverityLevel: ortLogSeverity() };
}

interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<AdapterLike | null>;
}

/** The WebGPU adapter this page (or worker) gets, or null (no navigator.gpu, or no adapter). */
export async function webgpuAdapter(): Promise<GpuAdapterSummary | null> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? summariseAdapterInfo(adapter.info ?? {}, adapter.isFallbackAdapter === true) : null;
  } catch {
    return null;
  }
}

/** True when this browser offers a WebGPU adapter (false under headless --disable-gpu). */
export async function webgpuAvailable(): Promise<boolean> {
  return (await webgpuAdapter()) !== null;
}

/**
 * Backends to try, best first: 'auto' is WebGPU on a hardware adapter, then WASM (never a
 * software adapter); an explicit 'webgpu' takes whatever adapter exists; 'cpu'/'wasm' is WASM.
 */
export async function backendsFor(device: WebDevice): Promise<{ backends: WebBackend[]; adapter: GpuAdapterSummary | null }> {
  if (!WEB_DEVICES.includes(device)) {
    const why = device === 'cuda' ? "device 'cuda' exists only in Node (onnxruntime-node)" : `unknown device '${device}'`;
    throw new DeviceUnavailableError(`${why}: expected one of ${WEB_DEVICES.join(', ')}`);
  }
  if (device === 'wasm' || device === 'cpu') return { backends: ['wasm'], adapter: null };
  const adapter = await webgpuAdapter();
  if (device === 'webgpu') {
    if (!adapter) throw new DeviceUnavailableError("device 'webgpu' is not available: this browser offers no WebGPU adapter (use 'cpu' or 'auto')");
    return { backends: ['webgpu'], adapter };
  }
  return adapter && !adapter.software ? { backends: ['webgpu', 'wasm'], adapter } : { backends: ['wasm'], adapter: null };
}

/** Create a session on one backend; WebGPU sessions are created between runs on the shared device. */
export async function createBackendSession(bytes: Uint8Array, backend: WebBackend): Promise<{ session: OrtWeb.InferenceSession; ort: Ort }> {
  const ort = await ortFor(backend);
  const create = (): Promise<OrtWeb.InferenceSession> => ort.InferenceSession.create(bytes, sessionOptions(backend));
  try {
    return { session: await (backend === 'webgpu' ? WEBGPU_QUEUE.run(create) : create()), ort };
  } catch (e) {
    if (backend === 'webgpu' && isDeviceLost(e)) throw new DeviceLostError(`the WebGPU device was lost while loading the model: ${ortMessage(e)}`);
    throw new ModelLoadError(`onnxruntime-web could not load the model on ${backend}: ${ortMessage(e)}`);
  }
}

