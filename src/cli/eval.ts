// `highway-onnx eval`: accuracy of a model on a labelled file or data directory split.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { loadModel } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import { parseJsonl, parseSst, parseTsv } from '../data/readers.js';
import { decodeDataFile } from '../data/text.js';
import { DataFormatError } from '../data/errors.js';
import { DEFAULT_MAX_CHARS } from './predict.js';
import { UsageError } from './errors.js';

export interface EvalArgs {
  model: string;
  file: string;
  format?: 'sst' | 'tsv' | 'csv' | 'jsonl';
  fiveClass?: boolean;
  device: Device;
  batch: number;
  /** Longest text accepted, in characters (default DEFAULT_MAX_CHARS, as for predict). */
  maxChars?: number;
}

export async function evalCommand(a: EvalArgs): Promise<{ accuracy: number; total: number }> {
  const content = decodeDataFile(await readFile(a.file).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read '${a.file}': ${e.code ?? e.message}`);
  }), a.file);
  const ext = extname(a.file).slice(1);
  const format = a.format ?? (ext === 'jsonl' ? 'jsonl' : ext === 'tsv' ? 'tsv' : ext === 'csv' ? 'csv' : 'sst');
  const split =
    format === 'sst' ? parseSst(content, { file: a.file, binary: !a.fiveClass })
    : format === 'jsonl' ? parseJsonl(content, { file: a.file })
    : parseTsv(content, { file: a.file, delimiter: format === 'csv' ? ',' : '\t' });
  // A batch is padded to its longest text: one huge line must be refused, not allocated.
  const maxChars = a.maxChars ?? DEFAULT_MAX_CHARS;
  const long = split.examples.findIndex((e) => e.text.length > maxChars && [...e.text].length > maxChars);
  if (long >= 0) {
    throw new DataFormatError(a.file, split.lines?.[long] ?? long + 1, `a text of at most ${maxChars} characters (--max-chars)`, `${[...split.examples[long]!.text].length} characters`);
  }
  const predictor = await loadModel(a.model, { device: a.device, maxBatch: a.batch });
  const names = predictor.labels;
  // Files with label names map by name; integer-labelled files map by id.
  const gold = split.examples.map((e) => (split.labelKind === 'string' ? names.indexOf(split.labels[e.label]!) : e.label));
  const bad = gold.findIndex((g) => g < 0 || g >= names.length);
  if (bad >= 0) {
    const label = split.labels[split.examples[bad]!.label]!;
    throw new DataFormatError(a.file, split.lines?.[bad] ?? bad + 1, `a label of the model (${names.join(', ')})`, `${JSON.stringify(label)}: labels in '${a.file}' (${split.labels.join(', ')}) do not match the model's`);
  }
  const preds = await predictor.predict(split.examples.map((e) => e.text));
  const correct = preds.filter((p, i) => p.labelId === gold[i]).length;
  await predictor.release();
  const result = { accuracy: correct / preds.length, total: preds.length, correct };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result;
}
