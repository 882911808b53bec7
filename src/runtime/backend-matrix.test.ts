// The Node backend matrix: the same inference, 50-step training run and checkpoint/resume on
// every device onnxruntime-node has here — cpu, and webgpu (SwiftShader's software Vulkan
// adapter without a GPU: VK_ICD_FILENAMES, set by vitest.config.ts). A missing adapter fails.
// References are independent of the code under test: a raw onnxruntime-node CPU session fed
// the same ids (inference) and the CPU run of the same seeded training (losses).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from './node.js';
import type { Predictor } from './predictor.js';
import { train, type TrainOptions, type TrainResult } from '../train/index.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const DEVICES = ['cpu', 'webgpu'] as const;
const data = builtinDataset({ trainSize: 400, devSize: 32, testSize: 0 });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const config = resolveConfig({ kind: 'highway', layers: 2, embedDim: 16, hidden: 8, vocabSize: vocab.size, seed: 11 });
const modelBytes = encodeModel(classifierModel(config, { vocab: vocab.toJSON() }));
const TEXTS = [...data.dev.slice(0, 20).map((e) => e.text), '', 'zyzzyva quux'];

const dir = mkdtempSync(join(tmpdir(), 'hw-matrix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trainOpts = (device: string, out: string): TrainOptions => ({
  out: join(dir, out), dataset: data, device: device as TrainOptions['device'], epochs: 10, batchSize: 16, lr: 0.01, maxSteps: 50,
  model: { layers: 1, embedDim: 8, hidden: 4, dropout: 0.3 }, seed: 3, log: () => {},
});

/** Probabilities from a raw onnxruntime-node CPU session, one text at a time (no Predictor, no batching). */
async function referenceProbs(): Promise<number[][]> {
  const s = await ort.InferenceSession.create(modelBytes, { executionProviders: ['cpu'] });
  const out: number[][] = [];
  for (const text of TEXTS) {
    const ids = vocab.encode(tokenize(text));
    const x = ids.length > 0 ? ids : [1];
    const r = await s.run({ ids: new ort.Tensor('int64', BigInt64Array.from(x.map(BigInt)), [1, x.length]), lengths: new ort.Tensor('int32', Int32Array.of(x.length), [1]) });
    out.push(Array.from(r.probs!.data as Float32Array));
  }
  await s.release();
  return out;
}

const maxAbs = (a: number[][], b: number[][]): number => Math.max(...a.flatMap((row, i) => row.map((v, k) => Math.abs(v - b[i]![k]!))));

let reference: number[][];
let cpuRun: TrainResult;
beforeAll(async () => {
  reference = await referenceProbs();
  cpuRun = await train(trainOpts('cpu', 'reference'));
}, 120_000);

describe.each(DEVICES)('backend matrix (Node): %s', (device) => {
  let p: Predictor;
  // Without a GPU, WebGPU's adapter is SwiftShader's Vulkan driver behind Debian's Vulkan loader.
  beforeAll(() => {
    if (device === 'webgpu') requireSystemDependency('libvulkan1', 'chromium-common');
  });
  afterAll(() => p?.release());

  it('loads on the asked device and predicts within 1e-5 of a raw CPU session', async () => {
    p = await loadModel(modelBytes, { device });
    expect(p.provider).toBe(device);
    if (device === 'webgpu') expect(p.adapter?.name).toMatch(/\S/);
    const preds = await p.predict(TEXTS);
    const d = maxAbs(preds.map((x) => x.probs), reference);
    console.log(`${device}: inference max |Δp| vs raw CPU session = ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
  }, 60_000);

  it('answers 20 overlapping predict() calls, each as it would alone', async () => {
    // Few distinct batch shapes: SwiftShader compiles a shader per new shape, slowly.
    const calls = Array.from({ length: 20 }, (_, i) => TEXTS.slice(i % 7, (i % 7) + 1 + (i % 2)));
    const together = await Promise.all(calls.map((texts) => p.predict(texts)));
    together.forEach((preds, i) => {
      const want = reference.slice(i % 7, (i % 7) + 1 + (i % 2));
      expect(preds).toHaveLength(want.length);
      expect(maxAbs(preds.map((x) => x.probs), want)).toBeLessThan(1e-5);
    });
  }, 60_000);

  // One 50-step run per device, interrupted after step 25 and resumed from its checkpoint
  // (SwiftShader compiles every kernel on a session's first step, ~20 s: two runs, not three).
  it('trains 50 steps, stopped at 25 and resumed from the checkpoint, with losses within 1e-4 of an uninterrupted CPU run', async () => {
    const out = `resumed-${device}`;
    const first = await train({ ...trainOpts(device, out), maxSteps: 25 });
    expect(first.interrupted).toBe(true);
    expect((await loadCheckpoint(join(dir, out, 'checkpoint.safetensors'))).position.step).toBe(25);
    const rest = await train({ ...trainOpts(device, out), resume: true });
    const losses = [...first.stepLosses, ...rest.stepLosses];
    expect(losses).toHaveLength(50);
    const worst = Math.max(...losses.map((l, i) => Math.abs(l - cpuRun.stepLosses[i]!)));
    console.log(`${device}: 50 training steps (resumed at 25), max |Δloss| vs uninterrupted cpu = ${worst.toExponential(2)}, last loss ${losses.at(-1)!.toFixed(5)}`);
    expect(worst).toBeLessThan(device === 'cpu' ? 1e-6 : 1e-4); // on cpu the resumed run repeats it exactly
    // The weights after 50 steps agree too (checkpoint written at maxSteps).
    const a = await loadCheckpoint(join(dir, out, 'checkpoint.safetensors'));
    const b = await loadCheckpoint(join(dir, 'reference', 'checkpoint.safetensors'));
    expect(a.position.step).toBe(50);
    let dw = 0;
    for (const [name, t] of a.params) (t.data as Float32Array).forEach((v, i) => (dw = Math.max(dw, Math.abs(v - (b.params.get(name)!.data as Float32Array)[i]!))));
    expect(dw).toBeLessThan(device === 'cpu' ? 1e-7 : 1e-3);
  }, 240_000);
});
