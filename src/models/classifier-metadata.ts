// The metadata format of a classifier file: which keys `classifierModel` writes into the ONNX
// model's metadata_props (config, labels, vocabulary, tokenizer rules, format version) and how
// they are read back and checked. The graph itself is built in classifier.ts.
import type { TokenizerOptions } from '../data/tokenizer.js';
import { readMetadata } from '../onnx/metadata.js';
import { jsonDepth } from '../formats/json-depth.js';
import type { ModelProto } from '../onnx/proto.js';
import { CodedError } from '../errors.js';
import { resolveConfig, type ModelConfig } from './config.js';

/** The metadata_props keys of a classifier file. */
export const METADATA_KEYS = {
  config: 'highway_onnx.config',
  labels: 'highway_onnx.labels',
  vocab: 'highway_onnx.vocab',
  format: 'highway_onnx.format',
  /** The switchable tokenizer rules the vocabulary was built with (JSON TokenizerOptions; absent = defaults). */
  tokenizer: 'highway_onnx.tokenizer',
  /**
   * Present on a model whose weights were never trained (build-graph's random initialisation): a
   * short note saying where the weights come from. Loaders, `predict`, `serve` and `inspect` say so.
   */
  untrained: 'highway_onnx.untrained',
} as const;
export const METADATA_FORMAT = '1';

/**
 * The metadata_props of a classifier file for `cfg` (a resolved config): format, config and
 * labels always, the vocabulary (tokens in id order) and the tokenizer rules when given.
 */
export function classifierMetadata(cfg: ModelConfig, opts: { vocab?: string[]; tokenizer?: TokenizerOptions; untrained?: string }): Record<string, string> {
  const metadata: Record<string, string> = {
    [METADATA_KEYS.format]: METADATA_FORMAT,
    [METADATA_KEYS.config]: JSON.stringify(cfg),
    [METADATA_KEYS.labels]: JSON.stringify(cfg.labels),
  };
  if (opts.vocab) metadata[METADATA_KEYS.vocab] = JSON.stringify(opts.vocab);
  if (opts.tokenizer?.social) metadata[METADATA_KEYS.tokenizer] = JSON.stringify({ social: true });
  if (opts.untrained !== undefined) metadata[METADATA_KEYS.untrained] = opts.untrained;
  return metadata;
}

/** A classifier file's metadata is missing, malformed or inconsistent (E_MODEL_METADATA). */
export class ModelMetadataError extends CodedError {
  constructor(message: string) {
    super('E_MODEL_METADATA', 'ModelMetadataError', message);
  }
}

export interface ClassifierMetadata {
  config: ModelConfig;
  labels: string[];
  vocab: string[] | null;
  /** Tokenizer rules recorded with the vocabulary ({} when the key is absent: the defaults). */
  tokenizer: TokenizerOptions;
  /** Where untrained weights come from (METADATA_KEYS.untrained); null for a trained model. */
  untrained: string | null;
}

/**
 * Metadata values are JSON (config, labels, vocabulary): at most this deep. Deeper JSON is
 * refused before it is parsed: code that walks it (an error message describing a value)
 * recurses once per level, and a 10^6-deep value overflows the stack.
 */
export const MAX_METADATA_JSON_DEPTH = 16;

/** Config, labels and vocabulary written by classifierModel; errors name the key at fault. */
export function readClassifierMetadata(model: ModelProto): ClassifierMetadata {
  const md = readMetadata(model);
  const format = md[METADATA_KEYS.format];
  if (format === undefined) {
    throw new ModelMetadataError(`not a highway-onnx classifier: metadata key '${METADATA_KEYS.format}' is missing`);
  }
  if (format !== METADATA_FORMAT) {
    throw new ModelMetadataError(`'${METADATA_KEYS.format}' is '${format}'; this version reads format '${METADATA_FORMAT}'`);
  }
  const json = (key: string): unknown => {
    const raw = md[key];
    if (raw === undefined) throw new ModelMetadataError(`metadata key '${key}' is missing`);
    const depth = jsonDepth(raw);
    if (depth > MAX_METADATA_JSON_DEPTH) {
      throw new ModelMetadataError(`metadata key '${key}' nests JSON ${depth} deep, over the limit of ${MAX_METADATA_JSON_DEPTH}`);
    }
    try {
      return JSON.parse(raw);
    } catch (e) {
      throw new ModelMetadataError(`metadata key '${key}' is not valid JSON: ${(e as Error).message}`);
    }
  };
  const rawConfig = json(METADATA_KEYS.config);
  if (typeof rawConfig !== 'object' || rawConfig === null || Array.isArray(rawConfig)) {
    throw new ModelMetadataError(`metadata key '${METADATA_KEYS.config}' must hold a JSON object`);
  }
  let config: ModelConfig;
  try {
    config = resolveConfig(rawConfig as Partial<ModelConfig>);
  } catch (e) {
    throw new ModelMetadataError(`metadata key '${METADATA_KEYS.config}': ${(e as Error).message}`);
  }
  const labels = stringArray(json(METADATA_KEYS.labels), METADATA_KEYS.labels);
  if (labels.length !== config.classes) {
    throw new ModelMetadataError(`metadata key '${METADATA_KEYS.labels}' holds ${labels.length} labels, the config has ${config.classes} classes`);
  }
  let vocab: string[] | null = null;
  if (md[METADATA_KEYS.vocab] !== undefined) {
    vocab = stringArray(json(METADATA_KEYS.vocab), METADATA_KEYS.vocab);
    if (vocab.length !== config.vocabSize) {
      throw new ModelMetadataError(`metadata key '${METADATA_KEYS.vocab}' holds ${vocab.length} tokens, the config says vocabSize ${config.vocabSize}`);
    }
  }
  let tokenizer: TokenizerOptions = {};
  if (md[METADATA_KEYS.tokenizer] !== undefined) {
    const t = json(METADATA_KEYS.tokenizer) as { social?: unknown };
    if (typeof t !== 'object' || t === null || Array.isArray(t) || (t.social !== undefined && typeof t.social !== 'boolean')) {
      throw new ModelMetadataError(`metadata key '${METADATA_KEYS.tokenizer}' must hold a JSON object like {"social": true}, found ${md[METADATA_KEYS.tokenizer]}`);
    }
    tokenizer = t.social ? { social: true } : {};
  }
  // The labels key is authoritative; keep the config consistent with it.
  const untrained = md[METADATA_KEYS.untrained] ?? null;
  return { config: { ...config, labels }, labels, vocab, tokenizer, untrained };
}

function stringArray(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw new ModelMetadataError(`metadata key '${key}' must hold a JSON array of strings`);
  }
  return v as string[];
}
