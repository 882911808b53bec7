// Checks on how a data set's splits relate: rows shared between train and dev/test inflate the
// scores reported on them without a word, and a class with no training example is a class the
// model cannot learn (its output row stays at its random initialisation).
import type { Dataset } from './example.js';
import { DataSplitError } from './errors.js';

/** Exact duplicates across splits: texts (compared after trimming) found in both. */
export interface SplitOverlap {
  /** Examples of the first split whose text also occurs in the second. */
  trainDev: number;
  trainTest: number;
  devTest: number;
}

/** Counts, per pair of splits, the examples of the later split whose text occurs in the earlier one. */
export function splitOverlap(ds: Pick<Dataset, 'train' | 'dev' | 'test'>): SplitOverlap {
  const set = (xs: readonly { text: string }[]): Set<string> => new Set(xs.map((e) => e.text.trim()));
  const train = set(ds.train);
  const dev = set(ds.dev);
  const count = (xs: readonly { text: string }[], s: Set<string>): number => xs.filter((e) => s.has(e.text.trim())).length;
  return { trainDev: count(ds.dev, train), trainTest: count(ds.test, train), devTest: count(ds.test, dev) };
}

/** A warning line naming every non-zero overlap, or null when the splits share no text. */
export function overlapWarning(o: SplitOverlap, sizes: { dev: number; test: number }): string | null {
  const parts: string[] = [];
  if (o.trainDev > 0) parts.push(`${o.trainDev} of ${sizes.dev} dev examples also in train`);
  if (o.trainTest > 0) parts.push(`${o.trainTest} of ${sizes.test} test examples also in train`);
  if (o.devTest > 0) parts.push(`${o.devTest} of ${sizes.test} test examples also in dev`);
  return parts.length === 0 ? null : `warning: exact duplicate texts across splits: ${parts.join('; ')}. Scores on those splits are inflated; remove the duplicates for an honest held-out score`;
}

/** Examples per class id in one split. */
export function classCounts(examples: readonly { label: number }[], classes: number): number[] {
  const n = new Array<number>(classes).fill(0);
  for (const e of examples) if (e.label >= 0 && e.label < classes) n[e.label]!++;
  return n;
}

/**
 * Refuses a data set in which a class has no training example (it appears only in dev or
 * test, or nowhere): the model would carry an untrained class.
 * @throws DataSplitError (E_DATA_SPLITS) naming each such class and where it does occur.
 */
export function requireTrainedClasses(ds: Dataset): void {
  const C = ds.labels.length;
  const train = classCounts(ds.train, C);
  const dev = classCounts(ds.dev, C);
  const test = classCounts(ds.test, C);
  const missing = ds.labels.flatMap((label, c) => (train[c] === 0 ? [`'${label}' (dev ${dev[c]}, test ${test[c]})`] : []));
  if (missing.length > 0) {
    throw new DataSplitError(`every class needs training examples: ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} none in train (train has ${ds.labels.map((l, c) => `${l} ${train[c]}`).join(', ')}). Add training examples or remove the class from dev/test`);
  }
}
