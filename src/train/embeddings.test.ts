// Pretrained embeddings (word2vec/GloVe text format): rows of vocabulary words are set,
// coverage is reported, malformed files fail with file and line.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vocabulary } from '../data/vocab.js';
import { allocate } from '../onnx/tensor.js';
import { loadPretrainedEmbeddings, EmbeddingsFileError } from './embeddings.js';
import { train } from './trainer.js';
import { loadCheckpoint } from './checkpoint.js';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'highway-emb-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const file = async (name: string, text: string): Promise<string> => {
  const p = path.join(tmp, name);
  await writeFile(p, text);
  return p;
};
const vocab = Vocabulary.build([['good', 'bad', 'film', 'new york']]); // ids: 0 pad, 1 unk, then by frequency/code order
const weight = () => {
  const t = allocate('float32', [vocab.size, 3]);
  t.data.fill(9);
  return t;
};
const row = (t: ReturnType<typeof weight>, word: string): number[] => [...t.data.slice(vocab.idOf(word) * 3, vocab.idOf(word) * 3 + 3)];

describe('loadPretrainedEmbeddings', () => {
  it('reads GloVe format (no header), matches exact then lower-cased words, reports coverage', async () => {
    const f = await file('glove.txt', 'the 0 0 0\nGood 0.5 0.5 0.5\ngood 1 2 3\nBAD -1 -2 -3e-1\n<unk> 7 7 7\nnew york 4 5 6\n');
    const w = weight();
    const c = await loadPretrainedEmbeddings(f, vocab, w);
    expect(c).toEqual({ found: 3, total: 4, caseInsensitive: 1, dim: 3, fileWords: 6 });
    expect(row(w, 'good')).toEqual([1, 2, 3]); // the exact match wins over 'Good'
    expect(row(w, 'bad').map((v) => Number(v.toFixed(4)))).toEqual([-1, -2, -0.3]);
    expect(row(w, 'new york')).toEqual([4, 5, 6]); // a word with a space inside
    expect(row(w, 'film')).toEqual([9, 9, 9]); // not in the file: untouched
    expect([...w.data.slice(0, 6)]).toEqual([9, 9, 9, 9, 9, 9]); // <pad> and <unk> never set
  });

  it('reads word2vec text format (count dim header)', async () => {
    const f = await file('w2v.txt', '2 3\nfilm 0.1 0.2 0.3\nbad 1 1 1\n');
    const w = weight();
    const c = await loadPretrainedEmbeddings(f, vocab, w);
    expect(c.found).toBe(2);
    expect(c.fileWords).toBe(2);
    expect(row(w, 'film').map((v) => Number(v.toFixed(4)))).toEqual([0.1, 0.2, 0.3]);
  });

  it('fails clearly on dimension mismatch, short lines, non-numbers, missing files', async () => {
    await expect(loadPretrainedEmbeddings(await file('d4.txt', 'good 1 2 3 4\n'), vocab, weight())).rejects.toThrow(/4-dimensional vectors but the model's embedding is 3 wide: pass --embed-dim 4/);
    await expect(loadPretrainedEmbeddings(await file('hdr.txt', '10 50\ngood 1 2 3\n'), vocab, weight())).rejects.toThrow(/50-dimensional/);
    const short = await file('short.txt', 'good 1 2 3\nbad 1 2\n');
    await expect(loadPretrainedEmbeddings(short, vocab, weight())).rejects.toThrow(EmbeddingsFileError);
    await expect(loadPretrainedEmbeddings(short, vocab, weight())).rejects.toThrow(/short\.txt:2: expected a word and 3 values, found 2/);
    await expect(loadPretrainedEmbeddings(await file('nan.txt', 'good 1 x 3\n'), vocab, weight())).rejects.toThrow(/nan\.txt:1: value 2 of 'good' is not a number: 'x'/);
    await expect(loadPretrainedEmbeddings(path.join(tmp, 'absent.txt'), vocab, weight())).rejects.toThrow(/not found/);
    await expect(loadPretrainedEmbeddings(await file('empty.txt', '\n'), vocab, weight())).rejects.toThrow(/no word vectors/);
  });
});

describe('train({ embeddings })', () => {
  it('initialises the embedding rows from the file and logs the coverage', async () => {
    const dataset = builtinDataset({ trainSize: 64, devSize: 16, testSize: 16 });
    const [w1, w2] = [...new Set(dataset.train.flatMap((e) => tokenize(e.text)))].filter((t) => /^[a-z]+$/.test(t));
    const vectors = [`${w1} 0.5 0.5 0.5 0.5`, `${w2!.toUpperCase()} -0.5 -0.5 -0.5 -0.5`, 'zzzunseen 1 1 1 1'].join('\n');
    const f = await file('builtin-vectors.txt', `${vectors}\n`);
    const logs: string[] = [];
    const out = path.join(tmp, 'run');
    await train({ out, dataset, model: { layers: 1, embedDim: 4, hidden: 2 }, embeddings: f, epochs: 1, lr: 1e-9, log: (l) => logs.push(l) });
    const line = logs.find((l) => l.startsWith('embeddings:'))!;
    expect(line).toMatch(/^embeddings: 2\/\d+ vocabulary words \(\d+\.\d%\) found in .*builtin-vectors\.txt \(3 vectors, 4-d, 1 matched after lower-casing\)/);
    const artifact = JSON.parse(await readFile(path.join(out, 'artifact.json'), 'utf8')) as { vocab: string[]; hyperparameters: { embeddings: string } };
    expect(artifact.hyperparameters.embeddings).toBe(f);
    // With a vanishing learning rate the trained rows are still the pretrained ones.
    const emb = (await loadCheckpoint(path.join(out, 'best.safetensors'))).params.get('embedding.weight')!;
    const id = artifact.vocab.indexOf(w1!);
    expect(Array.from(emb.data.slice(id * 4, id * 4 + 4) as Float32Array, (v) => Number(v.toFixed(3)))).toEqual([0.5, 0.5, 0.5, 0.5]);
  }, 60_000);
});
