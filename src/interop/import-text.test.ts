// Raw-text models (stretch): tokenization and vocabulary lookup inside the graph
// (StringNormalizer, StringSplit, ai.onnx.ml LabelEncoder), checked against the ids model fed
// by the toolkit's own tokenizer + vocabulary + padBatch.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { padBatch } from '../data/batches.js';
import { tokenize } from '../data/tokenizer.js';
import { rawTextModel, torchToClassifierModel } from './export.js';
import { readWeights } from '../formats/weights.js';
import { assertValidModel } from '../onnx/checker.js';
import { loadTwin, maxDiff, runModel, textsFor } from '../../test/interop/import-fixtures.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMPORT_FIXTURES } from '../../test/interop/import-fixtures.js';

const vocab = JSON.parse(readFileSync(join(IMPORT_FIXTURES, 'vocab.json'), 'utf8')) as string[];

describe('raw-text model', () => {
  for (const name of ['highway-1-projection', 'plain-2']) {
    it(`${name}: scores plain strings as the ids model does with our tokenizer`, async () => {
      const f = loadTwin(name);
      const { model } = torchToClassifierModel(readWeights(f.weights).tensors, { config: f.config, vocab });
      const text = rawTextModel(model, { pretokenized: true });
      assertValidModel(text);
      expect(text.graph!.input!.map((i) => i.name)).toEqual(['text']);
      expect(text.graph!.output!.map((o) => o.name)).toEqual(model.graph!.output!.map((o) => o.name));
      expect(text.opsetImport!.map((o) => `${o.domain}:${o.version}`)).toEqual([':20', 'ai.onnx.ml:2']);

      const texts = [
        ...textsFor(f.ids, f.lengths, vocab),
        'GOOD Movie  with   the  Plot', // case and runs of spaces
        'zzz good qqq', // unknown words
        '', // empty: one <unk> step, as padBatch makes it
        '   fun   ',
      ];
      const batch = padBatch(texts.map((t) => tokenize(t).map((tok) => Math.max(vocab.indexOf(tok), 0) || 1)));
      const ref = await runModel(model, {
        ids: new ort.Tensor('int64', batch.ids, [batch.batch, batch.time]),
        lengths: new ort.Tensor('int32', batch.lengths, [batch.batch]),
      });
      const out = await runModel(text, { text: new ort.Tensor('string', texts, [texts.length]) });
      const d = maxDiff(out.logits!.data as Float32Array, ref.logits!.data as Float32Array);
      console.log(`raw-text ${name}: logits vs the ids model max |Δ| ${d.abs.toExponential(2)} over ${texts.length} texts`);
      expect(d.abs).toBeLessThan(1e-6);
      expect(out.probs!.dims).toEqual([texts.length, f.config.classes]);

      const empty = await runModel(text, { text: new ort.Tensor('string', ['', ''], [2]) });
      expect(empty.logits!.dims).toEqual([2, f.config.classes]);
    });
  }

  it('refuses a model without a vocabulary', () => {
    const f = loadTwin('plain-1');
    const { model } = torchToClassifierModel(readWeights(f.weights).tensors, { config: f.config });
    expect(() => rawTextModel(model)).toThrow(/needs the vocabulary/);
  });
});
