// Predictor API edges (issue 18 item 6): ids as bigints and typed arrays, messages that say what
// is wrong, one string as one text, and release() with predictions in flight.
import { describe, expect, it } from 'vitest';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { Vocabulary } from '../data/vocab.js';
import { tokenize } from '../data/tokenizer.js';
import { loadModel } from './node.js';
import { PredictInputError, PredictorReleasedError } from './errors.js';

const texts = ['a gripping film', 'not good at all', 'the plot is dull but the acting is great', 'wonderful'];
const vocab = Vocabulary.build(texts.map(tokenize));
const config = resolveConfig({ layers: 1, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 3 });
const bytes = encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() }));

describe('Predictor inputs', () => {
  it('takes ids as numbers, bigints, Int32Array and BigInt64Array alike, and one string as one text', async () => {
    const p = await loadModel(bytes, { device: 'cpu' });
    const ids = vocab.encode(tokenize(texts[2]!));
    const [plain, big, i32, i64, u8] = await p.predict([ids, ids.map(BigInt), Int32Array.from(ids), BigInt64Array.from(ids.map(BigInt)), Uint8Array.from(ids)]);
    for (const other of [big, i32, i64, u8]) expect(other!.probs).toEqual(plain!.probs);
    const [one] = await p.predict(texts[2]!);
    expect(one!.probs).toEqual(plain!.probs);
    await p.release();
  });

  it('says what is wrong with an id: its value (bigints shown as such), position and type', async () => {
    const p = await loadModel(bytes, { device: 'cpu' });
    const V = config.vocabSize;
    await expect(p.predict([[2, BigInt(V)] as unknown as bigint[]])).rejects.toThrow(new RegExp(`token id ${V}n at position 1 is outside the vocabulary \\[0, ${V}\\)`));
    await expect(p.predict([BigInt64Array.of(2n, -1n)])).rejects.toThrow(/token id -1n at position 1 is outside/);
    await expect(p.predict([[2, 1.5]])).rejects.toThrow(/token id at position 1 must be an integer \(number or bigint\), found 1\.5/);
    await expect(p.predict([['2'] as unknown as number[]])).rejects.toThrow(/found string "2"/);
    await expect(p.predict([null as unknown as number[]])).rejects.toThrow(PredictInputError);
    await p.release();
  });
});

describe('release()', () => {
  it('lets predictions in flight finish, refuses new ones with E_RELEASED, and is idempotent', async () => {
    const p = await loadModel(bytes, { device: 'cpu', maxBatch: 1 });
    const many = Array.from({ length: 40 }, (_, i) => texts[i % texts.length]!);
    const inFlight = p.predict(many);
    const released = p.release();
    expect(p.release()).toBe(released);
    await expect(p.predict(texts)).rejects.toThrow(PredictorReleasedError);
    await expect(p.predict(texts)).rejects.toMatchObject({ code: 'E_RELEASED' });
    const preds = await inFlight;
    expect(preds).toHaveLength(40);
    await released;
    await expect(p.release()).resolves.toBeUndefined();
  });
});
