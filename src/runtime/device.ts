// Execution-provider choice shared by Node and the browser: the runtime-specific part is
// only the list of available backends.
import { DeviceUnavailableError } from './errors.js';

export type Device = 'cpu' | 'cuda' | 'webgpu' | 'auto';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/**
 * Preference order under 'auto': CUDA when its provider is installed, else CPU. WebGPU is
 * only used when asked for by name (in Node it is experimental; the browser entry asks).
 */
const AUTO_ORDER: Exclude<Device, 'auto'>[] = ['cuda', 'cpu'];

/**
 * Providers to ask onnxruntime for. An explicit device that is not available is an error;
 * only 'auto' falls back (to CPU).
 */
export function executionProviders(device: Device, available: readonly string[]): string[] {
  if (!DEVICES.includes(device)) {
    throw new DeviceUnavailableError(`unknown device '${device}': expected one of ${DEVICES.join(', ')}`);
  }
  if (device === 'auto') {
    const best = AUTO_ORDER.filter((d) => available.includes(d));
    return best.length > 0 ? [...best.slice(0, 1), ...(best[0] === 'cpu' ? [] : ['cpu'])] : ['cpu'];
  }
  if (!available.includes(device)) {
    const hint = device === 'cuda' ? " (run 'npx highway-onnx setup cuda' on a machine with CUDA 12 and network)" : '';
    throw new DeviceUnavailableError(
      `device '${device}' is not available in this onnxruntime build; available: ${available.join(', ') || 'none'}${hint}`,
    );
  }
  return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
}
