// The settings a run trains with: given options, else (on resume) the checkpoint's record,
// else the defaults.
import type { ModelConfig } from '../models/config.js';
import type { TokenizerOptions } from '../data/tokenizer.js';
import type { OptimizerSpec } from '../optim/index.js';
import type { DataFormat } from '../data/files.js';
import { defaultOptimizer, TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import { recordOptimizer, type RunRecord } from './run-record.js';

/** The settings one invocation of train() runs with, before the data fixes vocabulary and labels. */
export interface RunSettings {
  lr: number;
  epochs: number;
  batchSize: number;
  patience: number;
  /** Dev evaluations every this many steps besides the epoch ends (null: epoch ends only). */
  evalEvery: number | null;
  minFreq: number;
  maxLen: number | null;
  seed: number;
  optimizer: OptimizerSpec;
  /** Model settings; vocabulary size, classes and labels come from the data. */
  model: Partial<ModelConfig>;
  data: string | null;
  fiveClass: boolean;
  /** Data format (null: detected from the files) and phrase-level training of tree files. */
  format: DataFormat | null;
  phrases: 'all' | 'distinct' | null;
  /** TSV/CSV columns or JSONL fields holding sentence and label (null: 'text' and 'label'). */
  textColumn: string | null;
  labelColumn: string | null;
  embeddings: string | null;
  tokenizer: TokenizerOptions;
  classWeights: 'none' | 'balanced';
  selectBy: 'accuracy' | 'macro-f1';
}

/** Merges options over the saved record (resume) over the defaults. */
export function runSettings(o: TrainOptions, saved: RunRecord | null): RunSettings {
  const savedModel: Partial<ModelConfig> = saved ? { ...saved.config } : {};
  delete savedModel.vocabSize;
  delete savedModel.classes;
  delete savedModel.labels;
  return {
    lr: o.lr ?? saved?.lr ?? TRAIN_DEFAULTS.lr,
    epochs: o.epochs ?? saved?.epochs ?? TRAIN_DEFAULTS.epochs,
    batchSize: o.batchSize ?? saved?.batchSize ?? TRAIN_DEFAULTS.batchSize,
    patience: o.patience ?? saved?.patience ?? TRAIN_DEFAULTS.patience,
    evalEvery: o.evalEvery ?? saved?.evalEvery ?? null,
    minFreq: o.minFreq ?? saved?.minFreq ?? TRAIN_DEFAULTS.minFreq,
    maxLen: o.maxLen ?? saved?.maxLen ?? null,
    seed: o.seed ?? saved?.seed ?? TRAIN_DEFAULTS.seed,
    optimizer: o.optimizer ?? (saved ? recordOptimizer(saved) : defaultOptimizer()),
    model: { ...savedModel, ...o.model },
    data: o.data ?? (o.dataset ? null : saved?.data ?? null),
    fiveClass: o.fiveClass ?? saved?.fiveClass ?? false,
    format: o.format ?? saved?.dataFormat ?? null,
    phrases: o.distinctPhrases ? 'distinct' : o.phrases ? 'all' : (saved?.phrases ?? null),
    textColumn: o.textColumn ?? saved?.textColumn ?? null,
    labelColumn: o.labelColumn ?? saved?.labelColumn ?? null,
    embeddings: o.embeddings ?? saved?.embeddings ?? null,
    tokenizer: o.tokenizer ?? saved?.tokenizer ?? {},
    classWeights: o.classWeights ?? saved?.classWeights ?? 'none',
    selectBy: o.selectBy ?? saved?.selectBy ?? 'accuracy',
  };
}
