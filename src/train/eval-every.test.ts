// Dev evaluations inside epochs (`evalEvery`, `--eval-every`) that take part in choosing the best
// checkpoint: the loop's bookkeeping on a scripted dev curve, then real train() runs whose best
// checkpoint must be the step where the dev accuracies the run reported peak (computed here from
// onStep, independently of the loop's own selection), unchanged by an interrupt and resume.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { train, type TrainOptions } from './index.js';
import { TrainingLoop, type DevMetrics, type StepInfo } from './loop.js';
import type { StepRunner } from './step-runner.js';
import { loadCheckpoint } from './checkpoint.js';
import { runDifferences, type RunRecord } from './run-record.js';
import { builtinDataset } from '../data/builtin.js';
import { classifierModel, readClassifierMetadata } from '../models/classifier.js';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { resolveSpec } from '../optim/index.js';

describe('TrainingLoop with selectWithinEpoch', () => {
  // 4 examples, batch 1: 4 steps an epoch; dev evaluated after steps 2 and 4 of each epoch.
  const devByStep: Record<number, number> = { 2: 0.5, 4: 0.4, 6: 0.6, 8: 0.55, 10: 0.3, 12: 0.3 };
  const runner = { step: async () => ({ loss: 0.5, gradNorm: 1, correct: 1 }), feeder: { size: () => 1 } } as unknown as StepRunner<number>;
  const run = async (selectWithinEpoch: boolean) => {
    const evaluations: [number, boolean][] = [];
    const epochEnds: [number, boolean][] = [];
    const loop: TrainingLoop<number> = new TrainingLoop({
      runner, ids: [[1], [2], [3], [4]], batch: (idx) => idx[0]!, tokens: () => 1,
      settings: { seed: 1, lr: 0.1, batchSize: 1, epochs: 3, patience: 1, evalEvery: 2, selectWithinEpoch },
      hooks: {
        evaluate: async (): Promise<DevMetrics> => ({ loss: 1, accuracy: devByStep[loop.pos.step]! }),
        diverged: () => new Error('diverged'),
        afterEvaluation: async (s: StepInfo, _dev, improved) => void evaluations.push([s.step, improved]),
        afterEpoch: async (r, improved) => void epochEnds.push([r.steps, improved]),
      },
    });
    const result = await loop.run();
    return { loop, result, evaluations, epochEnds };
  };

  it('an evaluation inside an epoch can be the best; an epoch whose only improvement was inside it still resets patience', async () => {
    const { loop, result, evaluations, epochEnds } = await run(true);
    expect(evaluations).toEqual([[2, true], [6, true], [10, false]]);
    // The end-of-epoch evaluations (steps 4, 8, 12) never beat the best before them.
    expect(epochEnds).toEqual([[4, false], [8, false], [12, false]]);
    expect(loop.pos).toMatchObject({ bestDevAccuracy: 0.6, bestEpoch: 2, bestStep: 6 });
    // Epochs 1 and 2 improved inside; epoch 3 did not: patience 1 stops after it.
    expect(result.stoppedEarly).toBe(true);
    expect(result.records).toHaveLength(3);
  });

  it('without it (the browser), inside-epoch evaluations are progress only and epoch ends decide', async () => {
    const { loop, result, evaluations, epochEnds } = await run(false);
    expect(evaluations).toEqual([]);
    expect(epochEnds).toEqual([[4, true], [8, true], [12, false]]);
    expect(loop.pos.bestDevAccuracy).toBe(0.55);
    expect(loop.pos.bestStep).toBeUndefined();
    expect(result.stoppedEarly).toBe(true);
  });
});

describe('train() with evalEvery', () => {
  const dataset = builtinDataset({ trainSize: 96, devSize: 48, testSize: 32 });
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'hw-eval-every-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const base = (out: string): TrainOptions => ({
    out, dataset, epochs: 3, batchSize: 8, lr: 0.02, seed: 3, evalEvery: 4, patience: 3, log: () => {},
    model: { layers: 1, embedDim: 8, hidden: 4, dropout: 0.1 },
  });

  it('keeps the parameters of the best evaluation, wherever in an epoch it fell, and records every evaluation', async () => {
    const seen: StepInfo[] = [];
    const out = tmp();
    const r = await train({ ...base(out), onStep: (s) => void seen.push(s) });
    const evaluated = seen.filter((s) => s.devAccuracy !== undefined);
    // 12 steps an epoch: evaluations after steps 4, 8, 12 (the epoch end) of each epoch.
    expect(evaluated.map((s) => s.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36]);
    const best = Math.max(...evaluated.map((s) => s.devAccuracy!));
    const bestStep = evaluated.find((s) => s.devAccuracy === best)!.step;
    expect(r.bestDevAccuracy).toBe(best);
    expect(r.bestEpoch).toBe(Math.ceil(bestStep / 12));
    expect((await loadCheckpoint(join(out, 'best.safetensors'))).position.step).toBe(bestStep);
    // metrics.jsonl: an 'eval' line for each evaluation inside an epoch; epoch ends are 'epoch' lines.
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: number; devAccuracy?: number; best?: boolean });
    const evals = lines.filter((l) => l.type === 'eval');
    expect(evals.map((l) => l.step)).toEqual([4, 8, 16, 20, 28, 32]);
    expect(evals.map((l) => l.devAccuracy)).toEqual(evaluated.filter((s) => s.step % 12 !== 0).map((s) => s.devAccuracy));
  }, 90_000);

  it('an interrupted and resumed run picks the same best step and the same test accuracy', async () => {
    const whole = await train(base(tmp()));
    const out = tmp();
    const first = await train({ ...base(out), maxSteps: 18 });
    expect(first.interrupted).toBe(true);
    const rest = await train({ out, dataset, resume: true, log: () => {} }); // evalEvery from the checkpoint's record
    expect([...first.stepLosses, ...rest.stepLosses]).toEqual(whole.stepLosses);
    // Epochs over the whole run: 1 finished before the stop (step 18 of 24 is inside epoch 2), 3 at the end.
    expect([first.epochsDone, rest.epochsDone, whole.epochsDone]).toEqual([1, 3, 3]);
    expect(rest.epochs).toHaveLength(2);
    expect(rest.bestDevAccuracy).toBe(whole.bestDevAccuracy);
    expect(rest.testAccuracy).toBe(whole.testAccuracy);
    expect((await loadCheckpoint(join(out, 'best.safetensors'))).position.step).toBe((await loadCheckpoint(join(whole.checkpointPath, '..', 'best.safetensors'))).position.step);
  }, 120_000);

  it('a resume with another --eval-every is a settings difference, named by its flag', () => {
    const record = { format: 'highway-onnx-run/1', config: { kind: 'highway', layers: 1 }, optimizer: resolveSpec({ kind: 'adam' }), lr: 0.1, batchSize: 8, patience: 3, minFreq: 1, maxLen: null, seed: 1, embeddings: null, fiveClass: false } as unknown as RunRecord;
    expect(runDifferences({ ...record, evalEvery: 4 }, { ...record, evalEvery: 8 })).toEqual(['--eval-every: 4 in the checkpoint, 8 now']);
    expect(runDifferences(record, { ...record, evalEvery: 8 })).toEqual(['--eval-every: epoch ends only in the checkpoint, 8 now']);
    expect(runDifferences({ ...record, evalEvery: 4 }, { ...record, evalEvery: 4 })).toEqual([]);
  });

  it("the epoch's class-balance warning is its own evaluation's, not an earlier one inside the epoch", async () => {
    // Seed 3, lr 0.05: the evaluation after step 2 predicts one class only, the epoch's end both.
    const out = tmp();
    const lines: string[] = [];
    await train({ ...base(out), epochs: 1, lr: 0.05, evalEvery: 2, log: (l) => lines.push(l) });
    // Independently: the epoch-end parameters (the last checkpoint) as a model, scored on dev.
    const { params } = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
    const meta = readClassifierMetadata(decodeModel(readFileSync(join(out, 'model.onnx'))));
    const model = await loadModel(encodeModel(classifierModel(meta.config, { params, vocab: meta.vocab! })));
    const predicted = new Set((await model.predict(dataset.dev.map((e) => e.text))).map((p) => p.label));
    await model.release();
    const epochLine = lines.findIndex((l) => l.startsWith('epoch 1:'));
    const warnedAtEpoch = lines[epochLine + 1]?.startsWith('warning: dev') ?? false;
    expect(predicted.size).toBe(2);
    expect(warnedAtEpoch).toBe(false);
    // The step-2 evaluation's warning stands under its own line.
    const step2 = lines.findIndex((l) => l.startsWith('step 2 '));
    expect(lines[step2 + 1]).toMatch(/^warning: dev \(step 2\): the model predicts only '\w+'/);
  }, 60_000);

  it('with selectBy macro-f1, every evaluation records its macro-F1, and the best is the macro-F1 peak', async () => {
    const out = tmp();
    const lines: string[] = [];
    const seen: StepInfo[] = [];
    await train({ ...base(out), model: { layers: 1, embedDim: 8, hidden: 4, dropout: 0.1 }, selectBy: 'macro-f1', log: (l) => lines.push(l), onStep: (s) => void seen.push(s) });
    type Line = { type: string; step?: number; steps?: number; devMacroF1?: number; best?: boolean };
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    const evals = records.filter((r) => r.type === 'eval');
    expect(evals.map((r) => r.step)).toEqual([4, 8, 16, 20, 28, 32]);
    expect(evals.every((r) => typeof r.devMacroF1 === 'number')).toBe(true);
    // Every evaluation in step order (epoch ends from the epoch records), the peak found here.
    const all = [...evals.map((r) => ({ step: r.step!, f1: r.devMacroF1! })), ...records.filter((r) => r.type === 'epoch').map((r) => ({ step: r.steps!, f1: r.devMacroF1! }))].sort((a, b) => a.step - b.step);
    let peak = all[0]!;
    for (const e of all) if (e.f1 > peak.f1) peak = e;
    expect((await loadCheckpoint(join(out, 'best.safetensors'))).position.step).toBe(peak.step);
    const step4 = lines.find((l) => l.startsWith('step 4 '))!;
    expect(step4).toContain(`macro-F1 ${evals[0]!.devMacroF1!.toFixed(4)}`);
  }, 90_000);

  it('refuses a step count that is not a positive integer', async () => {
    await expect(train({ ...base(tmp()), evalEvery: 0 })).rejects.toMatchObject({ code: 'E_TRAIN_OPTIONS', message: expect.stringMatching(/evalEvery: expected a positive integer, found 0/) });
  });
});
