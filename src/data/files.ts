/**
 * Node-only: reads and writes data directories. The parsing itself lives in
 * readers.ts (pure), so a browser front end can reuse it on text it obtained
 * another way; only this file touches the file system.
 *
 * A data directory holds `train`, `dev` and `test` files with one extension:
 * `.txt` (SST `sentence ||| label`, or SST's PTB trees, one per line), `.tsv`, `.csv`
 * (header row) or `.jsonl`. The two `.txt` formats are told apart by the first
 * non-blank line of `train.txt`: a tree starts with `(<label 0-4> ` and holds no `|||`.
 */
import { mkdir, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataMissingError, DataOptionError } from './errors.js';
import { decodeDataFile } from './text.js';
import { parseSstTrees } from './sst-trees.js';
import type { Dataset, Example } from './example.js';
import {
  combineSplits,
  parseJsonl,
  parseSst,
  parseTsv,
  SST_BINARY_LABELS,
  SST_FIVE_CLASS_LABELS,
  type ParsedSplit,
} from './readers.js';

/** `trees`: SST's PTB trees (`(3 (2 The) (2 Rock) …)`), one per line, a label on every node. */
export type DataFormat = 'sst' | 'trees' | 'tsv' | 'csv' | 'jsonl';

export const FORMAT_EXTENSIONS: Readonly<Record<DataFormat, string>> = { sst: 'txt', trees: 'txt', tsv: 'tsv', csv: 'csv', jsonl: 'jsonl' };
/** One format per extension for detection; `.txt` is then sniffed (sst or trees). */
const DETECTED: readonly DataFormat[] = ['sst', 'tsv', 'csv', 'jsonl'];
const SPLITS = ['train', 'dev', 'test'] as const;

export interface ReadDatasetOptions {
  /** Detected from the `train.*` file present when left out. */
  format?: DataFormat;
  /** SST and trees: drop the neutral class and merge to negative/positive. Default true. */
  binary?: boolean;
  /**
   * Trees only: the training split holds every labelled node of the training trees (each
   * phrase is the leaves under its node); dev and test stay whole sentences. Default false.
   */
  phrases?: boolean;
  /** With `phrases`: one example per distinct (phrase, label) pair. Default false (duplicates kept). */
  distinctPhrases?: boolean;
  /** TSV/CSV column or JSONL field holding the sentence. Default 'text'. */
  textColumn?: string;
  /** TSV/CSV column or JSONL field holding the label. Default 'label'. */
  labelColumn?: string;
}

export async function readDataset(dir: string, options: ReadDatasetOptions = {}): Promise<Dataset> {
  const format = options.format ?? (await detectFormat(dir));
  await requireDirectory(dir);
  if ((options.phrases || options.distinctPhrases) && format !== 'trees') {
    throw new DataOptionError(`phrase-level training needs SST trees (format 'trees'); the data in ${dir} is format '${format}'`);
  }
  if ((format === 'sst' || format === 'trees') && (options.textColumn !== undefined || options.labelColumn !== undefined)) throw columnsNeedTable(format, dir);
  const ext = FORMAT_EXTENSIONS[format];
  const wanted = SPLITS.map((s) => `${s}.${ext}`);
  const present = new Set(await readdir(dir));
  const missing = wanted.filter((f) => !present.has(f));
  if (missing.length > 0) {
    throw new DataMissingError(
      `${format} data set in ${dir} is incomplete: looked for ${wanted.join(', ')}; missing ${missing.join(', ')}`,
    );
  }
  const parsed: ParsedSplit[] = [];
  for (const name of wanted) {
    const file = path.join(dir, name);
    // Phrases are training examples only: dev and test are scored on whole sentences.
    const splitOptions = name.startsWith('train.') ? options : { ...options, phrases: false, distinctPhrases: false };
    const split = parseFile(decodeDataFile(await readFile(file), file), file, format, splitOptions);
    if (split.examples.length === 0) throw new DataMissingError(`${file} holds no examples`);
    parsed.push(split);
  }
  return combineSplits({ train: parsed[0]!, dev: parsed[1]!, test: parsed[2]! });
}

/**
 * The refusal of text/label column names for data that has no columns (SST sentences or trees).
 * @returns DataOptionError (E_DATA_OPTION) naming the format found and where.
 */
export function columnsNeedTable(format: DataFormat, where: string): DataOptionError {
  return new DataOptionError(`--text-column/--label-column name TSV/CSV columns or JSONL fields; the data in ${where} is format '${format}', which has none`);
}

/** The format whose `train.*` file exists in `dir`; an error when none or several do. */
export async function detectFormat(dir: string): Promise<DataFormat> {
  await requireDirectory(dir);
  const present = new Set(await readdir(dir));
  const found = DETECTED.filter((f) => present.has(`train.${FORMAT_EXTENSIONS[f]}`));
  const lookedFor = DETECTED.map((f) => `train.${FORMAT_EXTENSIONS[f]}`).join(', ');
  if (found.length === 0) throw new DataMissingError(`no data set in ${dir}: looked for ${lookedFor}`);
  if (found.length > 1) {
    throw new DataMissingError(`${dir} holds data in several formats (${found.join(', ')}); pass a format to choose one`);
  }
  return found[0] === 'sst' && (await looksLikeTrees(path.join(dir, 'train.txt'))) ? 'trees' : found[0]!;
}

/** Whether the first non-blank line of a `.txt` file is a PTB tree rather than `sentence ||| label`. */
async function looksLikeTrees(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const first = buf.toString('utf8', 0, bytesRead).replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
    return /^\s*\(\d\s/.test(first) && !first.includes('|||');
  } finally {
    await handle.close();
  }
}

function parseFile(content: string, file: string, format: DataFormat, options: ReadDatasetOptions): ParsedSplit {
  const { textColumn, labelColumn } = options;
  switch (format) {
    case 'sst':
      return parseSst(content, { file, binary: options.binary ?? true });
    case 'trees':
      return parseSstTrees(content, {
        file,
        binary: options.binary ?? true,
        phrases: options.phrases ?? false,
        distinct: options.distinctPhrases ?? false,
      });
    case 'tsv':
      return parseTsv(content, { file, delimiter: '\t', textColumn, labelColumn });
    case 'csv':
      return parseTsv(content, { file, delimiter: ',', textColumn, labelColumn });
    case 'jsonl':
      return parseJsonl(content, { file, textField: textColumn, labelField: labelColumn });
  }
}

async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new DataMissingError(`data directory not found: ${dir}`);
}

/**
 * Writes `train.txt`, `dev.txt`, `test.txt` in SST format. SST labels are the
 * 0-4 sentiment scale, so only the two SST label lists can be written; binary
 * negative/positive go out as 1 and 3, which read back the same in binary mode.
 */
export async function writeSplits(dir: string, dataset: Dataset): Promise<void> {
  const scale = sstScale(dataset.labels);
  await mkdir(dir, { recursive: true });
  for (const split of SPLITS) {
    const file = path.join(dir, `${split}.txt`);
    const body = dataset[split].map((e, i) => sstLine(e, scale, `${split}[${i}]`)).join('');
    await writeFile(file, body, 'utf8');
  }
}

function sstScale(labels: readonly string[]): number[] {
  const same = (a: readonly string[]) => a.length === labels.length && a.every((l, i) => l === labels[i]);
  if (same(SST_FIVE_CLASS_LABELS)) return [0, 1, 2, 3, 4];
  if (same(SST_BINARY_LABELS)) return [1, 3];
  throw new Error(
    `writeSplits writes SST format, whose labels are [${SST_BINARY_LABELS.join(', ')}] or [${SST_FIVE_CLASS_LABELS.join(', ')}]; got [${labels.join(', ')}]`,
  );
}

function sstLine(e: Example, scale: number[], where: string): string {
  if (/[\r\n]/.test(e.text) || e.text.includes('|||') || e.text.trim() === '') {
    throw new Error(`writeSplits: ${where} has an empty text or one with a newline or '|||', which SST format cannot hold`);
  }
  const label = scale[e.label];
  if (label === undefined) throw new Error(`writeSplits: ${where} has label ${e.label}, outside 0..${scale.length - 1}`);
  return `${e.text.trim()} ||| ${label}\n`;
}
