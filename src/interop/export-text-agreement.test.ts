// export-text scores like its source model (issue 11 item 9): the raw-text graph's tokenization
// equals the toolkit's tokenizer. Every SST dev and test sentence with normal spacing restored
// (detokenize), plus Unicode and rule cases, goes through the graph (onnxruntime-node) and
// through tokenize + Vocabulary.encode: the token id sequences must be identical, and the text
// model's probabilities must equal `predict` on the source ids model within 1e-6.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { applyRule0, tokenizerFor, type TokenizerOptions } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { rawTextModel, TOKEN_IDS_OUTPUT, TOKEN_LENGTHS_OUTPUT } from './export.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { detokenize } from '../../scripts/detokenize.js';
import { UNICODE_CASES } from '../../test/interop/unicode-cases.js';

// The data directory beside the project (never committed), as the other SST tests find it.
const SST = join(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'data', 'sst');
const sentences = (split: string): string[] =>
  readFileSync(join(SST, `${split}.txt`), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => l.split(' ||| ')[0]!);

/** A small classifier over a vocabulary from SST's training split (frequent words only, so unknowns occur). */
function sourceModel(tokenizer: TokenizerOptions, seed: number): { bytes: Uint8Array; vocab: Vocabulary } {
  const tok = tokenizerFor(tokenizer);
  const vocab = Vocabulary.build(sentences('train').map((s) => tok(detokenize(s))), { minFreq: 2 });
  const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 16, hidden: 8, seed });
  return { bytes: encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON(), ...(tokenizer.social ? { tokenizer } : {}) })), vocab };
}

interface Agreement {
  texts: number;
  sameTokens: number;
  sameLabels: number;
  maxProbGap: number;
}

type Runtime = Pick<typeof ort, 'InferenceSession' | 'Tensor'>;

async function agreement(texts: string[], tokenizer: TokenizerOptions, seed: number, rt: Runtime = ort): Promise<Agreement> {
  const { bytes, vocab } = sourceModel(tokenizer, seed);
  const { decodeModel } = await import('../onnx/proto.js');
  const textModel = encodeModel(rawTextModel(decodeModel(bytes), { unicodeByCaller: true }));
  const source = await loadModel(bytes, { device: 'cpu' });
  const expected = await source.predict(texts);
  await source.release();
  const session = await rt.InferenceSession.create(textModel);
  const tok = tokenizerFor(tokenizer);
  const a: Agreement = { texts: texts.length, sameTokens: 0, sameLabels: 0, maxProbGap: 0 };
  const diffs: string[] = [];
  for (let s = 0; s < texts.length; s += 64) {
    const batch = texts.slice(s, s + 64);
    const out = await session.run({ text: new rt.Tensor('string', batch.map((t) => applyRule0(t, tokenizer)), [batch.length]) });
    const ids = out[TOKEN_IDS_OUTPUT]!;
    const T = ids.dims[1]!;
    const lengths = out[TOKEN_LENGTHS_OUTPUT]!.data as Int32Array;
    const probs = out.probs!.data as Float32Array;
    const C = out.probs!.dims[1]!;
    batch.forEach((text, b) => {
      const tokens = tok(text);
      const want = tokens.length === 0 ? [Vocabulary.UNK_ID] : vocab.encode(tokens);
      const got = Array.from((ids.data as BigInt64Array).subarray(b * T, b * T + lengths[b]!), Number);
      if (JSON.stringify(got) === JSON.stringify(want)) a.sameTokens++;
      else if (diffs.length < 5) diffs.push(`${JSON.stringify(text)}: graph ${JSON.stringify(got)}, tokenizer ${JSON.stringify(want)} ${JSON.stringify(tokens)}`);
      const p = Array.from(probs.subarray(b * C, (b + 1) * C));
      const ref = expected[s + b]!;
      if (p.indexOf(Math.max(...p)) === ref.labelId) a.sameLabels++;
      p.forEach((x, k) => (a.maxProbGap = Math.max(a.maxProbGap, Math.abs(x - ref.probs[k]!))));
    });
  }
  await session.release();
  expect(diffs, 'texts the graph cuts differently').toEqual([]);
  return a;
}

describe('export-text: the graph tokenizes as the toolkit does', () => {
  it('every SST dev and test sentence, detokenised, and the Unicode cases: identical tokens, labels, probabilities', async () => {
    const texts = [...sentences('dev'), ...sentences('test')].map(detokenize).concat(UNICODE_CASES);
    const a = await agreement(texts, {}, 3);
    expect(a.texts).toBe(1101 + 2210 + UNICODE_CASES.length); // SST's dev and test splits, all five classes
    console.log(`export-text agreement (SST dev+test detokenised + ${UNICODE_CASES.length} Unicode cases): tokens ${a.sameTokens}/${a.texts}, labels ${a.sameLabels}/${a.texts}, max |Δp| ${a.maxProbGap.toExponential(2)}`);
    expect(a.sameTokens).toBe(a.texts);
    expect(a.sameLabels).toBe(a.texts);
    expect(a.maxProbGap).toBeLessThan(1e-6);
  }, 180_000);

  it('a --tokenizer social model: rule 0 with the placeholders is the caller\'s, the rest the graph\'s', async () => {
    const social = [
      'Check https://example.com/a?b=1. @critic loved it #BestFilmEver #must_see 10/10 4.5/5 2/10',
      'I paid $12,000 for 3 tickets in the 90s... www.x.org! mail me@x.org',
      ...sentences('dev').slice(0, 200).map(detokenize),
      ...UNICODE_CASES,
    ];
    const a = await agreement(social, { social: true }, 5);
    expect(a.sameTokens).toBe(a.texts);
    expect(a.maxProbGap).toBeLessThan(1e-6);
  }, 120_000);

  it('onnxruntime-web (WASM, under Node) runs the same graph to the same token ids', async () => {
    const texts = [...UNICODE_CASES, ...sentences('dev').slice(0, 100).map(detokenize)];
    const a = await agreement(texts, {}, 3, ortWeb as unknown as Runtime);
    expect(a.sameTokens).toBe(a.texts);
    expect(a.maxProbGap).toBeLessThan(1e-5);
  }, 120_000);

  it('loadModel applies the recorded contract: the Predictor on the text model equals the source model', async () => {
    const { bytes } = sourceModel({}, 7);
    const { decodeModel } = await import('../onnx/proto.js');
    const text = await loadModel(encodeModel(rawTextModel(decodeModel(bytes), { unicodeByCaller: true })), { device: 'cpu' });
    const source = await loadModel(bytes, { device: 'cpu' });
    expect(text.takesText).toBe(true);
    expect(text.info.textInput).toEqual({ text: 'text', tokenizer: 'graph', prepare: 'unicode', maxTokens: 1000 });
    const cases = [...UNICODE_CASES, "It's not good.", 'ＩＴ’Ｓ ＮＯＴ ＧＯＯＤ.'];
    const [a, b] = [await source.predict(cases), await text.predict(cases)];
    b.forEach((p, i) => {
      expect(p.tokens).toEqual(a[i]!.tokens);
      expect(p.unknown).toBe(a[i]!.unknown);
      p.probs.forEach((x, k) => expect(Math.abs(x - a[i]!.probs[k]!)).toBeLessThan(1e-6));
    });
    // Batches where the graph's string tensors degenerate (no piece, no token at all; one piece; many).
    for (const batch of [[''], ['   ', '\n'], ['.'], ["'"], ['😀'], ['x'.repeat(5000)], [',:'.repeat(3000)], ['\u0000a\u0000']]) {
      const [pa, pb] = [await source.predict(batch), await text.predict(batch)];
      pb.forEach((p, i) => {
        expect(p.tokens).toEqual(pa[i]!.tokens);
        p.probs.forEach((x, k) => expect(Math.abs(x - pa[i]!.probs[k]!)).toBeLessThan(1e-6));
      });
    }
    // A text past the cap (1,000 tokens by default, as predict's maxLength): both score its first 1,000.
    const long = `${'a truly moving , funny story . '.repeat(200)}but dull`;
    const [la, lb] = [(await source.predict([long]))[0]!, (await text.predict([long]))[0]!];
    expect(lb.truncatedFrom).toBe(tokenizerFor({})(long).length);
    expect(la.truncatedFrom).toBe(lb.truncatedFrom);
    expect(lb.tokens).toHaveLength(1000);
    lb.probs.forEach((x, k) => expect(Math.abs(x - la.probs[k]!)).toBeLessThan(1e-6));
    await text.release();
    await source.release();
    // A Predictor whose maxLength differs from the cap fixed in the graph refuses such a text.
    const other = await loadModel(encodeModel(rawTextModel(decodeModel(bytes), { unicodeByCaller: true, maxTokens: 50 })), { device: 'cpu' });
    await expect(other.predict([long])).rejects.toThrow(/scores a text's first 50 .* maxLength is 1000/);
    await other.release();
  }, 60_000);
});
