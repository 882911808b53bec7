// checkpoint.safetensors: parameters, optimizer state and the loop position, written
// atomically (temporary file + rename) so a crash mid-save leaves the previous one intact.
import { readWeightsFile, writeSafetensorsFile } from '../formats/weights-file.js';
import type { NamedTensor } from '../formats/types.js';
import type { Tensor } from '../onnx/tensor.js';
import type { LoopPosition } from './loop.js';
import { CodedError } from '../errors.js';

export type { EpochSums, LoopPosition } from './loop.js';

export interface Checkpoint {
  params: Map<string, Tensor>;
  state: Map<string, Tensor>;
  position: LoopPosition;
  /**
   * The settings the run was made with (hyperparameters, model config, data), as JSON-safe
   * values: `--resume` takes unspecified options from it and refuses differing ones.
   * Absent in older checkpoints and in checkpoints not written by train().
   */
  run?: Record<string, unknown>;
}

const PARAM = 'param/';
const STATE = 'state/';

/** A checkpoint that cannot be read or does not fit the run (E_CHECKPOINT). */
export class CheckpointError extends CodedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CHECKPOINT', 'CheckpointError', message, options);
  }
}

function checkPosition(p: LoopPosition, path: string): void {
  const bad = (field: string, expected: string): never => {
    throw new CheckpointError(`checkpoint '${path}': position.${field} should be ${expected}, found ${JSON.stringify((p as unknown as Record<string, unknown>)?.[field] ?? null)}`);
  };
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new CheckpointError(`checkpoint '${path}': the position record is not a JSON object`);
  for (const f of ['step', 'epoch', 'batchInEpoch', 'epochsWithoutImprovement', 'seed'] as const) {
    if (!Number.isSafeInteger(p[f]) || p[f] < 0) bad(f, 'a non-negative integer');
  }
  if (!Number.isSafeInteger(p.bestEpoch) || p.bestEpoch < -1) bad('bestEpoch', 'an integer ≥ -1');
  if (typeof p.bestDevAccuracy !== 'number' || !(p.bestDevAccuracy >= -1 && p.bestDevAccuracy <= 1)) bad('bestDevAccuracy', 'a number in [-1, 1]');
  if (p.metricsLines !== undefined && (!Number.isSafeInteger(p.metricsLines) || p.metricsLines < 0)) bad('metricsLines', 'a non-negative integer');
  if (p.epochSums !== undefined) {
    const s = p.epochSums as unknown as Record<string, unknown>;
    const ok = typeof s === 'object' && s !== null && ['loss', 'correct', 'seen', 'tokens', 'seconds'].every((k) => typeof s[k] === 'number' && Number.isFinite(s[k]) && (s[k] as number) >= 0);
    if (!ok) bad('epochSums', 'an object of finite non-negative numbers {loss, correct, seen, tokens, seconds}');
  }
}

/** Writes a checkpoint atomically; a crash mid-save leaves the previous one loadable. @throws FileWriteError (E_WRITE) */
export async function saveCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  const entries: [string, NamedTensor][] = [];
  for (const [name, t] of ckpt.params) entries.push([PARAM + name, { dtype: 'F32', shape: t.dims, data: t.data as Float32Array }]);
  for (const [name, t] of ckpt.state) entries.push([STATE + name, { dtype: 'F32', shape: t.dims, data: t.data as Float32Array }]);
  const metadata: Record<string, string> = { format: 'highway-onnx-checkpoint/1', position: JSON.stringify(ckpt.position) };
  if (ckpt.run) metadata.run = JSON.stringify(ckpt.run);
  await writeSafetensorsFile(path, entries, metadata);
}

/** Reads and vets a checkpoint: a damaged, foreign or non-finite one is a CheckpointError naming the problem. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let contents: Awaited<ReturnType<typeof readWeightsFile>>;
  try {
    contents = await readWeightsFile(path);
  } catch (e) {
    throw new CheckpointError(`checkpoint '${path}' is unreadable: ${(e as Error).message}`, { cause: e });
  }
  const { tensors, metadata } = contents;
  if (metadata.format !== 'highway-onnx-checkpoint/1' || !metadata.position) {
    throw new CheckpointError(`'${path}' is not a highway-onnx checkpoint (metadata format '${metadata.format ?? 'missing'}')`);
  }
  const params = new Map<string, Tensor>();
  const state = new Map<string, Tensor>();
  for (const [key, t] of tensors) {
    if (t.dtype !== 'F32') throw new CheckpointError(`checkpoint tensor '${key}' is ${t.dtype}, expected F32`);
    const data = t.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw new CheckpointError(`checkpoint '${path}': tensor '${key}' [${t.shape}] holds ${data[i]} at flat index ${i}; a checkpoint must be finite (resume from an earlier one, or retrain)`);
      }
    }
    const tensor: Tensor = { dtype: 'float32', dims: t.shape, data };
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
  checkPosition(position, path);
  if (metadata.run === undefined) return { params, state, position };
  let run: unknown;
  try {
    run = JSON.parse(metadata.run);
  } catch {
    throw new CheckpointError(`checkpoint '${path}' has an unreadable run record (metadata 'run' is not JSON)`);
  }
  if (typeof run !== 'object' || run === null || Array.isArray(run)) throw new CheckpointError(`checkpoint '${path}': the run record is not a JSON object`);
  return { params, state, position, run: run as Record<string, unknown> };
}

/**
 * A checkpoint fits a model when it holds exactly the parameters the model's training graph
 * needs, and at least the optimizer state, with the same shapes: otherwise resuming would fail
 * deep inside onnxruntime, or silently train something else.
 */
export function checkCheckpointFits(
  ckpt: Pick<Checkpoint, 'params' | 'state'>,
  expected: { params: readonly { name: string; dims: readonly number[] }[]; state?: readonly { name: string; dims: readonly number[] }[] },
  path: string,
): void {
  const compare = (kind: string, have: Map<string, Tensor>, want: readonly { name: string; dims: readonly number[] }[], extraAllowed: boolean): void => {
    for (const w of want) {
      const t = have.get(w.name);
      if (!t) throw new CheckpointError(`checkpoint '${path}' does not fit this model: it has no ${kind} '${w.name}' (needed: [${w.dims}]); was it made with other --layers/--plain/--carry/--optimizer options?`);
      if (t.dims.join() !== w.dims.join()) {
        throw new CheckpointError(`checkpoint '${path}' does not fit this model: ${kind} '${w.name}' is [${t.dims}] in the checkpoint, the model needs [${w.dims}] (was it made with other --hidden/--embed-dim options or data?)`);
      }
    }
    if (extraAllowed) return;
    const names = new Set(want.map((w) => w.name));
    const extra = [...have.keys()].filter((k) => !names.has(k));
    if (extra.length > 0) throw new CheckpointError(`checkpoint '${path}' does not fit this model: unexpected ${kind} '${extra[0]}'${extra.length > 1 ? ` and ${extra.length - 1} more` : ''}`);
  };
  compare('parameter', ckpt.params, expected.params, false);
  // State the new optimizer does not use (resuming Adam's checkpoint with SGD) is left aside.
  if (expected.state) compare('optimizer state', ckpt.state, expected.state, true);
}
