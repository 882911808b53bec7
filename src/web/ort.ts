// onnxruntime-web, loaded on demand in the flavour a device needs: the WASM-only build (14 MB
// of wasm) for 'wasm', the WebGPU build (26 MB, WebGPU kernels plus the same CPU kernels) for
// 'webgpu'. Each flavour is configured once, before its first session, to fetch its .wasm/.mjs
// files from `wasmPaths` — the bundle's own copy (the Vite build puts them in `ort/`), never a CDN.
import type * as OrtWeb from 'onnxruntime-web';
import { DeviceUnavailableError, ModelLoadError } from '../runtime/errors.js';
import { ortMessage } from '../runtime/ort-errors.js';

export type Ort = typeof OrtWeb;
export type WebDevice = 'wasm' | 'webgpu' | 'auto';
export type WebBackend = 'wasm' | 'webgpu';
export const WEB_DEVICES: readonly WebDevice[] = ['auto', 'wasm', 'webgpu'];

export interface WasmSettings {
  /**
   * URL prefix (ending in '/') holding ort-wasm-simd-threaded{,.asyncify}.{mjs,wasm}. Default:
   * onnxruntime-web's own guess, relative to its module — set it when bundling.
   */
  wasmPaths?: string;
  /** WASM threads; more than 1 needs a cross-origin-isolated page (COOP/COEP headers). */
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

/** The onnxruntime-web module for one backend, configured. */
export function ortFor(backend: WebBackend): Promise<Ort> {
  let p = loaded.get(backend);
  if (!p) {
    p = (backend === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm')).then((m) => {
      const ort = m as unknown as Ort;
      if (settings.wasmPaths) ort.env.wasm.wasmPaths = settings.wasmPaths;
      if (settings.numThreads !== undefined) ort.env.wasm.numThreads = settings.numThreads;
      ort.env.logLevel = 'error';
      return ort;
    });
    loaded.set(backend, p);
  }
  return p;
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** True when this browser offers a WebGPU adapter (false under headless --disable-gpu). */
export async function webgpuAvailable(): Promise<boolean> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/** Backends to try, best first: 'auto' prefers WebGPU when an adapter exists, else WASM. */
export async function backendsFor(device: WebDevice): Promise<WebBackend[]> {
  if (!WEB_DEVICES.includes(device)) throw new DeviceUnavailableError(`unknown device '${device}': expected one of ${WEB_DEVICES.join(', ')}`);
  if (device === 'wasm') return ['wasm'];
  const gpu = await webgpuAvailable();
  if (device === 'webgpu') {
    if (!gpu) throw new DeviceUnavailableError("device 'webgpu' is not available: this browser offers no WebGPU adapter (use 'wasm' or 'auto')");
    return ['webgpu'];
  }
  return gpu ? ['webgpu', 'wasm'] : ['wasm'];
}

/** Create a session on the first backend that accepts the model. */
export async function createWebSession(
  bytes: Uint8Array,
  device: WebDevice = 'auto',
): Promise<{ session: OrtWeb.InferenceSession; ort: Ort; backend: WebBackend }> {
  const errors: string[] = [];
  for (const backend of await backendsFor(device)) {
    const ort = await ortFor(backend);
    try {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'] });
      return { session, ort, backend };
    } catch (e) {
      errors.push(`${backend}: ${ortMessage(e)}`);
    }
  }
  throw new ModelLoadError(`onnxruntime-web could not load the model (${errors.join('; ')})`);
}
