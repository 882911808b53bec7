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
import { loadModel } from './node.js';
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
