/** Node-only file helpers (node:fs); everything else in src/interop works on bytes. */
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write.js';
import { InteropError } from './errors.js';
import { writeSafetensors } from './safetensors.js';
import type { NamedTensor } from './types.js';
import { type WeightsContents, type WeightsOptions, readWeights } from './weights.js';

/**
 * Reads a `.safetensors` or `.pt` file (zip or legacy torch.save, a state dict or a checkpoint
 * wrapping one: `opts`), chosen by its magic bytes, not its name.
 * @throws InteropError E_FILE (missing, a directory, over 2 GiB) and readWeights' codes.
 */
export async function readWeightsFile(path: string, opts: WeightsOptions = {}): Promise<WeightsContents> {
  let buf: Buffer;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InteropError('E_FILE', `'${path}' is a directory: expected a .safetensors or .pt file`);
    // readFile cannot hold more than this; say so rather than fail with a RangeError.
    if (s.size > MAX_WEIGHTS_FILE_BYTES) throw new InteropError('E_FILE', `'${path}' is ${s.size} bytes: weights files over ${MAX_WEIGHTS_FILE_BYTES} bytes (2 GiB) are not supported`);
    buf = await readFile(path);
  } catch (e) {
    if (e instanceof InteropError) throw e;
    throw new InteropError('E_FILE', `cannot read weights file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return readWeights(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), opts);
}

export const MAX_WEIGHTS_FILE_BYTES = 2 ** 31 - 1;

/**
 * Writes a safetensors file atomically (src/io/atomic-write.ts): readers, and a process restarted
 * after a kill, see the old file or the complete new one.
 * @throws FileWriteError (E_WRITE) naming the path; the previous file is unchanged.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Iterable<[string, NamedTensor]> | Map<string, NamedTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, writeSafetensors(tensors, metadata));
}
