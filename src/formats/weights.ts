/** Format detection for weight files: safetensors or a PyTorch zip, told apart by their first bytes. */
import { InteropError } from './errors.js';
import { MAX_HEADER_BYTES, readSafetensors } from './safetensors.js';
import { readTorchStateDict } from './torch-pt.js';
import type { NamedTensor } from './types.js';

export type WeightsFormat = 'safetensors' | 'pt';

export interface WeightsContents {
  format: WeightsFormat;
  tensors: Map<string, NamedTensor>;
  /** safetensors `__metadata__`; empty for `.pt`. */
  metadata: Record<string, string>;
}

/** 'pt' for a zip ('PK\x03\x04'), 'safetensors' for a plausible u64 header length followed by '{'. */
export function detectWeightsFormat(bytes: Uint8Array): WeightsFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'pt';
  if (bytes.length >= 9) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
    if (n <= BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8)) && bytes[8] === 0x7b) return 'safetensors';
  }
  const head = [...bytes.subarray(0, 9)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const legacy = bytes[0] === 0x80 ? ' (this looks like a bare pickle: a legacy pre-1.6 torch.save file?)' : '';
  throw new InteropError('E_FORMAT',
    `unrecognised weights file: expected safetensors (u64 header length, then '{') or a PyTorch zip ('PK\\x03\\x04'), found bytes ${head || '(empty)'}${legacy}`);
}

export function readWeights(bytes: Uint8Array): WeightsContents {
  const format = detectWeightsFormat(bytes);
  if (format === 'pt') return { format, tensors: readTorchStateDict(bytes), metadata: {} };
  return { format, ...readSafetensors(bytes) };
}
