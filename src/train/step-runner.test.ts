// The step runner on its own: parameters and optimizer state stay onnxruntime tensors between
// steps. On onnxruntime-node's CPU provider each step writes them into the spare set of
// preallocated buffers and the sets swap; checked here against the same runner with every output
// allocated by onnxruntime (the plain path onnxruntime-web takes), step by step and bit for bit.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { encodeModel } from '../onnx/proto.js';
import { optimizerState } from '../optim/index.js';
import { buildStepGraphs } from './step-graph.js';
import { DropoutBuffers, labelledBatch, openClassifierRunner, withDropout, type ClassifierRunner } from './classifier-feeds.js';
import { StepInputError } from './errors.js';
import { nodeRuntimes } from '../../test/helpers/step-runtimes.js';

const config = resolveConfig({ seed: 5, kind: 'highway', layers: 1, embedDim: 8, hidden: 4, vocabSize: 30, classes: 2, labels: ['neg', 'pos'], dropout: 0.25 });
const optimizer = { kind: 'adam' as const, clipNorm: 5 };
const params = initParams(config);
const graphs = buildStepGraphs(config, optimizer, { params });
const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
const models = { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) };
const data = {
  ids: Array.from({ length: 24 }, (_, i) => Array.from({ length: 2 + (i % 5) }, (_, t) => 2 + ((i * 7 + t * 3) % 28))),
  labels: Array.from({ length: 24 }, (_, i) => i % 2),
};
const batchAt = (step: number) => withDropout(labelledBatch(data, [0, 1, 2, 3, 4, 5, 6, 7].map((k) => (k + 8 * step) % 24)), config, 5, step);

const { node, allocating } = nodeRuntimes();

const same = (a: Map<string, Tensor>, b: Map<string, Tensor>): boolean =>
  [...a].every(([name, t]) => Buffer.from((t.data as Float32Array).buffer).equals(Buffer.from((b.get(name)!.data as Float32Array).buffer)));

describe('StepRunner', () => {
  it('with preallocated outputs takes bit-identical steps to onnxruntime-allocated outputs', async () => {
    // The premise: onnxruntime-node's CPU sessions take the preallocated path.
    const probe = await node.createSession(models.trainStep);
    expect(probe.preallocatedOutputs).toBe(true);
    await probe.release();
    const pre = await openClassifierRunner(node, graphs, models, params, state);
    const plain = await openClassifierRunner(allocating, graphs, models, params, state);
    try {
      for (let step = 1; step <= 6; step++) {
        const a = await pre.step(batchAt(step), { lr: 0.01, step });
        const b = await plain.step(batchAt(step), { lr: 0.01, step });
        expect(a).toEqual(b);
      }
      expect(same(pre.params(), plain.params())).toBe(true);
      expect(same(pre.state(), plain.state())).toBe(true);
      const [ea, eb] = [await pre.evaluate([batchAt(0)]), await plain.evaluate([batchAt(0)])];
      expect(ea).toEqual(eb);
    } finally {
      await pre.release();
      await plain.release();
    }
  }, 60_000);

  it('params() is a copy: later steps leave it (and the caller\'s initial tensors) as they were', async () => {
    const initial = new Float32Array(params.get('embedding.weight')!.data as Float32Array);
    const runner = await openClassifierRunner(node, graphs, models, params, state);
    try {
      await runner.step(batchAt(1), { lr: 0.01, step: 1 });
      const snap = runner.params();
      const kept = new Float32Array(snap.get('embedding.weight')!.data as Float32Array);
      for (let step = 2; step <= 4; step++) await runner.step(batchAt(step), { lr: 0.01, step });
      expect(snap.get('embedding.weight')!.data).toEqual(kept);
      expect(runner.params().get('embedding.weight')!.data).not.toEqual(kept);
      expect(params.get('embedding.weight')!.data).toEqual(initial);
    } finally {
      await runner.release();
    }
  }, 60_000);

  it('a non-finite step updates nothing: the next step continues as if it never ran', async () => {
    const runs: ClassifierRunner<ort.Tensor>[] = [await openClassifierRunner(node, graphs, models, params, state), await openClassifierRunner(node, graphs, models, params, state)];
    try {
      const [hit, clean] = runs as [ClassifierRunner<ort.Tensor>, ClassifierRunner<ort.Tensor>];
      await hit.step(batchAt(1), { lr: 0.01, step: 1 });
      await clean.step(batchAt(1), { lr: 0.01, step: 1 });
      const poisoned = batchAt(2);
      poisoned.outputMask[0] = Number.NaN;
      const bad = await hit.step(poisoned, { lr: 0.01, step: 2 });
      expect(Number.isNaN(bad.loss)).toBe(true);
      expect(same(hit.params(), clean.params())).toBe(true);
      expect(await hit.step(batchAt(2), { lr: 0.01, step: 2 })).toEqual(await clean.step(batchAt(2), { lr: 0.01, step: 2 }));
      expect(same(hit.state(), clean.state())).toBe(true);
    } finally {
      for (const r of runs) await r.release();
    }
  }, 60_000);

  it('masks drawn into reused DropoutBuffers are the fresh masks, and the steps on them bit-identical', async () => {
    // Batches of varying length, longest first, so later masks are shorter views of the buffers.
    const sizes = [8, 3, 6, 1, 8, 2];
    const batch = (step: number) => labelledBatch(data, Array.from({ length: sizes[step - 1]! }, (_, k) => (k * 5 + step) % 24));
    const buffers = new DropoutBuffers();
    const reusing = await openClassifierRunner(node, graphs, models, params, state);
    const fresh = await openClassifierRunner(node, graphs, models, params, state);
    try {
      for (let step = 1; step <= sizes.length; step++) {
        const a = withDropout(batch(step), config, 5, step, buffers);
        const b = withDropout(batch(step), config, 5, step);
        expect(a.embeddingMask.length).toBe(b.embeddingMask.length);
        expect(Buffer.from(a.embeddingMask.buffer, 0, a.embeddingMask.byteLength).equals(Buffer.from(b.embeddingMask.buffer))).toBe(true);
        expect([...a.outputMask]).toEqual([...b.outputMask]);
        expect(await reusing.step(a, { lr: 0.01, step })).toEqual(await fresh.step(b, { lr: 0.01, step }));
      }
      expect(same(reusing.params(), fresh.params())).toBe(true);
      expect(same(reusing.state(), fresh.state())).toBe(true);
    } finally {
      await reusing.release();
      await fresh.release();
    }
  }, 60_000);

  it('refuses parameters of the wrong shape with StepInputError (E_STEP_INPUTS)', async () => {
    const wrong = new Map(params);
    wrong.set('embedding.weight', allocate('float32', [3, 8]));
    const err = await openClassifierRunner(node, graphs, models, wrong, state).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StepInputError);
    expect((err as StepInputError).code).toBe('E_STEP_INPUTS');
    expect((err as Error).message).toBe(`parameter 'embedding.weight' has shape [3,8], expected [30,8]`);
  });
});
