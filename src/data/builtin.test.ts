import { describe, expect, it } from 'vitest';
import { builtinDataset, generateExample } from './builtin.js';
import { Rng } from './rng.js';
import { tokenize } from './tokenizer.js';

describe('builtinDataset', () => {
  const data = builtinDataset();

  it('has the requested sizes and binary labels', () => {
    expect([data.train.length, data.dev.length, data.test.length]).toEqual([4000, 500, 500]);
    expect(data.labels).toEqual(['negative', 'positive']);
  });

  it('is deterministic in its seed', () => {
    expect(builtinDataset()).toEqual(data);
    const other = builtinDataset({ seed: 2 });
    expect(other.train).not.toEqual(data.train);
  });

  it('keeps dev and test when only trainSize changes', () => {
    const small = builtinDataset({ trainSize: 100 });
    expect(small.dev).toEqual(data.dev);
    expect(small.test).toEqual(data.test);
  });

  it('is balanced in every split', () => {
    for (const split of [data.train, data.dev, data.test]) {
      const pos = split.filter((e) => e.label === 1).length / split.length;
      expect(pos).toBeGreaterThanOrEqual(0.4);
      expect(pos).toBeLessThanOrEqual(0.6);
    }
  });

  it('never repeats a sentence, within or across splits', () => {
    const all = [...data.train, ...data.dev, ...data.test].map((e) => e.text);
    expect(new Set(all).size).toBe(all.length);
  });

  it('holds negation and contrast cases, about 40% together', () => {
    const toks = data.train.map((e) => tokenize(e.text));
    const negated = toks.filter((t) => t.includes('not') || t.includes("n't") || t.includes('never')).length;
    const contrast = toks.filter((t) => t.includes('but') || t.includes('yet') || t.includes('although') || t.includes('though')).length;
    expect(negated).toBeGreaterThan(0.15 * toks.length);
    expect(contrast).toBeGreaterThan(0.15 * toks.length);
    const kinds = { plain: 0, negated: 0, contrast: 0 };
    const rng = new Rng(123);
    for (let i = 0; i < 4000; i++) kinds[generateExample(rng, (i % 2) as 0 | 1).kind]++;
    const hard = (kinds.negated + kinds.contrast) / 4000;
    expect(hard).toBeGreaterThan(0.35);
    expect(hard).toBeLessThan(0.55);
  });

  it('follows its labelling rules', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 500; i++) {
      const e = generateExample(rng, (i % 2) as 0 | 1);
      expect(e.label).toBe(i % 2);
      expect(e.text).toMatch(/^[A-Z].*[.!]$/);
    }
  });

  it('cannot be solved by a bag of words', () => {
    // Logistic regression on token counts: plain sentences are easy, negated and
    // contrastive ones are not, so it stays well below what a BiLSTM reaches.
    const vocab = new Map<string, number>();
    const enc = (text: string) =>
      tokenize(text).map((w) => {
        if (!vocab.has(w)) vocab.set(w, vocab.size);
        return vocab.get(w)!;
      });
    const train = data.train.map((e) => ({ x: enc(e.text), y: e.label }));
    const test = data.test.map((e) => ({ x: enc(e.text), y: e.label }));
    const w = new Float64Array(vocab.size);
    let b = 0;
    const score = (x: number[]) => x.reduce((z, i) => z + w[i]!, b);
    for (let epoch = 0; epoch < 20; epoch++) {
      for (const { x, y } of train) {
        const g = 1 / (1 + Math.exp(-score(x))) - y;
        b -= 0.1 * g;
        for (const i of x) w[i]! -= 0.1 * g;
      }
    }
    const acc = test.filter(({ x, y }) => (score(x) > 0 ? 1 : 0) === y).length / test.length;
    expect(acc).toBeGreaterThan(0.6); // it does learn the easy part
    expect(acc).toBeLessThan(0.8);
  });

  it('validates sizes', () => {
    expect(() => builtinDataset({ trainSize: -1 })).toThrow(/trainSize/);
    expect(builtinDataset({ trainSize: 0, devSize: 0, testSize: 3 }).test).toHaveLength(3);
  });
});
