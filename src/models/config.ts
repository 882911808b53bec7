// The JSON model config: every hyperparameter of a classifier, serialisable into the .onnx.
import { CodedError } from '../errors.js';
import type { CarryMode } from '../nn/highway-bilstm.js';

export type { CarryMode };

export interface ModelConfig {
  /** Format version of this config, for readers of older models. */
  version: 1;
  /** 'highway': Highway BiLSTM blocks; 'plain': stacked BiLSTMs, no gate. */
  kind: 'highway' | 'plain';
  layers: number;
  vocabSize: number;
  embedDim: number;
  /** Hidden units per direction; layer outputs are 2·hidden wide. */
  hidden: number;
  classes: number;
  /** How the highway carry C(x) reaches 2·hidden width when the input width differs. */
  carry: CarryMode;
  /** Initial transform-gate bias (paper: −1 … −3 for deep nets). */
  gateBias: number;
  /** Dropout after the embedding and before the output layer (training only). */
  dropout: number;
  seed: number;
  /** Emit the per-layer, per-token mean transform-gate activations as an output. */
  gatesOutput: boolean;
  labels: string[];
}

export const DEFAULT_CONFIG: ModelConfig = {
  version: 1,
  kind: 'highway',
  layers: 2,
  vocabSize: 5000,
  embedDim: 100,
  hidden: 50,
  classes: 2,
  carry: 'projection',
  gateBias: -1,
  dropout: 0.4,
  seed: 1,
  gatesOutput: true,
  labels: ['negative', 'positive'],
};

export class ConfigError extends CodedError {
  constructor(message: string) {
    super('E_CONFIG', 'ConfigError', message);
  }
}

/** Fill defaults and validate; errors say which field, what was expected and what was found. */
export function resolveConfig(partial: Partial<ModelConfig>): ModelConfig {
  const c: ModelConfig = { ...DEFAULT_CONFIG, ...partial };
  const posInt = (k: keyof ModelConfig): void => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`config.${k} must be a positive integer, found ${JSON.stringify(v)}`);
  };
  (['layers', 'vocabSize', 'embedDim', 'hidden', 'classes'] as const).forEach(posInt);
  if (c.vocabSize < 2) throw new ConfigError(`config.vocabSize must be at least 2 (<pad> and <unk>), found ${c.vocabSize}`);
  if (c.kind !== 'highway' && c.kind !== 'plain') throw new ConfigError(`config.kind must be 'highway' or 'plain', found ${JSON.stringify(c.kind)}`);
  if (!['identity', 'projection', 'zero-pad'].includes(c.carry)) {
    throw new ConfigError(`config.carry must be identity, projection or zero-pad, found ${JSON.stringify(c.carry)}`);
  }
  if (c.kind === 'highway' && c.carry === 'identity' && c.embedDim !== 2 * c.hidden) {
    throw new ConfigError(`carry 'identity' needs embedDim = 2·hidden (${2 * c.hidden}), found embedDim ${c.embedDim}; use 'projection' or 'zero-pad'`);
  }
  if (c.kind === 'highway' && c.carry === 'zero-pad' && c.embedDim > 2 * c.hidden) {
    throw new ConfigError(`carry 'zero-pad' needs embedDim ≤ 2·hidden (${2 * c.hidden}), found ${c.embedDim}`);
  }
  if (typeof c.dropout !== 'number' || c.dropout < 0 || c.dropout >= 1) throw new ConfigError(`config.dropout must be in [0, 1), found ${c.dropout}`);
  if (typeof c.gateBias !== 'number' || !Number.isFinite(c.gateBias)) throw new ConfigError(`config.gateBias must be a finite number, found ${c.gateBias}`);
  if (partial.labels === undefined) c.labels = defaultLabels(c.classes);
  else if (!Array.isArray(c.labels) || c.labels.length !== c.classes || c.labels.some((l) => typeof l !== 'string')) {
    throw new ConfigError(`config.labels must be ${c.classes} strings (one per class), found ${JSON.stringify(partial.labels)}`);
  }
  return c;
}

export function defaultLabels(classes: number): string[] {
  if (classes === 2) return ['negative', 'positive'];
  if (classes === 5) return ['very negative', 'negative', 'neutral', 'positive', 'very positive'];
  return Array.from({ length: classes }, (_, i) => `class${i}`);
}
