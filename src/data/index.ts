/**
 * The data layer's browser-safe API. The file-system readers are Node-only and
 * live in `./files.js` (or `./node.js`, which re-exports this module too), so
 * that a browser bundle importing this module never pulls in `node:fs`.
 */
export { tokenize, tokenizerFor, applyRule0, type TokenizerOptions } from './tokenizer.js';
export { normalizeUnicode } from './normalize.js';
export { applySocialRules, SOCIAL_PLACEHOLDERS } from './social.js';
export { Vocabulary, type VocabularyBuildOptions } from './vocab.js';
export type { Dataset, Example } from './example.js';
export { DataFormatError, DataMissingError, DataSplitError, DataOptionError } from './errors.js';
export { splitOverlap, overlapWarning, classCounts, requireTrainedClasses, type SplitOverlap } from './split-checks.js';
export { parseDelimited, type DelimitedRecord } from './csv.js';
export {
  combineSplits,
  parseJsonl,
  parseSst,
  parseTsv,
  SST_BINARY_LABELS,
  SST_FIVE_CLASS_LABELS,
  type JsonlOptions,
  type ParsedSplit,
  type SstOptions,
  type TsvOptions,
} from './readers.js';
export { parseSstTree, parseSstTreeNodes, parseSstTrees, sstTreesToLines, type SstTree, type SstTreeNode, type SstTreesOptions } from './sst-trees.js';
export { Rng } from './rng.js';
export {
  BUILTIN_LABELS,
  builtinDataset,
  generateExample,
  type BuiltinExample,
  type BuiltinKind,
  type BuiltinOptions,
} from './builtin.js';
export { DEFAULT_MAX_TOKENS, truncateLong, type SplitOrigin } from './truncate.js';
export { decodeDataFile, firstInvalidUtf8Offset, splitLines } from './text.js';
export { BUCKET_BATCHES, lengthBucketedBatches, padBatch, type PadOptions, type PaddedBatch } from './batches.js';
