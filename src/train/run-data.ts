// The data side of a Node training run: the dataset (given, read or built in), each split
// encoded with the run's vocabulary and tokenizer, a --keep-vocab resume's vocabulary and
// labels, and class-balance figures of predictions.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readDataset } from '../data/files.js';
import { builtinDataset } from '../data/builtin.js';
import { Vocabulary } from '../data/vocab.js';
import { truncateLong } from '../data/truncate.js';
import type { Dataset, Example } from '../data/example.js';
import { balanceSummary, confusionMatrix, type BalanceSummary } from '../runtime/class-balance.js';
import type { Encoded } from './classifier-feeds.js';
import { TrainOptionsError } from './errors.js';
import type { TrainOptions } from './options.js';
import { vocabDigest, type RunRecord } from './run-record.js';

/** The dataset a run trains on: given in memory, read from a data directory, or the built-in one. */
export async function loadTrainingData(opts: Pick<TrainOptions, 'dataset' | 'data' | 'fiveClass' | 'format' | 'phrases' | 'distinctPhrases' | 'textColumn' | 'labelColumn'>): Promise<Dataset> {
  if (opts.dataset) return opts.dataset;
  if (opts.data) {
    return readDataset(opts.data, {
      binary: !opts.fiveClass,
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.phrases ? { phrases: true } : {}),
      ...(opts.distinctPhrases ? { phrases: true, distinctPhrases: true } : {}),
      ...(opts.textColumn ? { textColumn: opts.textColumn } : {}),
      ...(opts.labelColumn ? { labelColumn: opts.labelColumn } : {}),
    });
  }
  return builtinDataset();
}

/** Token ids of each example (the run's tokenizer), cut to `maxLen` tokens; a warning naming the long ones goes to `log`. */
export function encodeSplit(dataset: Dataset, split: 'train' | 'dev' | 'test', vocab: Vocabulary, tokenize: (text: string) => string[], maxLen: number, log: (line: string) => void): Encoded {
  const examples = dataset[split];
  const ids = examples.map((e) => vocab.encode(tokenize(e.text)));
  const warning = truncateLong(ids, maxLen, split, dataset.origin?.[split]);
  if (warning) log(warning);
  return { ids, labels: examples.map((e) => e.label) };
}

/** Balance summary of predictions over batches (gold labels taken from the batches, in the same order). */
export function balanceOf(labels: string[], batches: { labels: BigInt64Array }[], predictions: number[]): BalanceSummary {
  const gold = batches.flatMap((b) => Array.from(b.labels, Number));
  return balanceSummary(labels, confusionMatrix(labels.length, gold, predictions));
}

/** The vocabulary and labels of the run in `out` (its artifact.json), for a --keep-vocab resume. */
export async function runVocabulary(out: string, saved: RunRecord): Promise<{ vocab: Vocabulary; labels: string[] }> {
  const path = join(out, 'artifact.json');
  let tokens: unknown;
  try {
    tokens = (JSON.parse(await readFile(path, 'utf8')) as { vocab?: unknown }).vocab;
  } catch (e) {
    throw new TrainOptionsError(`--keep-vocab needs the run's vocabulary from '${path}': ${(e as Error).message}`);
  }
  const vocab = Vocabulary.fromJSON(tokens);
  if (vocabDigest(vocab.toJSON(), saved.config.labels) !== saved.vocabDigest) {
    throw new TrainOptionsError(`--keep-vocab: the vocabulary in '${path}' is not the one the checkpoint was trained with (its digest differs)`);
  }
  return { vocab, labels: saved.config.labels };
}

/** The dataset with its label ids renumbered to `labels` (the run's order); a label the run lacks is refused. */
export function relabel(ds: Dataset, labels: string[]): Dataset {
  const unknown = ds.labels.filter((l) => !labels.includes(l));
  if (unknown.length > 0) {
    throw new TrainOptionsError(`--keep-vocab keeps the run's labels (${labels.join(', ')}); the new data has other labels too: ${unknown.join(', ')}. Train a new run for them`);
  }
  const map = ds.labels.map((l) => labels.indexOf(l));
  const re = (xs: Example[]): Example[] => xs.map((e) => ({ ...e, label: map[e.label]! }));
  return { ...ds, labels: [...labels], train: re(ds.train), dev: re(ds.dev), test: re(ds.test) };
}
