// One sweep cell = one train() run, made restartable at every epoch boundary with
// identical results: the cell trains one epoch per train() call (each resuming from the
// previous epoch's checkpoint) and keeps every epoch's step losses in its run directory,
// so a cell killed and retried anywhere — another process, another machine sharing the
// directory — reports the same numbers and the same loss curve as an uninterrupted run.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/example.js';
import { paramSpecs } from '../models/init.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { train, type TrainResult } from '../train/trainer.js';
import type { Cell, ExperimentSettings } from './grid.js';
import { cellPath, readEpochRecords, readJson, runDir, writeJsonAtomic, type CellResult } from './results.js';

/** What runCell needs besides the cell itself. */
export interface RunCellOptions {
  /** Sweep directory: the run goes to `<out>/runs/<id>`, the result to `<out>/cells/<id>.json`. */
  out: string;
  /** The cell's hyperparameters (a search gives every cell its own lr, dropout, hidden). */
  settings: ExperimentSettings;
  dataset: Dataset;
  progress?: boolean;
  log: (line: string) => void;
  /** Extra fields stored with the result (a search adds the cell's configuration). */
  extra?: Record<string, unknown>;
}

/** `<run>/step-losses.json`: the training loss of every step, one array per finished epoch. */
interface StepLosses {
  epochs: number[][];
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/**
 * Smoothed training-loss curve: means over windows of a tenth of an epoch; x in (fractional)
 * epochs. `firstStep` is the number of steps before `losses[0]` (0 for a complete record).
 */
export function smoothLoss(losses: number[], firstStep: number, stepsPerEpoch: number): { epoch: number; loss: number }[] {
  const window = Math.max(1, Math.round(stepsPerEpoch / 10));
  const out: { epoch: number; loss: number }[] = [];
  for (let i = 0; i < losses.length; i += window) {
    const chunk = losses.slice(i, i + window);
    const mean = chunk.reduce((a, b) => a + b, 0) / chunk.length;
    out.push({ epoch: (firstStep + i + chunk.length / 2) / stepsPerEpoch, loss: mean });
  }
  return out;
}

/**
 * Train one cell to the end of its epoch budget (or early stop), continuing from
 * `<out>/runs/<id>/checkpoint.safetensors` when one exists, and write
 * `<out>/cells/<id>.json` (atomically). Throws what train() throws (e.g. E_TRAINING_DIVERGED).
 */
export async function runCell(cell: Cell, opts: RunCellOptions): Promise<CellResult> {
  const s = opts.settings;
  const dir = runDir(opts.out, cell.id);
  const checkpointPath = join(dir, 'checkpoint.safetensors');
  const lossesPath = join(dir, 'step-losses.json');
  const position = (await exists(checkpointPath)) ? (await loadCheckpoint(checkpointPath)).position : null;
  if (position) opts.log(`  resuming ${cell.id} from its last checkpoint (epoch ${position.epoch} of ${s.epochs} done)`);
  const losses: StepLosses = (position ? await readJson<StepLosses>(lossesPath) : null) ?? { epochs: [] };

  const t0 = performance.now();
  const trainTo = (epochs: number, resume: boolean): Promise<TrainResult> =>
    train({
      out: dir,
      dataset: opts.dataset,
      model: { kind: cell.kind, layers: cell.depth, gateBias: cell.gateBias, embedDim: s.embedDim, hidden: s.hidden, dropout: s.dropout, seed: cell.seed, ...(s.carry ? { carry: s.carry } : {}) },
      lr: s.lr,
      ...(s.optimizer ? { optimizer: s.optimizer } : {}),
      ...(s.evalEvery ? { evalEvery: s.evalEvery } : {}),
      epochs,
      batchSize: s.batchSize,
      patience: s.patience,
      seed: cell.seed,
      ...(s.maxLen ? { maxLen: s.maxLen } : {}),
      ...(s.threads ? { threads: s.threads } : {}),
      device: 'cpu',
      resume,
      // A fresh start replaces whatever a killed predecessor left in the cell's folder.
      force: !resume,
      progress: opts.progress ?? false,
      log: (line) => opts.log(`  ${line}`),
    });

  // The checkpoint is written before the early-stop decision, so a cell killed right after
  // stopping early must not train on: then (and when every epoch is done) train to the
  // checkpoint's own epoch, which trains nothing and measures the test set.
  const done = position !== null && (position.epoch >= s.epochs || position.epochsWithoutImprovement >= s.patience);
  let result: TrainResult;
  if (done) {
    result = await trainTo(position.epoch, true);
  } else {
    let epoch = position?.epoch ?? 0;
    for (;;) {
      if (epoch > 0) opts.log(`  ${cell.id}: epoch ${epoch + 1} of ${s.epochs}, from the epoch-${epoch} checkpoint`);
      result = await trainTo(epoch + 1, epoch > 0);
      epoch++;
      losses.epochs[epoch - 1] = result.stepLosses;
      await writeJsonAtomic(lossesPath, losses);
      if (result.stoppedEarly || epoch >= s.epochs) break;
    }
  }
  const wallSeconds = (performance.now() - t0) / 1000;

  const epochs = await readEpochRecords(dir);
  const last = epochs[epochs.length - 1];
  const stepsPerEpoch = epochs[0]?.steps ?? 1;
  const totalSteps = last?.steps ?? 0;
  // The curve from the last epoch whose losses are all on record (all of them unless a crash
  // fell between a checkpoint and the losses file).
  let firstKept = losses.epochs.length;
  while (firstKept > 0 && Array.isArray(losses.epochs[firstKept - 1])) firstKept--;
  const kept = losses.epochs.slice(firstKept).flat();
  const cellResult: CellResult = {
    id: cell.id,
    depth: cell.depth,
    kind: cell.kind,
    seed: cell.seed,
    gateBias: cell.gateBias,
    params: paramSpecs(result.config).reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0),
    bestDevAccuracy: result.bestDevAccuracy,
    bestEpoch: result.bestEpoch,
    testAccuracy: result.testAccuracy,
    finalDevAccuracy: last?.devAccuracy ?? result.bestDevAccuracy,
    trainSeconds: epochs.reduce((a, e) => a + e.seconds, 0),
    wallSeconds,
    epochs,
    lossCurve: smoothLoss(kept, totalSteps - kept.length, stepsPerEpoch),
    finishedAt: new Date().toISOString(),
  };
  const record = { ...cellResult, ...opts.extra };
  await writeJsonAtomic(cellPath(opts.out, cell.id), record);
  return record;
}
