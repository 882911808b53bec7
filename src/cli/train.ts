// `highway-onnx train`: train a classifier and write runs/<name>/model.onnx. Ctrl-C (SIGINT) or
// SIGTERM finishes the current step, writes a checkpoint, restores the terminal, prints the
// resume command and exits 130 / 143; a second signal exits at once (the last checkpoint stays).
import { parseCheckpointEvery, restoreTerminalOnExit, train, type TrainOptions, type TrainResult } from '../train/index.js';
import type { Device } from '../runtime/device.js';
import type { CarryMode, ModelConfig } from '../models/config.js';
import { OptimizerSpecError, type OptimizerSpec } from '../optim/index.js';
import type { DataFormat } from '../data/files.js';
import { existsSync } from 'node:fs';

/** `train`'s options as commander parses them (defaults filled in). */
export interface TrainArgs {
  data?: string;
  format?: DataFormat;
  fiveClass?: boolean;
  phrases?: boolean;
  distinctPhrases?: boolean;
  textColumn?: string;
  labelColumn?: string;
  out: string;
  layers: number;
  plain?: boolean;
  hidden: number;
  embedDim: number;
  carry: CarryMode;
  gateBias: number;
  dropout: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  lr: number;
  momentum?: number;
  weightDecay?: number;
  /** Adam only: 'lazy' updates only the embedding rows a batch looks up (SparseAdam). */
  embeddingUpdate?: 'dense' | 'lazy';
  clip: number;
  epochs: number;
  batch: number;
  patience: number;
  evalEvery?: number;
  minFreq: number;
  maxLen?: number;
  embeddings?: string;
  seed: number;
  device: Device;
  threads?: number;
  resume?: boolean;
  force?: boolean;
  allowChanges?: boolean;
  checkpointEvery?: string;
  maxSteps?: number;
  tokenizer: 'sst' | 'social';
  classWeights: 'none' | 'balanced';
  selectBy: 'accuracy' | 'macro-f1';
  keepVocab?: boolean;
  progress: boolean;
}

export function optimizerFromArgs(a: Pick<TrainArgs, 'optimizer' | 'momentum' | 'weightDecay' | 'clip' | 'embeddingUpdate'>): OptimizerSpec {
  const clip = a.clip > 0 ? { clipNorm: a.clip } : {};
  const wd = a.weightDecay !== undefined ? { weightDecay: a.weightDecay } : {};
  if (a.optimizer === 'sgd') {
    if (a.embeddingUpdate === 'lazy') throw new OptimizerSpecError("--embedding-update lazy needs --optimizer adam (it is torch's SparseAdam), found sgd");
    return { kind: 'sgd', momentum: a.momentum ?? 0, ...wd, ...clip };
  }
  return { kind: a.optimizer, ...wd, ...clip, ...(a.embeddingUpdate === 'lazy' ? { embeddingUpdate: 'lazy' as const } : {}) };
}

/** Exit status of a process stopped by a signal, as shells report it: 128 + the signal number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

const ignoreLateSignal = (): void => undefined;

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Training options from the command line. A new run takes every option (defaults included); a
 * resume only those typed (`given`), so the rest come from the checkpoint — the optimizer flags
 * count as one group (giving one states the whole optimizer).
 */
export function trainOptionsFromArgs(a: TrainArgs, given: (option: keyof TrainArgs) => boolean): TrainOptions {
  const all = !a.resume;
  const pick = <K extends keyof TrainArgs>(k: K): TrainArgs[K] | undefined => (all || given(k) ? a[k] : undefined);
  const model: Partial<ModelConfig> = {};
  if (all || given('plain')) model.kind = a.plain ? 'plain' : 'highway';
  const m = { layers: pick('layers'), hidden: pick('hidden'), embedDim: pick('embedDim'), carry: pick('carry'), gateBias: pick('gateBias'), dropout: pick('dropout') };
  for (const [k, v] of Object.entries(m)) if (v !== undefined) (model as Record<string, unknown>)[k] = v;
  const optimizerGiven = all || (['optimizer', 'momentum', 'weightDecay', 'clip', 'embeddingUpdate'] as const).some(given);
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    out: a.out,
    model,
    ...(optimizerGiven ? { optimizer: optimizerFromArgs(a) } : {}),
    ...defined({
      data: a.data,
      format: a.format,
      phrases: a.phrases ? true : undefined,
      distinctPhrases: a.distinctPhrases ? true : undefined,
      textColumn: a.textColumn,
      labelColumn: a.labelColumn,
      fiveClass: pick('fiveClass') ?? (all ? false : undefined),
      lr: pick('lr'),
      epochs: pick('epochs'),
      batchSize: pick('batch'),
      patience: pick('patience'),
      evalEvery: a.evalEvery,
      minFreq: pick('minFreq'),
      maxLen: a.maxLen,
      embeddings: a.embeddings,
      seed: pick('seed'),
      threads: a.threads,
      maxSteps: a.maxSteps,
      checkpointEvery: a.checkpointEvery !== undefined ? parseCheckpointEvery(a.checkpointEvery) : undefined,
      tokenizer: pick('tokenizer') === undefined ? undefined : a.tokenizer === 'social' ? { social: true } : {},
      classWeights: pick('classWeights'),
      selectBy: pick('selectBy'),
    }),
    keepVocab: a.keepVocab ?? false,
    device: a.device,
    resume: a.resume ?? false,
    force: a.force ?? false,
    allowChanges: a.allowChanges ?? false,
    progress: a.progress,
  };
}

/** Runs `train` for the CLI; `given` tells which options were typed on the command line. */
export async function trainCommand(a: TrainArgs, given: (option: keyof TrainArgs) => boolean = () => true): Promise<TrainResult> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      controller.abort(signal);
      return;
    }
    restoreTerminalOnExit();
    process.stderr.write(`\n${signal} again: stopping at once; the last checkpoint in ${a.out} is kept\n`);
    process.exit(SIGNAL_EXIT[signal] ?? 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: TrainResult;
  try {
    result = await train({ ...trainOptionsFromArgs(a, given), signal: controller.signal });
  } finally {
    // The run is over and its files are written: a signal from here to the exit must not kill
    // the process mid-report (the default action would), so it is ignored. The ignoring handlers
    // go on before the others come off: with no listener in between, Node restores the default
    // action, and a signal landing in that gap would kill the process.
    process.on('SIGINT', ignoreLateSignal);
    process.on('SIGTERM', ignoreLateSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (result.stoppedBy === 'signal') {
    const signal = String(result.signalReason);
    process.stderr.write(`interrupted by ${signal} at step ${result.step}; checkpoint saved. Resume with:\n  highway-onnx train --resume --out ${shellQuote(a.out)}\n`);
    process.exitCode = SIGNAL_EXIT[signal] ?? 1;
    return result;
  }
  // A run stopped (--max-steps) before its first epoch ended has no model yet: say so, and where
  // the checkpoint to resume from is, rather than name a file that does not exist.
  const model = existsSync(result.modelPath) ? result.modelPath : null;
  if (model === null) process.stderr.write(`no model yet: the run stopped at step ${result.step}, before its first epoch ended; continue with: highway-onnx train --resume --out ${shellQuote(a.out)}\n`);
  process.stdout.write(`${JSON.stringify({
    model,
    ...(result.interrupted ? { checkpoint: result.checkpointPath } : {}),
    // No epoch ended yet: null, not the loop's -1 starting value.
    bestDevAccuracy: result.bestEpoch < 1 ? null : result.bestDevAccuracy,
    bestEpoch: result.bestEpoch < 1 ? null : result.bestEpoch,
    testAccuracy: result.testAccuracy,
    ...(result.test ? { testMacroF1: result.test.macroF1, testBalancedAccuracy: result.test.balancedAccuracy, testMajorityAccuracy: result.test.majority.accuracy } : {}),
    // Over the whole run: a resumed run reports all its epochs, not only this invocation's.
    epochs: result.epochsDone,
    stoppedEarly: result.stoppedEarly,
    ...(result.stoppedBy ? { stoppedBy: result.stoppedBy, step: result.step } : {}),
  })}\n`);
  return result;
}
