// The run directory: which files make a run, refusing to overwrite one by accident, and
// finding the checkpoint a resume continues from.
import { access, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NoCheckpointError, RunExistsError } from './errors.js';

/** Files train() writes into its output directory (a run); --force deletes exactly these. */
export const RUN_FILES = ['model.onnx', 'best.safetensors', 'checkpoint.safetensors', 'metrics.jsonl', 'artifact.json', 'train_step.onnx', 'eval.onnx'] as const;

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** The run files present in `dir` (none when it does not exist). */
export async function existingRunFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const f of RUN_FILES) if (await exists(join(dir, f))) found.push(f);
  return found;
}

/**
 * Refuses what a run cannot start from, without touching anything. Resume: the checkpoint must
 * be there. New run: a directory that already holds run files is refused unless `force`.
 * Returns the run files present (what `clearRunDir` deletes under force).
 * @throws NoCheckpointError (E_NO_CHECKPOINT) on resume without checkpoint.safetensors.
 * @throws RunExistsError (E_RUN_EXISTS) for a new run into an existing run without force.
 */
export async function checkRunDir(dir: string, opts: { resume?: boolean; force?: boolean }): Promise<string[]> {
  const present = await existingRunFiles(dir);
  if (opts.resume) {
    if (present.includes('checkpoint.safetensors')) return present;
    const why = present.length === 0
      ? `'${dir}' holds no training run`
      : `'${dir}' holds a run (${present.join(', ')}) that stopped before its first checkpoint`;
    throw new NoCheckpointError(`--resume: no checkpoint to continue from: ${why}; start a new run without --resume${present.length ? ' (with --force to replace it)' : ''}`);
  }
  if (present.length > 0 && !opts.force) {
    throw new RunExistsError(`'${dir}' already holds a training run (${present.join(', ')}): pass --resume to continue it, --force to replace it, or choose another --out`);
  }
  return present;
}

/** Creates `dir` for a new run and deletes the given run files of a replaced run (other files stay). */
export async function clearRunDir(dir: string, runFiles: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of runFiles) await unlink(join(dir, f)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
