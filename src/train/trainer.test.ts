// The Trainer end to end on a small built-in data set: artifact, checkpoints, exact resume,
// divergence handling, metrics, and the self-contained model it leaves behind.
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train, type TrainOptions } from './index.js';
import { loadCheckpoint } from './checkpoint.js';
import { TrainingDivergedError } from './errors.js';
import { builtinDataset } from '../data/builtin.js';
import { decodeModel, type GraphProto } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';

const dataset = builtinDataset({ trainSize: 160, devSize: 48, testSize: 48 });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'hw-train-'));
const base = (out: string): TrainOptions => ({
  out,
  dataset,
  epochs: 2,
  batchSize: 16,
  lr: 0.01,
  model: { layers: 2, embedDim: 8, hidden: 4, dropout: 0.3 },
  seed: 3,
  log: () => {},
});

function domains(g: GraphProto, into: Set<string>): Set<string> {
  for (const n of g.node ?? []) {
    into.add(n.domain ?? '');
    for (const a of n.attribute ?? []) if (a.g) domains(a.g, into);
  }
  return into;
}

describe('Trainer', () => {
  it('writes the artifact (ai.onnx only), checkpoints, metrics and a loadable model', async () => {
    const out = tmp();
    const r = await train(base(out));
    expect(r.epochs).toHaveLength(2);
    expect(r.stepLosses).toHaveLength(20); // 160 / 16 × 2 epochs
    expect(r.testAccuracy).not.toBeNull();
    for (const f of ['train_step.onnx', 'eval.onnx', 'artifact.json', 'checkpoint.safetensors', 'best.safetensors', 'model.onnx', 'metrics.jsonl']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    for (const f of ['train_step.onnx', 'eval.onnx', 'model.onnx']) {
      const m = decodeModel(readFileSync(join(out, f)));
      expect(m.opsetImport!.map((o) => o.domain ?? '')).toEqual(['']);
      expect([...domains(m.graph!, new Set())]).toEqual(['']);
    }
    const artifact = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8'));
    expect(artifact.params.map((p: { name: string }) => p.name)).toContain('layer2.bilstm.W');
    expect(artifact.trainStep.outputs).toEqual(expect.arrayContaining(['loss', 'correct', 'grad_norm', 'layer1.bilstm.W.next']));
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.filter((m) => m.type === 'epoch')).toHaveLength(2);
    expect(metrics.at(-1).type).toBe('test');
    // The model is self-contained: vocabulary inside, scores raw text.
    const predictor = await loadModel(join(out, 'model.onnx'), { device: 'cpu' });
    const [p] = await predictor.predict([dataset.test[0]!.text]);
    expect(p!.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await predictor.release();
  }, 120_000);

  it('learns the built-in task: loss falls and dev accuracy clears chance by far', async () => {
    const data = builtinDataset({ trainSize: 1200, devSize: 200, testSize: 200 });
    const r = await train({ ...base(tmp()), dataset: data, epochs: 4, batchSize: 32, lr: 0.01, model: { layers: 1, embedDim: 16, hidden: 16, dropout: 0.1 } });
    const first = r.stepLosses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = r.stepLosses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(last).toBeLessThan(0.8 * first);
    expect(r.bestDevAccuracy).toBeGreaterThan(0.75);
  }, 120_000);

  it('resumes from an interrupted run with exactly the losses of an uninterrupted one', async () => {
    const full = await train(base(tmp()));
    const out = tmp();
    const first = await train({ ...base(out), maxSteps: 7 }); // stops mid-epoch 1
    expect(first.interrupted).toBe(true);
    expect(first.stepLosses).toHaveLength(7);
    const ckpt = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
    expect(ckpt.position.step).toBe(7);
    const rest = await train({ ...base(out), resume: true });
    expect([...first.stepLosses, ...rest.stepLosses]).toEqual(full.stepLosses);
    expect(rest.bestDevAccuracy).toBe(full.bestDevAccuracy);
  }, 180_000);

  it('stops on a NaN/Inf loss with a clear error and leaves the last good checkpoint intact', async () => {
    const out = tmp();
    await train({ ...base(out), epochs: 1 });
    const path = join(out, 'checkpoint.safetensors');
    const before = readFileSync(path);
    // A learning rate of 1e30 without clipping blows the weights up to Inf within a step or two.
    const run = train({ ...base(out), epochs: 3, resume: true, allowChanges: true, lr: 1e30, optimizer: { kind: 'sgd' } });
    await expect(run).rejects.toThrow(TrainingDivergedError);
    await expect(train({ ...base(out), epochs: 3, resume: true, allowChanges: true, lr: 1e30, optimizer: { kind: 'sgd' } })).rejects.toThrow(/loss became (NaN|Infinity).*left untouched/);
    expect(readFileSync(path).equals(before)).toBe(true);
    const ckpt = await loadCheckpoint(path);
    for (const t of ckpt.params.values()) expect((t.data as Float32Array).every(Number.isFinite)).toBe(true);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
