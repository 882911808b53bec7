// Social-media placeholders (issue 18 item 2): the rules, their switch, and that a model records
// the switch so the Predictor cuts text as training did.
import { describe, expect, it } from 'vitest';
import { tokenize, tokenizerFor } from './tokenizer.js';
import { Vocabulary } from './vocab.js';
import { classifierModel, readClassifierMetadata } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';

const social = tokenizerFor({ social: true });

describe('social-media rules', () => {
  it('replace URLs, mentions, hashtags, ratings and numbers', () => {
    expect(social('Loved it!! 10/10 #BestFilmEver @netflix https://t.co/x1Y.')).toEqual(['loved', 'it', '!!', '<rating-high>', 'best', 'film', 'ever', '<user>', '<url>', '.']);
    expect(social('only 2/10, #boring_af www.example.com/review?id=3 (see 3/5)')).toEqual(['only', '<rating-low>', ',', 'boring', 'af', '<url>', '(', 'see', '<rating-mid>', ')']);
    expect(social('4.5/5 stars, 1,000 fans in 2019 at 7:30')).toEqual(['<rating-high>', 'stars', ',', '<number>', 'fans', 'in', '<number>', 'at', '<number>']);
    // Left alone: e-mail addresses, an over-scale "rating", words with digits inside.
    expect(social('mail me@example.com 12/10 r2d2')).toEqual(['mail', 'me@example.com', '<number>', '/', '<number>', 'r2d2']);
    expect(social('#wonderful')).toEqual(['wonderful']);
  });

  it('are off by default: the SST rules split # off and keep numbers', () => {
    expect(tokenize('#wonderful 10/10 @bob')).toEqual(['#', 'wonderful', '10/10', '@bob']);
    expect(tokenizerFor({})('#wonderful 10/10 @bob')).toEqual(tokenize('#wonderful 10/10 @bob'));
  });

  it('a model records the switch and the Predictor follows it', async () => {
    const texts = ['a great film', 'boring', '<url> <user> <rating-high>'];
    const vocab = Vocabulary.build(texts.map(social));
    const config = resolveConfig({ layers: 1, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 2 });
    const model = classifierModel(config, { params: initParams(config), vocab: vocab.toJSON(), tokenizer: { social: true } });
    expect(readClassifierMetadata(model).tokenizer).toEqual({ social: true });
    const plain = classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() });
    expect(readClassifierMetadata(plain).tokenizer).toEqual({});
    const p = await loadModel(encodeModel(model), { device: 'cpu' });
    const [r] = await p.predict(['a great film #great https://x.io @me 9/10']);
    expect(r!.tokens).toEqual(['a', 'great', 'film', 'great', '<url>', '<user>', '<rating-high>']);
    expect(r!.unknown).toBe(0);
    await p.release();
    const q = await loadModel(encodeModel(plain), { device: 'cpu' });
    const [s] = await q.predict(['a great film #great']);
    expect(s!.tokens).toEqual(['a', 'great', 'film', '#', 'great']);
    expect(s!.unknown).toBe(1);
    await q.release();
  });
});
