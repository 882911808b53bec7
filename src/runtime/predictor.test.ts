// The Predictor over onnxruntime-node: texts and ids, batching, devices, bad input.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { Vocabulary } from '../data/vocab.js';
import { tokenize } from '../data/tokenizer.js';
import { loadModel } from './node.js';
import { executionProviders } from './device.js';
import { DeviceUnavailableError, ModelLoadError, PredictInputError } from './errors.js';
import { OnnxFormatError } from '../onnx/errors.js';

const texts = ['a gripping film', 'not good at all', 'the plot is dull but the acting is great', 'wonderful'];
const vocab = Vocabulary.build(texts.map(tokenize));
const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 7 });
const bytes = encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() }));

describe('Predictor', () => {
  it('scores texts like a raw onnxruntime session fed the same ids', async () => {
    const p = await loadModel(bytes, { device: 'cpu' });
    const preds = await p.predict(texts);
    const raw = await ort.InferenceSession.create(bytes);
    for (const [i, text] of texts.entries()) {
      const ids = vocab.encode(tokenize(text));
      const out = await raw.run({
        ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
        lengths: new ort.Tensor('int32', Int32Array.of(ids.length), [1]),
      });
      const probs = Array.from(out.probs!.data as Float32Array);
      preds[i]!.probs.forEach((x, k) => expect(x).toBeCloseTo(probs[k]!, 6));
      expect(preds[i]!.label).toBe(config.labels[probs.indexOf(Math.max(...probs))]);
      expect(preds[i]!.tokens).toEqual(tokenize(text));
      expect(preds[i]!.gates).toHaveLength(config.layers);
      expect(preds[i]!.gates![0]).toHaveLength(ids.length);
    }
  });

  it('gives the same result whatever the batch size', async () => {
    const big = await loadModel(bytes, { device: 'cpu', maxBatch: 64 });
    const one = await loadModel(bytes, { device: 'cpu', maxBatch: 1 });
    const a = await big.predict(texts);
    const b = await one.predict(texts);
    a.forEach((x, i) => x.probs.forEach((v, k) => expect(v).toBeCloseTo(b[i]!.probs[k]!, 6)));
  });

  it('accepts token ids and unknown words, and scores an empty text as <unk>', async () => {
    const p = await loadModel(bytes, { device: 'cpu' });
    const [byIds] = await p.predict([vocab.encode(tokenize(texts[0]!))]);
    const [byText] = await p.predict([texts[0]!]);
    expect(byIds!.probs).toEqual(byText!.probs);
    const [unk] = await p.predict(['zzzz qqqq']);
    const [unkIds] = await p.predict([[1, 1]]);
    expect(unk!.probs).toEqual(unkIds!.probs);
    const [empty] = await p.predict(['']);
    expect(empty!.tokens).toEqual(['<unk>']);
  });

  it('rejects bad input with clear errors', async () => {
    const p = await loadModel(bytes, { device: 'cpu' });
    await expect(p.predict([[0, vocab.size]])).rejects.toThrow(PredictInputError);
    await expect(p.predict([[0, vocab.size]])).rejects.toThrow(/outside the vocabulary/);
    await expect(p.predict([42 as unknown as string])).rejects.toThrow(PredictInputError);
    await expect(loadModel(bytes.subarray(0, bytes.length >> 1))).rejects.toThrow(OnnxFormatError);
    await expect(loadModel('/nonexistent/model.onnx')).rejects.toThrow(ModelLoadError);
    const flipped = bytes.slice();
    for (let i = 0; i < 64; i++) flipped[(i * 7919) % flipped.length] ^= 0xff;
    await expect(loadModel(flipped)).rejects.toThrow(Error);
  });
});

describe('execution providers', () => {
  it('chooses CUDA under auto only when bundled, CPU otherwise', () => {
    expect(executionProviders('auto', ['cpu'])).toEqual(['cpu']);
    expect(executionProviders('auto', ['cpu', 'webgpu'])).toEqual(['cpu']);
    expect(executionProviders('auto', ['cpu', 'cuda'])).toEqual(['cuda', 'cpu']);
    expect(executionProviders('cpu', ['cpu', 'cuda'])).toEqual(['cpu']);
  });

  it('fails clearly when an explicitly asked provider is missing', async () => {
    expect(() => executionProviders('cuda', ['cpu'])).toThrow(DeviceUnavailableError);
    expect(() => executionProviders('cuda', ['cpu'])).toThrow(/npx highway-onnx setup cuda/);
    expect(() => executionProviders('tpu' as never, ['cpu'])).toThrow(/unknown device/);
    // This machine's onnxruntime-node has no CUDA provider bundled.
    await expect(loadModel(bytes, { device: 'cuda' })).rejects.toThrow(DeviceUnavailableError);
  });
});
