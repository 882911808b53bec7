// Data as people have it (issue 18 items 3, 4, 7, 10), through real `highway-onnx` processes on
// real files: imbalanced classes (baseline, balanced accuracy, macro-F1, class weights, selection
// by macro-F1, the one-class warning), splits that overlap or miss a class, resuming after the
// data changed, and very long texts at inference.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDataset } from '../data/builtin.js';
import type { Example } from '../data/example.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { classifierModel, readClassifierMetadata } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { balanceSummary, confusionMatrix } from '../runtime/class-balance.js';
import { buildCli, ROOT, runCli } from '../../test/train/cli-child.js';

const work = mkdtempSync(join(tmpdir(), 'hw-issue18-'));
const jsDir = join(ROOT, 'test-output', `issue18-${process.pid}`);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(jsDir, { recursive: true, force: true });
});
let script: string;
beforeAll(() => {
  script = buildCli(jsDir);
});

const TINY = ['--layers', '1', '--hidden', '4', '--embed-dim', '8', '--batch', '16', '--no-progress'];
const LABELS = ['negative', 'positive'];

function writeTsv(dir: string, splits: Record<'train' | 'dev' | 'test', { text: string; label: string }[]>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, rows] of Object.entries(splits)) {
    writeFileSync(join(dir, `${name}.tsv`), `text\tlabel\n${rows.map((r) => `${r.text}\t${r.label}`).join('\n')}\n`);
  }
}
const named = (xs: Example[]): { text: string; label: string }[] => xs.map((e) => ({ text: e.text, label: LABELS[e.label]! }));

/** 95/5 split of the built-in data: all of one class's first rows, 1 in 20 of the other's. */
function imbalanced(xs: Example[], n: number): { text: string; label: string }[] {
  const neg = xs.filter((e) => e.label === 0).slice(0, Math.round(n * 0.95));
  const pos = xs.filter((e) => e.label === 1).slice(0, Math.round(n * 0.05));
  return named([...neg, ...pos]);
}

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

describe('imbalanced data', () => {
  const ds = builtinDataset({ seed: 4, trainSize: 1200, devSize: 400, testSize: 400 });
  const data = join(work, 'imb');
  beforeAll(() => writeTsv(data, { train: imbalanced(ds.train, 400), dev: imbalanced(ds.dev, 100), test: imbalanced(ds.test, 100) }));

  it('train reports the majority baseline, balanced accuracy and macro-F1; --class-weights balanced and --select-by macro-f1 are used', async () => {
    const out = join(work, 'imb-run');
    const r = await runCli(script, ['train', '--data', data, '--out', out, ...TINY, '--epochs', '3', '--patience', '3', '--class-weights', 'balanced', '--select-by', 'macro-f1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('classes in train: negative 380, positive 20; dev majority-class baseline 95.00%');
    // sklearn's 'balanced': n / (C · n_c) = 400 / (2·380), 400 / (2·20).
    expect(r.stderr).toContain('class weights 0.526, 10.000 (balanced)');
    expect(r.stderr).toContain('best checkpoint by dev macro-f1');
    expect(r.stderr).toMatch(/test: accuracy \d+\.\d\d% \(majority 'negative' 95\.00%\), balanced accuracy \d+\.\d\d%, macro-F1 \d\.\d{4}; recall negative/);
    const res = lastJson(r.stdout);
    expect(res.testMajorityAccuracy).toBeCloseTo(0.95, 10);
    // The best epoch is the one with the highest dev macro-F1 (the first of equals).
    const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>).filter((x) => x.type === 'epoch');
    expect(epochs).toHaveLength(3);
    const f1 = epochs.map((e) => e.devMacroF1 as number);
    expect(res.bestEpoch).toBe(f1.indexOf(Math.max(...f1)) + 1);
    // The reported test numbers are the best model's: eval on the same split agrees.
    const ev = await runCli(script, ['eval', '--model', join(out, 'model.onnx'), '--data', data, '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const rep = lastJson(ev.stdout);
    expect(rep.macroF1 as number).toBeCloseTo(res.testMacroF1 as number, 6);
    expect(rep.balancedAccuracy as number).toBeCloseTo(res.testBalancedAccuracy as number, 6);
    expect(rep.majority).toEqual({ label: 'negative', accuracy: 0.95 });
  }, 120_000);

  it('eval warns when a model predicts one class only, with the balanced accuracy that shows it', async () => {
    // A real model whose output bias makes every prediction 'negative'.
    const vocab = Vocabulary.build(ds.train.map((e) => tokenize(e.text)));
    const config = resolveConfig({ layers: 1, vocabSize: vocab.size, embedDim: 8, hidden: 4, seed: 3, labels: LABELS, classes: 2 });
    const params = initParams(config);
    const biasName = [...params.keys()].find((k) => /^(classifier|output|linear|head)[^]*\.(b|bias)$/.test(k)) ?? [...params.keys()].at(-1)!;
    const bias = params.get(biasName)!;
    expect(bias.dims).toEqual([2]);
    (bias.data as Float32Array).set([50, -50]);
    const model = join(work, 'one-class.onnx');
    writeFileSync(model, encodeModel(classifierModel(config, { params, vocab: vocab.toJSON() })));
    const r = await runCli(script, ['eval', '--model', model, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = lastJson(r.stdout);
    expect(rep.accuracy).toBeCloseTo(0.95, 10);
    expect(rep.balancedAccuracy).toBeCloseTo(0.5, 10);
    expect(r.stderr).toContain("warning: the model predicts only 'negative' (2 classes in the gold labels): accuracy 95.00% equals the share of that class; balanced accuracy 50.00%");
  }, 60_000);

  it('balance summary: hand-computed example (sklearn definitions)', () => {
    // gold 0 0 0 1 1 2, predicted 0 1 0 1 0 0: recalls 2/3, 1/2, 0 → balanced (2/3 + 1/2 + 0)/3.
    const b = balanceSummary(['a', 'b', 'c'], confusionMatrix(3, [0, 0, 0, 1, 1, 2], [0, 1, 0, 1, 0, 0]));
    expect(b.balancedAccuracy).toBeCloseTo((2 / 3 + 1 / 2) / 3, 12);
    // precision a 2/4, b 1/2, c 0 → F1 a 2·(.5·.667)/(1.167), b .5, c 0.
    expect(b.macroF1).toBeCloseTo(((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3) + 0.5 + 0) / 3, 12);
    expect(b.majority).toEqual({ label: 'a', accuracy: 0.5 });
    expect(b.warning).toBeNull();
  });
});

describe('splits that overlap or miss a class', () => {
  const ds = builtinDataset({ seed: 5, trainSize: 120, devSize: 40, testSize: 40 });

  it('warns with counts about exact duplicates across train/dev/test', async () => {
    const data = join(work, 'dup');
    const train = named(ds.train);
    const dev = named(ds.dev);
    writeTsv(data, { train, dev: [...dev.slice(0, 37), ...train.slice(0, 3)], test: [...named(ds.test).slice(0, 33), ...train.slice(10, 15), ...dev.slice(0, 2)] });
    const r = await runCli(script, ['train', '--data', data, '--out', join(work, 'dup-run'), ...TINY, '--max-steps', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: exact duplicate texts across splits: 3 of 40 dev examples also in train; 5 of 40 test examples also in train; 2 of 40 test examples also in dev.');
  }, 60_000);

  it('refuses a class that has no training example', async () => {
    // A label name only dev has: the reader refuses it at its line.
    const data = join(work, 'missing');
    writeTsv(data, { train: named(ds.train), dev: [...named(ds.dev), { text: 'meh', label: 'neutral' }], test: named(ds.test) });
    const r = await runCli(script, ['train', '--data', data, '--out', join(work, 'missing-run'), ...TINY]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^highway-onnx: \[E_DATA_FORMAT\] .*dev\.tsv:42: expected a label from .*train\.tsv \(negative, positive\), found "neutral", which no training example has/);
    // Integer class ids: 0 and 2 in train make 3 classes, and class 1 has no training example.
    const ids = join(work, 'missing-id');
    const byId = (xs: Example[], id: (e: Example) => number): { text: string; label: string }[] => xs.map((e) => ({ text: e.text, label: String(id(e)) }));
    writeTsv(ids, { train: byId(ds.train, (e) => 2 * e.label), dev: byId(ds.dev, (e) => e.label), test: byId(ds.test, (e) => 2 * e.label) });
    const r2 = await runCli(script, ['train', '--data', ids, '--out', join(work, 'missing-id-run'), ...TINY]);
    expect(r2.code).toBe(1);
    expect(r2.stderr.trim()).toMatch(/^highway-onnx: \[E_DATA_SPLITS\] every class needs training examples: '1' \(dev \d+, test 0\) has none in train/);
  }, 60_000);
});

describe('resume after the data changed', () => {
  const ds = builtinDataset({ seed: 6, trainSize: 160, devSize: 32, testSize: 32 });
  const data = join(work, 'changing');
  const out = join(work, 'changing-run');
  const vocabOf = (file: string): string[] => readClassifierMetadata(decodeModel(readFileSync(file))).vocab!;

  it('refuses with the changed splits listed; --keep-vocab continues with the run\'s vocabulary', async () => {
    writeTsv(data, { train: named(ds.train), dev: named(ds.dev), test: named(ds.test) });
    const first = await runCli(script, ['train', '--data', data, '--out', out, ...TINY, '--epochs', '2', '--max-steps', '3']);
    expect(first.code, first.stderr).toBe(0);
    const runVocab = (JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8')) as { vocab: string[] }).vocab;
    // New words and a relabelled row in train; dev and test as they were.
    const changed = named(ds.train);
    changed[0] = { text: 'zyzzyva quixotic brand-new words', label: changed[0]!.label === 'positive' ? 'negative' : 'positive' };
    writeTsv(data, { train: changed, dev: named(ds.dev), test: named(ds.test) });
    const refused = await runCli(script, ['train', '--resume', '--out', out, '--no-progress']);
    expect(refused.code).toBe(1);
    const line = refused.stderr.trim();
    expect(line).toMatch(/^highway-onnx: \[E_RESUME_MISMATCH\] cannot resume from '.*checkpoint\.safetensors': the data changed since the run began \(train: 160 examples \(sha256 [0-9a-f]{12}…\) in the run, 160 \([0-9a-f]{12}…\) now\)\. .*--keep-vocab/);
    expect(line).not.toMatch(/dev:|test:/);
    const kept = await runCli(script, ['train', '--resume', '--keep-vocab', '--out', out, '--no-progress']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toContain("warning: resuming on changed data with the run's vocabulary and labels (--keep-vocab): train: 160 examples");
    expect((JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8')) as { vocab: string[] }).vocab).toEqual(runVocab);
    expect(vocabOf(join(out, 'model.onnx'))).toEqual(runVocab);
    expect(runVocab).not.toContain('zyzzyva');
  }, 120_000);
});

describe('very long inputs at inference', () => {
  it('predict cuts at --max-tokens (default 1000) and says so; the score is that of the first tokens', async () => {
    const texts = ['a wonderful film', 'dull'];
    const vocab = Vocabulary.build(texts.map(tokenize));
    const config = resolveConfig({ layers: 1, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 9 });
    const file = join(work, 'long.onnx');
    writeFileSync(file, encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() })));
    const long = Array.from({ length: 1500 }, (_, i) => (i % 3 === 0 ? 'dull' : i % 3 === 1 ? 'wonderful' : 'film')).join(' ');
    const r = await runCli(script, ['predict', '--model', file, long, 'a wonderful film']);
    expect(r.code, r.stderr).toBe(0);
    const [cut, short] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { probs: number[]; truncated?: unknown });
    expect(cut!.truncated).toEqual({ tokens: 1500, scored: 1000 });
    expect(short!.truncated).toBeUndefined();
    const r5 = await runCli(script, ['predict', '--model', file, '--max-tokens', '5', long]);
    expect(JSON.parse(r5.stdout) as unknown).toMatchObject({ truncated: { tokens: 1500, scored: 5 } });
    // Independent of the cap: the first 5 tokens scored on their own give the same probabilities.
    const p = await loadModel(file, { device: 'cpu', maxLength: Number.POSITIVE_INFINITY });
    const [ref] = await p.predict([long.split(' ').slice(0, 5).join(' ')]);
    await p.release();
    const got = (JSON.parse(r5.stdout) as { probs: number[] }).probs;
    expect(got).toHaveLength(ref!.probs.length);
    got.forEach((v, k) => expect(v).toBeCloseTo(ref!.probs[k]!, 5));
  }, 60_000);
});
