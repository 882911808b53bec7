// evaluate() and `highway-onnx eval`: the metrics against PyTorch/NumPy (an independent
// implementation of cross-entropy, the confusion matrix and precision/recall/F1), evaluate() on a
// real model against its own predictions, and the CLI on a data directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { classificationMetrics, type EvalReport } from './metrics.js';
import { evaluate } from './evaluate.js';
import { loadModel } from './node.js';
import { Rng } from '../data/rng.js';
import { modelBytes, TRAIN_TEXTS } from '../../test/serve/helpers.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hw-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Reference: torch's cross_entropy for the loss, NumPy counting for the rest (sklearn's
// definitions, zero_division=0).
const REFERENCE = `
import json, sys, numpy as np, torch
d = json.load(sys.stdin)
z = torch.tensor(d['logits'], dtype=torch.float64); g = np.array(d['gold']); p = z.argmax(1).numpy(); C = z.shape[1]
cm = np.zeros((C, C), dtype=int)
np.add.at(cm, (g, p), 1)
tp = np.diag(cm).astype(float); pred = cm.sum(0); sup = cm.sum(1)
prec = np.divide(tp, pred, out=np.zeros(C), where=pred > 0); rec = np.divide(tp, sup, out=np.zeros(C), where=sup > 0)
f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(C), where=(prec + rec) > 0)
print(json.dumps({'loss': torch.nn.functional.cross_entropy(z, torch.tensor(g)).item(), 'accuracy': float((g == p).mean()),
  'confusion': cm.tolist(), 'precision': prec.tolist(), 'recall': rec.tolist(), 'f1': f1.tolist(), 'macroF1': float(f1.mean()), 'support': sup.tolist()}))
`;

describe('classificationMetrics', () => {
  it('matches PyTorch/NumPy on random logits, with a class that is never predicted and one never present', () => {
    const rng = new Rng(5);
    const C = 4;
    const n = 200;
    // Class 3 never appears as gold; its logit is pushed down so it is never predicted either,
    // and class 2's is lowered so it is predicted rarely.
    const logits = Array.from({ length: n }, () => Array.from({ length: C }, (_, c) => 3 * (rng.nextFloat() - 0.5) - (c === 3 ? 50 : c === 2 ? 1 : 0)));
    const gold = Array.from({ length: n }, () => Math.floor(rng.nextFloat() * 3));
    const predicted = logits.map((z) => z.indexOf(Math.max(...z)));
    const r = classificationMetrics(['a', 'b', 'c', 'd'], gold, predicted, logits);
    requireSystemDependency('python3-numpy', 'python3-torch');
    const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', REFERENCE], { input: JSON.stringify({ logits, gold }), encoding: 'utf8' })) as {
      loss: number; accuracy: number; confusion: number[][]; precision: number[]; recall: number[]; f1: number[]; macroF1: number; support: number[];
    };
    expect(r.confusion).toEqual(ref.confusion);
    expect(r.loss).toBeCloseTo(ref.loss, 12);
    expect(r.accuracy).toBeCloseTo(ref.accuracy, 15);
    expect(r.macroF1).toBeCloseTo(ref.macroF1, 12);
    r.perClass.forEach((m, c) => {
      expect([m.precision, m.recall, m.f1, m.support]).toEqual([ref.precision[c], ref.recall[c], ref.f1[c], ref.support[c]].map((v, i) => (i < 3 ? expect.closeTo(v!, 12) : v)));
    });
    expect(r.perClass[3]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('refuses an empty set and out-of-range ids with E_PREDICT_INPUT', () => {
    expect(() => classificationMetrics(['a', 'b'], [], [], [])).toThrow(expect.objectContaining({ code: 'E_PREDICT_INPUT', message: expect.stringMatching(/found 0/) }));
    expect(() => classificationMetrics(['a', 'b'], [2], [0], [[0, 0]])).toThrow(/gold label of example 0 is 2: expected a class id 0..1/);
  });
});

describe('evaluate(model, dataset)', () => {
  it('agrees with the model’s own predictions and maps labels by name', async () => {
    const model = await loadModel(modelBytes, { device: 'cpu' });
    try {
      const texts = [...TRAIN_TEXTS, 'good', 'bad film', 'not dull'];
      const preds = await model.predict(texts);
      const gold = texts.map((_, i) => i % 2);
      const byId = await evaluate(model, texts.map((text, i) => ({ text, label: gold[i]! })));
      expect(byId.accuracy).toBe(preds.filter((p, i) => p.labelId === gold[i]).length / texts.length);
      expect(byId.loss).toBeCloseTo(preds.reduce((s, p, i) => s - Math.log(p.probs[gold[i]!]!), 0) / texts.length, 5);
      // The same gold labels in a data set that lists the classes the other way round.
      const reversed = [...model.labels].reverse();
      const byName = await evaluate(model, { examples: texts.map((text, i) => ({ text, label: 1 - gold[i]! })), labels: reversed });
      expect(byName).toEqual(byId);
      // A Dataset: the test split by default, another on request.
      const ds = { train: [], dev: [{ text: 'good', label: 0 }], test: texts.map((text, i) => ({ text, label: gold[i]! })), labels: [...model.labels] };
      expect(await evaluate(model, ds)).toEqual(byId);
      expect((await evaluate(model, ds, { split: 'dev' })).examples).toBe(1);
      await expect(evaluate(model, { examples: [{ text: 'x', label: 0 }], labels: ['neutral'] })).rejects.toThrow(/label 'neutral', which the model does not know/);
    } finally {
      await model.release();
    }
  });
});

describe('highway-onnx eval', () => {
  const model = join(dir, 'model.onnx');
  const data = join(dir, 'data');
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });

  it('--data DIR scores the test split: --json is the evaluate() report; the terminal shows the tables', async () => {
    writeFileSync(model, modelBytes);
    mkdirSync(data);
    const lines = (texts: string[], labels: string[]) => `text\tlabel\n${texts.map((t, i) => `${t}\t${labels[i]}`).join('\n')}\n`;
    const testTexts = ['a gripping film', 'not good at all', 'wonderful', 'the plot is dull'];
    const testLabels = ['positive', 'negative', 'positive', 'negative'];
    // Train holds both classes: a dev or test label that no training example has is refused (E_DATA_FORMAT).
    writeFileSync(join(data, 'train.tsv'), lines(['good', 'bad'], ['positive', 'negative']));
    writeFileSync(join(data, 'dev.tsv'), lines(['bad'], ['negative']));
    writeFileSync(join(data, 'test.tsv'), lines(testTexts, testLabels));
    const json = cli('eval', '-m', model, '--data', data, '--json');
    // The only stderr line allowed: the one-class warning (this untrained model may predict one class).
    expect(json.stderr.replace(/^Warning: Couldn't load Vulkan.*\n.*\n\n?/m, '').replace(/^warning: the model predicts only '\w+' \(2 classes in the gold labels\).*\n/m, '')).toBe('');
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as EvalReport;
    const p = await loadModel(modelBytes, { device: 'cpu' });
    const expected = await evaluate(p, { examples: testTexts.map((text, i) => ({ text, label: testLabels[i] === 'positive' ? 1 : 0 })), labels: ['negative', 'positive'] });
    await p.release();
    expect(report.examples).toBe(4);
    expect(report.confusion).toEqual(expected.confusion);
    expect(report.loss).toBeCloseTo(expected.loss, 6);
    expect(report.macroF1).toBeCloseTo(expected.macroF1, 12);
    const text = cli('eval', '-m', model, '--data', data, '--split', 'dev');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^.*data \(dev\): 1 examples {2}loss \d+\.\d{4} {2}accuracy \d+\.\d\d% {2}macro-F1 \d\.\d{4}\n/);
    expect(text.stdout).toMatch(/^class +precision +recall +f1 +support$/m);
    expect(text.stdout).toMatch(/^gold \\ predicted +negative +positive$/m);
  });

  it('needs exactly one of --data and --file', () => {
    const r = cli('eval', '-m', model);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\[E_USAGE\] eval needs exactly one of --data DIR/);
  });
});
