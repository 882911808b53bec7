// Fit-style callbacks and cancellation on Node's train() and on fine-tuning: onStep after every
// step, onEpochEnd with each epoch's record, an AbortSignal that stops after the current step.
// Real runs (onnxruntime-node, files on disk); the figures the callbacks see are checked against
// what the run itself returns and writes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { train, type TrainOptions } from './index.js';
import type { EpochEnd, StepInfo } from './loop.js';
import { loadCheckpoint } from './checkpoint.js';
import { finetune, importOnnxRun } from './finetune/index.js';
import { builtinDataset } from '../data/builtin.js';

const dataset = builtinDataset({ trainSize: 96, devSize: 32, testSize: 32 });
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hw-callbacks-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const base = (out: string): TrainOptions => ({
  out, dataset, epochs: 2, batchSize: 16, lr: 0.01, seed: 4, log: () => {},
  model: { layers: 1, embedDim: 8, hidden: 4, dropout: 0.2 },
});

describe('train() callbacks', () => {
  it('onStep sees every step in order with its loss; onEpochEnd sees each epoch record', async () => {
    const steps: StepInfo[] = [];
    const ends: EpochEnd[] = [];
    const r = await train({ ...base(tmp()), onStep: (s) => void steps.push(s), onEpochEnd: (e) => void ends.push(e) });
    expect(r.stepLosses).toHaveLength(12); // 96 / 16 × 2 epochs
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(steps.map((s) => s.loss)).toEqual(r.stepLosses);
    expect(steps.map((s) => s.epoch)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    expect(steps.map((s) => s.batch)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    for (const s of steps) {
      expect(s.batches).toBe(6);
      expect(s.size).toBe(16);
      expect(s.correct).toBe(s.accuracy * s.size);
      expect(Number.isFinite(s.gradNorm) && s.gradNorm > 0).toBe(true);
    }
    // The epoch's running mean after its last step is the epoch record's train loss.
    expect(steps[5]!.epochLoss).toBeCloseTo(r.epochs[0]!.trainLoss, 12);
    expect(ends).toEqual(r.epochs);
    const metrics = readFileSync(join(r.checkpointPath, '..', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(metrics.filter((m) => m.type === 'epoch').map(({ type: _t, ...rest }) => rest)).toEqual(ends);
  }, 60_000);

  it('an aborted signal stops after the current step with a checkpoint; resuming repeats the same losses', async () => {
    const whole = await train(base(tmp()));
    const out = tmp();
    const ctl = new AbortController();
    const r = await train({ ...base(out), signal: ctl.signal, onStep: (s) => (s.step === 4 ? ctl.abort('enough') : undefined) });
    expect(r.interrupted).toBe(true);
    expect(r.stoppedBy).toBe('signal');
    expect(r.signalReason).toBe('enough');
    expect(r.step).toBe(4);
    expect((await loadCheckpoint(r.checkpointPath)).position.step).toBe(4);
    const rest = await train({ ...base(out), resume: true });
    expect([...r.stepLosses, ...rest.stepLosses]).toEqual(whole.stepLosses);
  }, 90_000);

  it('an exception thrown by onStep stops the run and reaches the caller', async () => {
    const err = await train({ ...base(tmp()), onStep: (s) => { if (s.step === 2) throw new Error('callback refused'); } }).then(() => null, (e: unknown) => e);
    expect((err as Error).message).toBe('callback refused');
  }, 60_000);
});

describe('finetune() callbacks', () => {
  it('onStep, onEpochEnd and signal: the same names and meaning as train()', async () => {
    // Our own trained classifier, imported as an ONNX model, is fine-tuned on the same data.
    const trained = await train({ ...base(tmp()), epochs: 1 });
    const run = tmp();
    await importOnnxRun(trained.modelPath, run);
    const steps: StepInfo[] = [];
    const ends: EpochEnd[] = [];
    const whole = await finetune({ init: run, out: tmp(), data: dataset, epochs: 2, batchSize: 16, lr: 0.01, log: () => {}, onStep: (s) => void steps.push(s), onEpochEnd: (e) => void ends.push(e) });
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(steps.map((s) => s.loss)).toEqual(whole.stepLosses);
    expect(ends.map((e) => [e.epoch, e.steps, e.trainLoss, e.devAccuracy])).toEqual(whole.epochs.map((e, i) => [e.epoch, 6 * (i + 1), e.trainLoss, e.devAccuracy]));
    expect(ends.every((e) => typeof e.devLoss === 'number' && e.devLoss > 0)).toBe(true);

    const ctl = new AbortController();
    const stopped = await finetune({ init: run, out: tmp(), data: dataset, epochs: 2, batchSize: 16, lr: 0.01, log: () => {}, signal: ctl.signal, onStep: (s) => (s.step === 3 ? ctl.abort() : undefined) });
    expect(stopped.steps).toBe(3);
    expect(stopped.stepLosses).toEqual(whole.stepLosses.slice(0, 3));
    // The partial epoch is evaluated and reported, as a step limit's is.
    expect(stopped.epochs.map((e) => e.epoch)).toEqual([1]);
  }, 120_000);
});
