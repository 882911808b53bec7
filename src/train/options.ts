// Everything a training run is configured by, with defaults, and the check that refuses
// nonsense values before any work starts.
import type { ModelConfig } from '../models/config.js';
import type { OptimizerSpec } from '../optim/index.js';
import type { Device } from '../runtime/device.js';
import type { Dataset } from '../data/example.js';
import { DEFAULT_MAX_TOKENS } from '../data/truncate.js';
import type { TokenizerOptions } from '../data/tokenizer.js';
import { TrainOptionsError } from './errors.js';
import type { TrainCallbacks } from './loop.js';

/** How often a checkpoint is written inside an epoch: every so many steps, or every so many seconds. */
export type CheckpointEvery = { steps: number } | { seconds: number };
import type { DataFormat } from '../data/files.js';

export interface TrainOptions {
  /** Output directory: artifact, checkpoints, metrics, model.onnx. */
  out: string;
  /** Data: a directory in a supported format, or a loaded dataset; neither = built-in data (or, on resume, the checkpoint's). */
  data?: string;
  dataset?: Dataset;
  /** Format of `data` (default: detected from the files). */
  format?: DataFormat;
  /** 5-class SST instead of binary (SST sentences or trees only). */
  fiveClass?: boolean;
  /** SST trees only: train on every labelled phrase of the training trees; dev/test stay whole sentences. */
  phrases?: boolean;
  /** With `phrases`: one example per distinct (phrase, label) pair instead of every occurrence. */
  distinctPhrases?: boolean;
  /** TSV/CSV column or JSONL field holding the sentence (default 'text'). */
  textColumn?: string;
  /** TSV/CSV column or JSONL field holding the label (default 'label'). */
  labelColumn?: string;
  model?: Partial<ModelConfig>;
  optimizer?: OptimizerSpec;
  lr?: number;
  /** Total epochs of the run; on resume it may be raised to train further. */
  epochs?: number;
  batchSize?: number;
  /** Stop after this many epochs without a better dev accuracy. */
  patience?: number;
  /**
   * Also evaluate dev every this many optimizer steps (default: only at each epoch's end). Every
   * evaluation takes part in choosing the best checkpoint (best.safetensors, model.onnx); an
   * epoch counts as improved for `patience` when any of its evaluations set a new best.
   */
  evalEvery?: number;
  minFreq?: number;
  /** Pretrained word vectors (word2vec/GloVe text format) for the embedding rows of vocabulary words. */
  embeddings?: string;
  /** Switchable tokenizer rules (social-media placeholders); recorded in the run and in model.onnx. */
  tokenizer?: TokenizerOptions;
  /** Per-class loss weights: 'balanced' weights class c by n / (C · n_c) (scikit-learn's rule); default 'none'. */
  classWeights?: 'none' | 'balanced';
  /** Dev metric that picks the best checkpoint (and drives early stopping): default 'accuracy'. */
  selectBy?: 'accuracy' | 'macro-f1';
  /**
   * With resume on data that changed since the run began (its splits' digests differ): continue
   * on the new data with the run's vocabulary and labels instead of refusing (E_RESUME_MISMATCH).
   */
  keepVocab?: boolean;
  /** Cut training (and dev/test) sentences to this many tokens, with a warning naming them. Default TRAIN_DEFAULTS.maxLen. */
  maxLen?: number;
  seed?: number;
  device?: Device;
  threads?: number;
  /**
   * Continue from out/checkpoint.safetensors (E_NO_CHECKPOINT when there is none). Settings left
   * undefined are taken from the checkpoint; settings given and different are refused
   * (E_RESUME_MISMATCH, every difference listed) unless `allowChanges`. `epochs` may differ.
   */
  resume?: boolean;
  /** With resume: accept settings that differ from the checkpoint's (each is logged). */
  allowChanges?: boolean;
  /** Replace an existing run in `out` (its run files are deleted first); without it such a directory is refused (E_RUN_EXISTS). */
  force?: boolean;
  /** Stop (after saving a checkpoint) once this many steps are done — for tests and budgets. */
  maxSteps?: number;
  /** Checkpoints inside an epoch (default every 60 s); one is always written at each epoch end and on stop. */
  checkpointEvery?: CheckpointEvery;
  /**
   * Aborting it stops training after the current step: a checkpoint is written and train()
   * resolves with `stoppedBy: 'signal'` (the CLI aborts it on SIGINT/SIGTERM).
   */
  signal?: AbortSignal;
  /** After every optimizer step (fit-style; see TrainCallbacks). An exception stops the run. */
  onStep?: TrainCallbacks['onStep'];
  /** After every epoch's dev evaluation, with its record (the metrics.jsonl `epoch` fields). */
  onEpochEnd?: TrainCallbacks['onEpochEnd'];
  progress?: boolean;
  /** Where one-line messages go (default: stderr). */
  log?: (line: string) => void;
}

/**
 * The training defaults, read by train(), the CLI, the experiment and sweeps (the model's own
 * defaults, embedDim, hidden, dropout, …, are DEFAULT_CONFIG in models/config.ts).
 */
export const TRAIN_DEFAULTS = {
  lr: 0.003,
  /** Global gradient-norm clip of the default optimizer (Adam). */
  clipNorm: 5,
  epochs: 5,
  batchSize: 32,
  patience: 3,
  minFreq: 1,
  seed: 1,
  maxLen: DEFAULT_MAX_TOKENS,
  checkpointEvery: { seconds: 60 } as CheckpointEvery,
} as const;

export function defaultOptimizer(): OptimizerSpec {
  return { kind: 'adam', clipNorm: TRAIN_DEFAULTS.clipNorm };
}

/**
 * Parses a `--checkpoint-every` value: a step count (`200`) or a duration (`90s`, `5m`, `1h`).
 * @throws TrainOptionsError (E_TRAIN_OPTIONS) for anything else, zero or negative.
 */
export function parseCheckpointEvery(v: string): CheckpointEvery {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0) || (!m[2] && !Number.isInteger(n))) {
    throw new TrainOptionsError(`--checkpoint-every: expected a positive number of steps (200) or a duration (90s, 5m, 1h), found '${v}'`);
  }
  if (!m[2]) return { steps: n };
  return { seconds: n * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) };
}

/**
 * Refuses values no training run can mean: a learning rate ≤ 0 or not finite, zero or negative
 * epochs, batch size, patience, frequency, length or step limits, a bad checkpoint interval,
 * and `resume` together with `force`.
 * @throws TrainOptionsError (E_TRAIN_OPTIONS) naming the option, what was expected and what was found.
 */
export function checkTrainOptions(o: TrainOptions): void {
  const bad = (name: string, expected: string, found: unknown): never => {
    throw new TrainOptionsError(`${name}: expected ${expected}, found ${JSON.stringify(found) ?? String(found)}`);
  };
  if (o.lr !== undefined && !(typeof o.lr === 'number' && Number.isFinite(o.lr) && o.lr > 0)) bad('lr', 'a finite learning rate > 0', o.lr);
  const posInt = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) bad(name, 'a positive integer', v);
  };
  posInt('epochs', o.epochs);
  posInt('batchSize', o.batchSize);
  posInt('patience', o.patience);
  posInt('minFreq', o.minFreq);
  posInt('maxLen', o.maxLen);
  posInt('maxSteps', o.maxSteps);
  posInt('evalEvery', o.evalEvery);
  posInt('threads', o.threads);
  if (o.seed !== undefined && !(Number.isSafeInteger(o.seed) && o.seed >= 0)) bad('seed', 'a non-negative integer', o.seed);
  const every = o.checkpointEvery;
  if (every !== undefined) {
    if ('steps' in every) posInt('checkpointEvery.steps', every.steps);
    else if (!(typeof every.seconds === 'number' && every.seconds > 0 && Number.isFinite(every.seconds))) bad('checkpointEvery.seconds', 'a number of seconds > 0', every.seconds);
  }
  if (o.classWeights !== undefined && o.classWeights !== 'none' && o.classWeights !== 'balanced') bad('classWeights', "'none' or 'balanced'", o.classWeights);
  if (o.selectBy !== undefined && o.selectBy !== 'accuracy' && o.selectBy !== 'macro-f1') bad('selectBy', "'accuracy' or 'macro-f1'", o.selectBy);
  if (o.keepVocab && !o.resume) throw new TrainOptionsError('keepVocab (--keep-vocab) only applies with resume: it keeps a resumed run\'s vocabulary on changed data');
  if (o.resume && o.force) throw new TrainOptionsError('resume and force exclude each other: --resume continues the run in the directory, --force replaces it');
}
