// `highway-onnx eval`: loss, accuracy, per-class precision/recall/F1, macro-F1 and the confusion
// matrix of a model on a data directory's split (like `train --data`) or on one labelled file.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { loadModel } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import type { ExternalDataMode } from './args.js';
import { evaluate, type LabelledSet } from '../runtime/evaluate.js';
import type { EvalReport } from '../runtime/metrics.js';
import { balanceSummary } from '../runtime/class-balance.js';
import type { Predictor } from '../runtime/predictor.js';
import { parseJsonl, parseSst, parseTsv } from '../data/readers.js';
import { columnsNeedTable, FORMAT_EXTENSIONS, type DataFormat } from '../data/files.js';
import { decodeDataFile } from '../data/text.js';
import { DataFormatError, DataMissingError } from '../data/errors.js';
import { DEFAULT_MAX_CHARS } from './predict.js';
import { parseSstTrees } from '../data/sst-trees.js';
import { UsageError } from './errors.js';

/** `eval` options, as commander parses them (`--data` or `--file`, one of them). */
export interface EvalArgs {
  model: string;
  data?: string;
  split: 'train' | 'dev' | 'test';
  file?: string;
  format?: 'sst' | 'trees' | 'tsv' | 'csv' | 'jsonl';
  fiveClass?: boolean;
  /** TSV/CSV column or JSONL field holding the text / the label (default 'text' / 'label'). */
  textColumn?: string;
  labelColumn?: string;
  device: Device;
  batch: number;
  json?: boolean;
  /** Longest text accepted, in characters (default DEFAULT_MAX_CHARS, as for predict). */
  maxChars?: number;
  /** 'model-folder': read external data from the model file's folder (default 'refuse'). */
  externalData?: ExternalDataMode;
}

/** The labelled set `eval` scores: `--data DIR` (its `--split`) or `--file`. */
async function labelledSet(a: EvalArgs): Promise<{ set: LabelledSet; source: string }> {
  if ((a.data === undefined) === (a.file === undefined)) throw new UsageError('eval needs exactly one of --data DIR (a data directory, like train) or --file PATH');
  const columns = { ...(a.textColumn ? { textColumn: a.textColumn } : {}), ...(a.labelColumn ? { labelColumn: a.labelColumn } : {}) };
  // --data reads the one split it scores: a folder holding only test.csv is enough.
  const file = a.data !== undefined ? await splitFile(a.data, a.split, a.format) : a.file!;
  const content = decodeDataFile(await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read '${file}': ${e.code ?? e.message}`);
  }), file);
  const ext = extname(file).slice(1);
  // A tree file scores whole sentences (root labels), as dev and test are scored in training.
  const looksLikeTrees = /^\s*\(\d\s/.test(content.replace(/^\uFEFF/, '')) && !content.slice(0, content.indexOf('\n') >>> 0).includes('|||');
  const format = a.format ?? (ext === 'jsonl' ? 'jsonl' : ext === 'tsv' ? 'tsv' : ext === 'csv' ? 'csv' : looksLikeTrees ? 'trees' : 'sst');
  if ((format === 'sst' || format === 'trees') && (a.textColumn || a.labelColumn)) throw columnsNeedTable(format, file);
  const split =
    format === 'sst' ? parseSst(content, { file, binary: !a.fiveClass })
    : format === 'trees' ? parseSstTrees(content, { file, binary: !a.fiveClass, phrases: false })
    : format === 'jsonl' ? parseJsonl(content, { file, textField: a.textColumn, labelField: a.labelColumn })
    : parseTsv(content, { file, delimiter: format === 'csv' ? ',' : '\t', textColumn: a.textColumn, labelColumn: a.labelColumn });
  // A batch is padded to its longest text: one huge line must be refused, not allocated.
  const maxChars = a.maxChars ?? DEFAULT_MAX_CHARS;
  const long = split.examples.findIndex((e) => e.text.length > maxChars && [...e.text].length > maxChars);
  if (long >= 0) {
    throw new DataFormatError(file, split.lines?.[long] ?? long + 1, `a text of at most ${maxChars} characters (--max-chars)`, `${[...split.examples[long]!.text].length} characters`);
  }
  // Integer-labelled TSV/CSV/JSONL files carry class ids, which are the model's.
  return { set: { examples: split.examples, labels: split.labelKind === 'string' ? split.labels : [] }, source: a.data !== undefined ? `${a.data} (${a.split})` : file };
}

/**
 * The file of `split` in a data folder: `<split>.<ext>` for the given format, else the one
 * extension present. Throws DataMissingError (E_DATA_MISSING) when none or several are.
 */
async function splitFile(dir: string, split: string, format: DataFormat | undefined): Promise<string> {
  const exts = format ? [FORMAT_EXTENSIONS[format]] : [...new Set(Object.values(FORMAT_EXTENSIONS))];
  const present = new Set(await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read the data folder '${dir}': ${e.code ?? e.message}`);
  }));
  const found = exts.map((x) => `${split}.${x}`).filter((f) => present.has(f));
  if (found.length === 0) throw new DataMissingError(`no ${split} split in ${dir}: looked for ${exts.map((x) => `${split}.${x}`).join(', ')}`);
  if (found.length > 1) throw new DataMissingError(`${dir} holds the ${split} split in several formats (${found.join(', ')}); choose one with --format`);
  return join(dir, found[0]!);
}

/**
 * Scores a model on a labelled set and prints the report (JSON with --json): evaluate()'s metrics,
 * plus balanced accuracy, the majority-class baseline and the unknown-token rate; warns on stderr
 * when the model predicts one class only.
 */
export async function evalCommand(a: EvalArgs): Promise<EvalReport & { balancedAccuracy: number; majority: { label: string; accuracy: number } }> {
  const { set, source } = await labelledSet(a);
  const predictor = await loadModel(a.model, { device: a.device, maxBatch: a.batch, ...(a.externalData ? { externalData: a.externalData } : {}) });
  try {
    const report = await evaluate(predictor, set.labels.length > 0 ? set : set.examples);
    const balance = balanceSummary(report.labels, report.confusion);
    const full = { ...report, balancedAccuracy: balance.balancedAccuracy, majority: balance.majority, ...vocabularyCoverage(predictor, set.examples.map((e) => e.text)) };
    process.stdout.write(a.json ? `${JSON.stringify(full)}\n` : `${formatEvalReport(report, source)}${formatExtras(full)}`);
    if (balance.warning) process.stderr.write(`warning: ${balance.warning}\n`);
    return full;
  } finally {
    await predictor.release();
  }
}

/**
 * Tokens the model's vocabulary does not know, over the texts as the model tokenizes them:
 * `unknownTokenRate` = unknownTokens / tokens. Absent for raw-text models (the graph tokenizes).
 */
function vocabularyCoverage(p: Predictor, texts: readonly string[]): { tokens: number; unknownTokens: number; unknownTokenRate: number } | Record<string, never> {
  if (p.takesText || !p.info.vocab) return {};
  let tokens = 0;
  let unknownTokens = 0;
  for (const t of texts) {
    const { ids } = p.encode(t);
    tokens += ids.length;
    unknownTokens += ids.filter((id) => id === 1).length;
  }
  return { tokens, unknownTokens, unknownTokenRate: tokens === 0 ? 0 : unknownTokens / tokens };
}

function formatExtras(f: { balancedAccuracy: number; majority: { label: string; accuracy: number }; unknownTokenRate?: number; unknownTokens?: number; tokens?: number }): string {
  const unk = f.unknownTokenRate === undefined ? '' : `  unknown tokens ${pct(f.unknownTokenRate)} (${f.unknownTokens} of ${f.tokens})`;
  return `\nbalanced accuracy ${pct(f.balancedAccuracy)}  majority-class baseline ${pct(f.majority.accuracy)} ('${f.majority.label}')${unk}\n`;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const table = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n');
};

/** The report as terminal text: summary line, per-class table, confusion matrix (rows gold, columns predicted). */
export function formatEvalReport(r: EvalReport, source: string): string {
  const perClass = table([
    ['class', 'precision', 'recall', 'f1', 'support'],
    ...r.perClass.map((m) => [m.label, m.precision.toFixed(4), m.recall.toFixed(4), m.f1.toFixed(4), String(m.support)]),
  ]);
  const confusion = table([['gold \\ predicted', ...r.labels], ...r.confusion.map((row, g) => [r.labels[g]!, ...row.map(String)])]);
  return `${source}: ${r.examples} examples  loss ${r.loss.toFixed(4)}  accuracy ${pct(r.accuracy)}  macro-F1 ${r.macroF1.toFixed(4)}\n\n${perClass}\n\n${confusion}\n`;
}
