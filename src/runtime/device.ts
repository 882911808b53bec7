// Execution-provider choice shared by Node and the browser: one device vocabulary
// (cpu | cuda | webgpu | auto) everywhere; the runtime-specific part is only what is available.
import { DeviceUnavailableError } from './errors.js';

/**
 * Where a model runs. 'cpu' is onnxruntime's CPU provider in Node and WASM in the browser;
 * 'cuda' exists only in Node; 'auto' picks the fastest available (see executionProviders).
 */
export type Device = 'cpu' | 'cuda' | 'webgpu' | 'auto';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/** What is known about a WebGPU adapter when choosing providers. */
export interface WebgpuAvailability {
  /** True when the adapter is a hardware GPU ('auto' uses only those). */
  hardware: boolean;
}

/**
 * Providers to ask onnxruntime-node for, best first. 'auto' prefers cuda (when its provider is
 * installed), then webgpu on a hardware adapter, then cpu; it never picks a software adapter.
 * An explicit device that is not available is an error (E_DEVICE_UNAVAILABLE); an explicit
 * 'webgpu' uses whatever adapter exists.
 */
export function executionProviders(device: Device, available: readonly string[], webgpu: WebgpuAvailability = { hardware: false }): string[] {
  if (!DEVICES.includes(device)) {
    throw new DeviceUnavailableError(`unknown device '${device}': expected one of ${DEVICES.join(', ')}`);
  }
  if (device === 'auto') {
    if (available.includes('cuda')) return ['cuda', 'cpu'];
    if (available.includes('webgpu') && webgpu.hardware) return ['webgpu', 'cpu'];
    return ['cpu'];
  }
  if (!available.includes(device)) {
    const hint = device === 'cuda' ? " (run 'npx highway-onnx setup cuda' on a machine with CUDA 12 and network)" : '';
    throw new DeviceUnavailableError(
      `device '${device}' is not available in this onnxruntime build; available: ${available.join(', ') || 'none'}${hint}`,
    );
  }
  return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
}
