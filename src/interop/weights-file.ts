/** Node-only file helpers (node:fs); everything else in src/interop works on bytes. */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeSafetensors } from './safetensors.js';
import type { NamedTensor } from './types.js';
import { type WeightsContents, readWeights } from './weights.js';

/** Reads a `.safetensors` or zip `.pt` file, chosen by its magic bytes, not its name. */
export async function readWeightsFile(path: string): Promise<WeightsContents> {
  const buf = await readFile(path);
  return readWeights(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}

/**
 * Writes a safetensors file atomically: a temporary file in the same directory, flushed to disk,
 * then renamed over `path`, so readers see the old file or the complete new one.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Iterable<[string, NamedTensor]> | Map<string, NamedTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = writeSafetensors(tensors, metadata);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
