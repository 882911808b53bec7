/** Format detection for weight files: safetensors or a PyTorch torch.save file (zip or legacy), told apart by their first bytes. */
import { InteropError } from './errors.js';
import { MAX_HEADER_BYTES, readSafetensors } from './safetensors.js';
import type { StateDictOptions } from './torch-checkpoint.js';
import { isLegacyTorchFile } from './torch-legacy.js';
import { readTorchCheckpoint } from './torch-pt.js';
import type { NamedTensor } from './types.js';
import type { ZipLimits } from './zip.js';

export type WeightsFormat = 'safetensors' | 'pt';

export interface WeightsContents {
  format: WeightsFormat;
  tensors: Map<string, NamedTensor>;
  /** safetensors `__metadata__`; empty for `.pt`. */
  metadata: Record<string, string>;
  /**
   * For `.pt`: the file's layout ('zip', or 'legacy' for torch.save before 1.6) and the key of
   * the checkpoint that held the state dict (null when the file is the state dict itself).
   */
  torch?: { layout: 'zip' | 'legacy'; key: string | null };
}

/** Options for `.pt` files: which state dict of a checkpoint (StateDictOptions) and zip inflate limits. */
export type WeightsOptions = StateDictOptions & ZipLimits;

/**
 * 'pt' for a zip ('PK\x03\x04') or a legacy torch.save (a pickle: 0x80 then protocol 2–5),
 * 'safetensors' for a plausible u64 header length followed by '{'.
 * @throws InteropError E_FORMAT naming the first bytes found.
 */
export function detectWeightsFormat(bytes: Uint8Array): WeightsFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'pt';
  if (isLegacyTorchFile(bytes)) return 'pt';
  if (bytes.length >= 9) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
    if (n <= BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8)) && bytes[8] === 0x7b) return 'safetensors';
  }
  const head = [...bytes.subarray(0, 9)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const pickle = bytes[0] === 0x80 ? ' (a bare pickle without torch.save\'s magic number: not a torch.save file)' : '';
  throw new InteropError('E_FORMAT',
    `unrecognised weights file: expected safetensors (u64 header length, then '{'), a PyTorch zip ('PK\\x03\\x04') or a legacy torch.save file (a pickled magic number), found bytes ${head || '(empty)'}${pickle}`);
}

/**
 * Reads weights from bytes: a safetensors file, or a torch.save state dict or checkpoint
 * (`opts` chooses the state dict inside a checkpoint; ignored for safetensors).
 * @throws InteropError E_FORMAT, E_SAFETENSORS, E_ZIP, E_PICKLE, E_TORCH, E_TORCH_KEY.
 */
export function readWeights(bytes: Uint8Array, opts: WeightsOptions = {}): WeightsContents {
  const format = detectWeightsFormat(bytes);
  if (format === 'pt') {
    const { tensors, key, layout } = readTorchCheckpoint(bytes, opts);
    return { format, tensors, metadata: {}, torch: { layout, key } };
  }
  return { format, ...readSafetensors(bytes) };
}
