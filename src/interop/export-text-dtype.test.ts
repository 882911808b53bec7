// export-text on a model written by `export --dtype` (fp16, int8): the raw-text graph is rebuilt
// from float32 weights, so it refuses with E_EXPORT saying which order works, instead of failing
// deep in the import ("unsupported tensor element type 10 (FLOAT16)", "DequantizeLinear outside the
// supported set"). The order it names (export-text, then export --dtype) loads and scores as the
// reduced ids model does.
import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../data/vocab.js';
import { tokenize } from '../data/tokenizer.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { quantizeModel } from '../onnx/quantize.js';
import { loadModel } from '../runtime/node.js';
import { rawTextModel } from './export.js';

const texts = ['a wonderful , moving film', "the plot is n't gripping", 'unknownword film'];
const vocab = Vocabulary.build(texts.map(tokenize));
const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 9 });
const model = classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() });

describe('export-text and reduced weights', () => {
  for (const dtype of ['fp16', 'int8'] as const) {
    it(`${dtype}: refused with E_EXPORT naming the storage and the order that works; text first, then ${dtype}, scores as the ${dtype} ids model`, async () => {
      const reduced = quantizeModel(model, dtype);
      expect(() => rawTextModel(reduced, { unicodeByCaller: true })).toThrow(expect.objectContaining({ code: 'E_EXPORT', message: expect.stringMatching(new RegExp(`stored as ${dtype}.*export-text on the float32 model, then export --dtype`)) }));
      const text = await loadModel(encodeModel(quantizeModel(rawTextModel(model, { unicodeByCaller: true }), dtype)));
      const ids = await loadModel(encodeModel(reduced));
      const [a, b] = [await text.predict(texts), await ids.predict(texts)];
      expect(a.map((p) => p.label)).toEqual(b.map((p) => p.label));
      a.forEach((p, i) => p.probs.forEach((v, k) => expect(Math.abs(v - b[i]!.probs[k]!)).toBeLessThan(1e-6)));
      await Promise.all([text.release(), ids.release()]);
    });
  }

  it("fp32 (export --dtype fp32 writes the key too) is accepted", () => {
    expect(() => rawTextModel(quantizeModel(model, 'fp32'), { unicodeByCaller: true })).not.toThrow();
  });
});
