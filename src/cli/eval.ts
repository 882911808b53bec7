// `highway-onnx eval`: accuracy of a model on a labelled file or data directory split.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { loadModel } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import { parseJsonl, parseSst, parseTsv } from '../data/readers.js';
import { parseSstTrees } from '../data/sst-trees.js';
import { UsageError } from './errors.js';

export interface EvalArgs {
  model: string;
  file: string;
  format?: 'sst' | 'trees' | 'tsv' | 'csv' | 'jsonl';
  fiveClass?: boolean;
  device: Device;
  batch: number;
}

export async function evalCommand(a: EvalArgs): Promise<{ accuracy: number; total: number }> {
  const content = await readFile(a.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read '${a.file}': ${e.code ?? e.message}`);
  });
  const ext = extname(a.file).slice(1);
  // A tree file scores whole sentences (root labels), as dev and test are scored in training.
  const looksLikeTrees = /^\s*\(\d\s/.test(content.replace(/^\uFEFF/, '')) && !content.slice(0, content.indexOf('\n') >>> 0).includes('|||');
  const format = a.format ?? (ext === 'jsonl' ? 'jsonl' : ext === 'tsv' ? 'tsv' : ext === 'csv' ? 'csv' : looksLikeTrees ? 'trees' : 'sst');
  const split =
    format === 'sst' ? parseSst(content, { file: a.file, binary: !a.fiveClass })
    : format === 'trees' ? parseSstTrees(content, { file: a.file, binary: !a.fiveClass, phrases: false })
    : format === 'jsonl' ? parseJsonl(content, { file: a.file })
    : parseTsv(content, { file: a.file, delimiter: format === 'csv' ? ',' : '\t' });
  const predictor = await loadModel(a.model, { device: a.device, maxBatch: a.batch });
  const names = predictor.labels;
  // Files with label names map by name; integer-labelled files map by id.
  const gold = split.examples.map((e) => (split.labelKind === 'string' ? names.indexOf(split.labels[e.label]!) : e.label));
  if (gold.some((g) => g < 0 || g >= names.length)) {
    throw new UsageError(`labels in '${a.file}' (${split.labels.join(', ')}) do not match the model's (${names.join(', ')})`);
  }
  const preds = await predictor.predict(split.examples.map((e) => e.text));
  const correct = preds.filter((p, i) => p.labelId === gold[i]).length;
  await predictor.release();
  const result = { accuracy: correct / preds.length, total: preds.length, correct };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result;
}
