// Pretrained word vectors (word2vec / GloVe text format) for the embedding matrix.
//
// Format: one word per line, `word v1 v2 … vD`, fields separated by spaces or tabs.
// A first line of exactly two integers (`count dim`, word2vec's header) is read as a
// header; otherwise the dimension comes from the first line. A line with another number
// of values is an error naming file and line; a word with spaces inside (some GloVe
// files) keeps everything before the last D fields. Values are parsed only for words the
// vocabulary needs (the file can be gigabytes), and a non-number among them is an error.
//
// Matching: a vocabulary token takes the vector of the identical word; failing that, of
// the first word that lower-cases to it (the tokenizer lower-cases, word2vec's Google
// News vectors are cased). Rows of words not found keep their random initialisation;
// every row is fine-tuned during training.
import { access } from 'node:fs/promises';
import { readTextLines } from '../data/line-reader.js';
import type { Vocabulary } from '../data/vocab.js';
import type { Tensor } from '../onnx/tensor.js';
import { CodedError } from '../errors.js';

export class EmbeddingsFileError extends CodedError {
  constructor(message: string) {
    super('E_EMBEDDINGS', 'EmbeddingsFileError', message);
  }
}

export interface EmbeddingCoverage {
  /** Vocabulary words (not <pad>/<unk>) that received a pretrained vector. */
  found: number;
  /** Vocabulary words, <pad> and <unk> excluded. */
  total: number;
  /** Of `found`, how many matched only after lower-casing. */
  caseInsensitive: number;
  dim: number;
  /** Word vectors in the file. */
  fileWords: number;
}

/**
 * Copy vectors from `file` into the rows of `weight` ([vocabSize, dim]) for vocabulary
 * words found there. Mutates `weight`; returns the coverage.
 */
export async function loadPretrainedEmbeddings(file: string, vocab: Vocabulary, weight: Tensor): Promise<EmbeddingCoverage> {
  const [V, dim] = weight.dims as [number, number];
  if (V !== vocab.size) throw new EmbeddingsFileError(`embedding matrix has ${V} rows but the vocabulary has ${vocab.size} tokens`);
  try {
    await access(file);
  } catch {
    throw new EmbeddingsFileError(`embeddings file not found: ${file}`);
  }
  const data = weight.data as Float32Array;
  const exact = new Set<number>();
  const lowered = new Set<number>();
  let fileDim: number | null = null;
  let fileWords = 0;
  // Strict UTF-8 (an error names file, line and byte offset), any line end, bounded lines.
  for await (const { line: lineNo, text: raw } of readTextLines(file)) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') continue;
    const fields = line.split(/[ \t]+/);
    if (lineNo === 1 && fields.length === 2 && /^\d+$/.test(fields[0]!) && /^\d+$/.test(fields[1]!)) {
      fileDim = Number(fields[1]);
      checkDim(fileDim, dim, file);
      continue;
    }
    if (fileDim === null) {
      fileDim = fields.length - 1;
      if (fileDim < 1) throw new EmbeddingsFileError(`${file}:${lineNo}: expected 'word v1 v2 …', found one field`);
      checkDim(fileDim, dim, file);
    }
    if (fields.length < fileDim + 1) {
      throw new EmbeddingsFileError(`${file}:${lineNo}: expected a word and ${fileDim} values, found ${fields.length - 1} value(s)`);
    }
    fileWords++;
    const word = fields.slice(0, fields.length - fileDim).join(' ');
    let id = vocab.has(word) ? vocab.idOf(word) : -1;
    let viaLower = false;
    if (id < 2 || exact.has(id)) {
      // <pad>/<unk> never take a vector; an exact match already made is never overwritten.
      const low = word.toLowerCase();
      id = low !== word && vocab.has(low) ? vocab.idOf(low) : -1;
      viaLower = true;
      if (id < 2 || exact.has(id) || lowered.has(id)) continue;
    }
    const offset = fields.length - fileDim;
    const row = new Float32Array(fileDim);
    for (let j = 0; j < fileDim; j++) {
      const v = Number(fields[offset + j]);
      if (!Number.isFinite(v)) throw new EmbeddingsFileError(`${file}:${lineNo}: value ${j + 1} of '${word}' is not a number: '${fields[offset + j]}'`);
      row[j] = v;
    }
    data.set(row, id * dim);
    if (viaLower) lowered.add(id);
    else {
      exact.add(id);
      lowered.delete(id);
    }
  }
  if (fileDim === null) throw new EmbeddingsFileError(`${file} holds no word vectors`);
  const found = exact.size + lowered.size;
  return { found, total: vocab.size - 2, caseInsensitive: lowered.size, dim: fileDim, fileWords };
}

function checkDim(fileDim: number, dim: number, file: string): void {
  if (fileDim !== dim) {
    throw new EmbeddingsFileError(`${file} holds ${fileDim}-dimensional vectors but the model's embedding is ${dim} wide: pass --embed-dim ${fileDim}`);
  }
}
