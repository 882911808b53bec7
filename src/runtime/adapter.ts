// What kind of GPU adapter WebGPU would run on, in terms both runtimes share. 'auto' never
// picks a software adapter (SwiftShader, lavapipe, a browser's fallback adapter): on a CPU it
// is many times slower than onnxruntime's own CPU/WASM kernels (measured: 5× for predict,
// 85× for training), so it is only used when `webgpu` is asked for by name.

/** A WebGPU adapter as far as device choice cares. */
export interface GpuAdapterSummary {
  /** Human-readable: 'SwiftShader (Vulkan, software)', 'nvidia / ampere', … */
  name: string;
  /** True for CPU-emulated adapters: correctness only, never chosen by 'auto'. */
  software: boolean;
}

/** Names of CPU-emulated GPU drivers and adapters (Vulkan ICD libraries, WebGPU adapter info). */
export const SOFTWARE_ADAPTER = /swiftshader|lavapipe|llvmpipe|softpipe|\blvp\b|vulkan_lvp|mock_icd|microsoft basic render|\bwarp\b/i;

/** The fields of a browser's GPUAdapterInfo this module reads. */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Summarise a browser adapter: software when it says it is a fallback adapter or names a software renderer. */
export function summariseAdapterInfo(info: AdapterInfoLike, isFallbackAdapter = false): GpuAdapterSummary {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s): s is string => !!s && s.length > 0);
  const name = parts.length > 0 ? parts.join(' / ') : 'unnamed adapter';
  return { name, software: isFallbackAdapter || info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(parts.join(' ')) };
}
