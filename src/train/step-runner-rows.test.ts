// The lazy embedding update's row outputs: the step graph returns only the updated rows of the
// table and its two Adam moments, and the runner scatters them into its own buffers. Checked
// against the same lazy step with the full [V, E] outputs (the scatter done inside the graph),
// step by step and bit for bit, on both runner paths (preallocated outputs, as onnxruntime-node's
// CPU takes, and onnxruntime-allocated outputs, as onnxruntime-web takes).
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { encodeModel } from '../onnx/proto.js';
import { optimizerState, type OptimizerSpec } from '../optim/index.js';
import { buildStepGraphs } from './step-graph.js';
import { labelledBatch, openClassifierRunner, withDropout, type ClassifierRunner } from './classifier-feeds.js';
import { nodeRuntimes } from '../../test/helpers/step-runtimes.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, type TrainOptions } from './index.js';
import { loadCheckpoint } from './checkpoint.js';
import { builtinDataset } from '../data/builtin.js';

const config = resolveConfig({ seed: 7, kind: 'highway', layers: 1, embedDim: 8, hidden: 4, vocabSize: 40, classes: 2, labels: ['neg', 'pos'], dropout: 0.25 });
const optimizer: OptimizerSpec = { kind: 'adam', clipNorm: 0.5, embeddingUpdate: 'lazy' };
const params = initParams(config);
const rowsGraphs = buildStepGraphs(config, optimizer, { params });
const fullGraphs = buildStepGraphs(config, optimizer, { params, lazyOutputs: 'full' });
const state = new Map(optimizerState(optimizer, rowsGraphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
const encode = (g: typeof rowsGraphs) => ({ trainStep: encodeModel(g.trainStep), eval: encodeModel(g.eval) });
// Sentences of 2–6 tokens over ids 2..29 (ids 30..39 never looked up; id 0 pads shorter rows).
const data = {
  ids: Array.from({ length: 24 }, (_, i) => Array.from({ length: 2 + (i % 5) }, (_, t) => 2 + ((i * 7 + t * 3) % 28))),
  labels: Array.from({ length: 24 }, (_, i) => i % 2),
};
const batchAt = (step: number) => withDropout(labelledBatch(data, [0, 1, 2, 3, 4, 5, 6, 7].map((k) => (k * 3 + 5 * step) % 24)), config, 7, step);

const { node, allocating } = nodeRuntimes();

const bits = (t: Tensor): Buffer => Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength);
const expectSame = (a: Map<string, Tensor>, b: Map<string, Tensor>): void => {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, t] of a) expect(bits(t).equals(bits(b.get(name)!)), name).toBe(true);
};

describe('lazy embedding update by rows', () => {
  it('the step graph outputs the table and its moments by rows only', () => {
    const outputs = rowsGraphs.trainStep.graph!.output!.map((o) => o.name ?? '');
    const table = ['embedding.weight', ...rowsGraphs.state.filter((s) => s.name.endsWith('.embedding.weight')).map((s) => s.name)];
    expect(table).toHaveLength(3);
    expect(rowsGraphs.rowUpdates).toEqual({ idsOutput: 'embedding.weight.rows_ids', tensors: table });
    for (const name of table) {
      expect(outputs).toContain(`${name}.next_rows`);
      expect(outputs).not.toContain(`${name}.next`);
    }
    expect(outputs).toContain('embedding.weight.rows_ids');
    expect(fullGraphs.rowUpdates ?? null).toBeNull();
    // Every other tensor still comes back whole, and the dense update is untouched.
    expect(outputs.filter((o) => o.endsWith('.next')).length + 3).toBe(rowsGraphs.params.length + rowsGraphs.state.length);
    expect(buildStepGraphs(config, { kind: 'adam', clipNorm: 0.5 }, { params }).rowUpdates ?? null).toBeNull();
  });

  for (const [label, runtime] of [['preallocated outputs', node], ['onnxruntime-allocated outputs', allocating]] as const) {
    it(`with ${label}, takes bit-identical steps to the full outputs: losses, parameters, moments, evaluation`, async () => {
      const rows = await openClassifierRunner(runtime, rowsGraphs, encode(rowsGraphs), params, state);
      const full = await openClassifierRunner(runtime, fullGraphs, encode(fullGraphs), params, state);
      try {
        const before = rows.params().get('embedding.weight')!;
        for (let step = 1; step <= 8; step++) {
          expect(await rows.step(batchAt(step), { lr: 0.05, step })).toEqual(await full.step(batchAt(step), { lr: 0.05, step }));
        }
        expectSame(rows.params(), full.params());
        expectSame(rows.state(), full.state());
        // Not vacuous: looked-up rows moved, the padding row and the rows never looked up did not.
        const after = rows.params().get('embedding.weight')!.data as Float32Array;
        const row = (t: Float32Array, r: number) => [...t.subarray(r * 8, r * 8 + 8)];
        expect(row(after, 2)).not.toEqual(row(before.data as Float32Array, 2));
        for (const r of [0, 30, 39]) expect(row(after, r)).toEqual(row(before.data as Float32Array, r));
        expect(await rows.evaluate([batchAt(0), batchAt(1)])).toEqual(await full.evaluate([batchAt(0), batchAt(1)]));
      } finally {
        await rows.release();
        await full.release();
      }
    }, 60_000);
  }

  it('a non-finite step writes no rows: the next step continues as if it never ran', async () => {
    const runs: ClassifierRunner<ort.Tensor>[] = [
      await openClassifierRunner(node, rowsGraphs, encode(rowsGraphs), params, state),
      await openClassifierRunner(node, fullGraphs, encode(fullGraphs), params, state),
    ];
    try {
      const [hit, clean] = runs as [ClassifierRunner<ort.Tensor>, ClassifierRunner<ort.Tensor>];
      await hit.step(batchAt(1), { lr: 0.05, step: 1 });
      await clean.step(batchAt(1), { lr: 0.05, step: 1 });
      const poisoned = batchAt(2);
      poisoned.outputMask[0] = Number.NaN;
      expect(Number.isNaN((await hit.step(poisoned, { lr: 0.05, step: 2 })).loss)).toBe(true);
      expectSame(hit.params(), clean.params());
      expectSame(hit.state(), clean.state());
      expect(await hit.step(batchAt(2), { lr: 0.05, step: 2 })).toEqual(await clean.step(batchAt(2), { lr: 0.05, step: 2 }));
      expectSame(hit.params(), clean.params());
      expectSame(hit.state(), clean.state());
    } finally {
      for (const r of runs) await r.release();
    }
  }, 60_000);

  it('train(): a lazy run stopped at step 4 and resumed from its checkpoint repeats the whole run (losses, checkpoint, best weights)', async () => {
    const dataset = builtinDataset({ trainSize: 96, devSize: 32, testSize: 32 });
    const tmp = (): string => mkdtempSync(join(tmpdir(), 'hw-rows-'));
    const base = (out: string): TrainOptions => ({
      out, dataset, epochs: 2, batchSize: 16, lr: 0.02, seed: 4, log: () => {},
      model: { layers: 1, embedDim: 8, hidden: 4, dropout: 0.3 },
      optimizer: { kind: 'adam', embeddingUpdate: 'lazy' },
    });
    const wholeDir = tmp();
    const whole = await train(base(wholeDir));
    const out = tmp();
    const ctl = new AbortController();
    const first = await train({ ...base(out), signal: ctl.signal, onStep: (s) => (s.step === 4 ? ctl.abort('enough') : undefined) });
    expect(first.step).toBe(4);
    const rest = await train({ ...base(out), resume: true });
    expect([...first.stepLosses, ...rest.stepLosses]).toEqual(whole.stepLosses);
    const [a, b] = [await loadCheckpoint(join(wholeDir, 'checkpoint.safetensors')), await loadCheckpoint(join(out, 'checkpoint.safetensors'))];
    expectSame(b.params, a.params);
    expectSame(b.state, a.state);
    // The table and its moments moved (the rows written by the runner reach the checkpoint).
    const m = b.state.get([...b.state.keys()].find((k) => k.endsWith('.embedding.weight'))!)!.data as Float32Array;
    expect(m.some((x) => x !== 0)).toBe(true);
    expect(readFileSync(join(out, 'best.safetensors')).equals(readFileSync(join(wholeDir, 'best.safetensors')))).toBe(true);
    // artifact.json tells an outside runner of train_step.onnx which tensors come back by rows.
    const step = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8')).trainStep;
    expect(step.rowUpdates).toEqual({ idsOutput: 'embedding.weight.rows_ids', tensors: ['embedding.weight', 'adam.m.embedding.weight', 'adam.v.embedding.weight'], rowsOutputSuffix: '.next_rows' });
    for (const t of step.rowUpdates.tensors) expect(step.outputs).toContain(`${t}.next_rows`);
  }, 90_000);
});
