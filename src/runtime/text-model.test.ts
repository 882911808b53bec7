// Raw-text models (export-text: tokenization inside the graph) load in the Node Predictor and
// score exactly like the ids model fed by our tokenizer, on text already split on spaces.
import { describe, expect, it } from 'vitest';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { Vocabulary } from '../data/vocab.js';
import { tokenize } from '../data/tokenizer.js';
import { rawTextModel } from '../interop/export.js';
import * as ort from 'onnxruntime-node';
import { loadModel, modelInfoFromBytes } from './node.js';
import { Predictor, type SessionLike, type TensorCtor } from './predictor.js';
import { PredictInputError } from './errors.js';

const texts = ['the plot is not gripping', 'a truly moving story', 'dull', '', 'zzz unknown words'];
const vocab = Vocabulary.build(texts.map(tokenize));
const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 11 });
const idsModel = classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() });

describe('raw-text models in the Predictor', () => {
  it('score like the ids model and report the graph-side tokens', async () => {
    const byIds = await loadModel(encodeModel(idsModel), { device: 'cpu' });
    const byText = await loadModel(encodeModel(rawTextModel(idsModel, { pretokenized: true })), { device: 'cpu' });
    expect(byText.takesText).toBe(true);
    const a = await byIds.predict(texts);
    const b = await byText.predict(texts.map((t) => t.toUpperCase()));
    b.forEach((p, i) => {
      p.probs.forEach((x, k) => expect(x).toBeCloseTo(a[i]!.probs[k]!, 6));
      expect(p.gates!.map((l) => l.length)).toEqual(a[i]!.gates!.map((l) => l.length));
    });
    expect(b[0]!.tokens).toEqual(['the', 'plot', 'is', 'not', 'gripping']);
    expect(b[3]!.tokens).toEqual(['<unk>']);
    await expect(byText.predict([[2, 3]])).rejects.toThrow(PredictInputError);
  });
});

describe('a pretokenized raw-text model and maxLength', () => {
  it('a text of more than maxLength words is scored on its first maxLength, and says so', async () => {
    const bytes = encodeModel(rawTextModel(idsModel, { pretokenized: true }));
    const byText = await loadModel(bytes, { device: 'cpu', maxLength: 5 });
    const long = 'The plot is not  gripping a truly moving story dull zzz';
    const [cut, first5] = await byText.predict([long, 'The plot is not gripping']);
    expect(cut!.truncatedFrom).toBe(11);
    expect(cut!.tokens).toEqual(['the', 'plot', 'is', 'not', 'gripping']);
    expect(cut!.probs).toEqual(first5!.probs);
    expect(first5!.truncatedFrom).toBeUndefined();
    // The ids model, cut by the same maxLength, agrees.
    const byIds = await loadModel(encodeModel(idsModel), { device: 'cpu', maxLength: 5 });
    const [ids] = await byIds.predict([long]);
    expect(ids!.truncatedFrom).toBe(11);
    cut!.probs.forEach((p, k) => expect(p).toBeCloseTo(ids!.probs[k]!, 6));
    await Promise.all([byText.release(), byIds.release()]);
  });
});

describe('raw-text models: a call is cut into runs of similar lengths', () => {
  // One 400-word text among 20 short ones. The graph pads a run to its longest text, so a run
  // that holds the long text beside short ones costs ~20 × 400 padded LSTM steps for nothing.
  const words = ['the', 'plot', 'is', 'not', 'gripping', 'a', 'truly', 'moving', 'story', 'dull'];
  const short = Array.from({ length: 20 }, (_, i) => words.slice(0, 1 + (i % 5)).join(' '));
  const long = Array.from({ length: 400 }, (_, i) => words[i % words.length]).join(' ');
  const call = [...short.slice(0, 7), long, ...short.slice(7)];
  for (const [form, opts] of [['pretokenized', { pretokenized: true }], ['graph tokenizer', { unicodeByCaller: true }]] as const) {
    it(`${form}: the long text runs apart from the short ones; results equal one-by-one's and come back in input order`, async () => {
      const bytes = encodeModel(rawTextModel(idsModel, opts));
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
      const runs: string[][] = [];
      // The real session, with each run's texts noted (the graph's own padding is not visible in the feeds).
      const seen: SessionLike = {
        inputNames: session.inputNames, outputNames: session.outputNames,
        run: (feeds) => {
          runs.push([...((feeds.text as ort.Tensor).data as string[])]);
          return session.run(feeds as Record<string, ort.Tensor>);
        },
      };
      const predictor = new Predictor(seen, ort.Tensor as unknown as TensorCtor, modelInfoFromBytes(bytes), { maxBatch: 64 });
      const all = await predictor.predict(call);
      const withLong = runs.find((r) => r.some((t) => t.split(' ').length === 400))!;
      expect(withLong).toHaveLength(1);
      expect(runs.flat()).toHaveLength(call.length);
      const alone: typeof all = [];
      for (const t of call) alone.push(...(await predictor.predict([t])));
      // Equal up to float rounding: onnxruntime's MatMul may block a batch of 1 differently.
      const flat = (ps: typeof all): number[] => ps.flatMap((p) => [...p.probs, ...p.logits, ...(p.gates ?? []).flat()]);
      const [a, b] = [flat(all), flat(alone)];
      expect(a).toHaveLength(b.length);
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-6);
      expect(all.map(({ probs, logits, gates, ...rest }) => rest)).toEqual(alone.map(({ probs, logits, gates, ...rest }) => rest));
      await session.release();
    });
  }
});
