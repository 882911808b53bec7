// Everything a training run is configured by, with defaults.
import type { ModelConfig } from '../models/config.js';
import type { OptimizerSpec } from '../optim/index.js';
import type { Device } from '../runtime/device.js';
import type { Dataset } from '../data/example.js';
import type { DataFormat } from '../data/files.js';

export interface TrainOptions {
  /** Output directory: artifact, checkpoints, metrics, model.onnx. */
  out: string;
  /** Data: a directory in a supported format, or a loaded dataset; neither = built-in data. */
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
  model?: Partial<ModelConfig>;
  optimizer?: OptimizerSpec;
  lr?: number;
  epochs?: number;
  batchSize?: number;
  /** Stop after this many epochs without a better dev accuracy. */
  patience?: number;
  minFreq?: number;
  /** Pretrained word vectors (word2vec/GloVe text format) for the embedding rows of vocabulary words. */
  embeddings?: string;
  /** Truncate training sentences to this many tokens. */
  maxLen?: number;
  seed?: number;
  device?: Device;
  threads?: number;
  /** Continue from out/checkpoint.safetensors. */
  resume?: boolean;
  /** Stop (after saving a checkpoint) once this many steps are done — for tests and budgets. */
  maxSteps?: number;
  progress?: boolean;
  /** Where one-line messages go (default: stderr). */
  log?: (line: string) => void;
}

export const TRAIN_DEFAULTS = {
  lr: 0.003,
  epochs: 5,
  batchSize: 32,
  patience: 3,
  minFreq: 1,
  seed: 1,
} as const;

export function defaultOptimizer(): OptimizerSpec {
  return { kind: 'adam', clipNorm: 5 };
}
