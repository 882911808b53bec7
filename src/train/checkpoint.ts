// checkpoint.safetensors: parameters, optimizer state and the loop position, written
// atomically (temporary file + rename) so a crash mid-save leaves the previous one intact.
import { readWeightsFile, writeSafetensorsFile } from '../interop/weights-file.js';
import type { NamedTensor } from '../interop/types.js';
import type { Tensor } from '../onnx/tensor.js';

export interface LoopPosition {
  /** Completed optimizer steps (the next step is step + 1). */
  step: number;
  /** Epoch in progress (0-based) and batches of it already consumed. */
  epoch: number;
  batchInEpoch: number;
  bestDevAccuracy: number;
  bestEpoch: number;
  epochsWithoutImprovement: number;
  /** The run's seed: shuffling and dropout derive from (seed, epoch, step). */
  seed: number;
}

export interface Checkpoint {
  params: Map<string, Tensor>;
  state: Map<string, Tensor>;
  position: LoopPosition;
}

const PARAM = 'param/';
const STATE = 'state/';

export class CheckpointError extends Error {
  readonly code = 'E_CHECKPOINT';
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export async function saveCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  const entries: [string, NamedTensor][] = [];
  for (const [name, t] of ckpt.params) entries.push([PARAM + name, { dtype: 'F32', shape: t.dims, data: t.data as Float32Array }]);
  for (const [name, t] of ckpt.state) entries.push([STATE + name, { dtype: 'F32', shape: t.dims, data: t.data as Float32Array }]);
  await writeSafetensorsFile(path, entries, { format: 'highway-onnx-checkpoint/1', position: JSON.stringify(ckpt.position) });
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const { tensors, metadata } = await readWeightsFile(path);
  if (metadata.format !== 'highway-onnx-checkpoint/1' || !metadata.position) {
    throw new CheckpointError(`'${path}' is not a highway-onnx checkpoint (metadata format '${metadata.format ?? 'missing'}')`);
  }
  const params = new Map<string, Tensor>();
  const state = new Map<string, Tensor>();
  for (const [key, t] of tensors) {
    if (t.dtype !== 'F32') throw new CheckpointError(`checkpoint tensor '${key}' is ${t.dtype}, expected F32`);
    const tensor: Tensor = { dtype: 'float32', dims: t.shape, data: t.data as Float32Array };
    if (key.startsWith(PARAM)) params.set(key.slice(PARAM.length), tensor);
    else if (key.startsWith(STATE)) state.set(key.slice(STATE.length), tensor);
    else throw new CheckpointError(`unexpected tensor '${key}' in checkpoint '${path}'`);
  }
  let position: LoopPosition;
  try {
    position = JSON.parse(metadata.position) as LoopPosition;
  } catch {
    throw new CheckpointError(`checkpoint '${path}' has an unreadable position record`);
  }
  return { params, state, position };
}
