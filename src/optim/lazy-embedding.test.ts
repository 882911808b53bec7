// The lazy embedding update (embeddingUpdate 'lazy', torch.optim.SparseAdam semantics):
// 1. the optimizer fragment alone, several steps in onnxruntime-node, against PyTorch 1.13's
//    SparseAdam on the same sparse gradients (run by /usr/bin/python3 in this test) and a plain
//    TypeScript reference;
// 2. a whole training step of the classifier, lazy against the default dense path on the same
//    batch: the same loss, gradient norm and dense-parameter updates; rows the batch does not
//    look up (and the padding row) unchanged; looked-up rows moved by SparseAdam's rule applied
//    to the gradient the dense path saw (recovered from its first-step Adam moment).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Graph, GraphBuildError, toModel } from '../graph/index.js';
import { encodeModel } from '../onnx/proto.js';
import { buildOptimizerStep, optimizerState, OptimizerSpecError, resolveSpec, type OptimizerSpec } from './index.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { buildStepGraphs } from '../train/step-graph.js';
import { allocate } from '../onnx/tensor.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';
import { uniform as rng } from '../../test/helpers/uniform.js';

const V = 9;
const E = 4;
const LAZY: OptimizerSpec = { kind: 'adam', embeddingUpdate: 'lazy' };


function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

interface Step {
  ids: number[];
  rows: number[]; // [N, E] flat
  lr: number;
}

/** SparseAdam in float64, TypeScript: the rule of torch/optim/_functional.py sparse_adam. */
function referenceSparseAdam(p0: Float32Array, steps: Step[], fixedId: number): { p: Float64Array; m: Float64Array; v: Float64Array } {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const p = Float64Array.from(p0);
  const m = new Float64Array(p0.length);
  const v = new Float64Array(p0.length);
  steps.forEach((s, k) => {
    const t = k + 1;
    const g = new Map<number, number[]>();
    s.ids.forEach((id, n) => {
      if (id === fixedId) return;
      const acc = g.get(id) ?? new Array<number>(E).fill(0);
      for (let e = 0; e < E; e++) acc[e]! += s.rows[n * E + e]!;
      g.set(id, acc);
    });
    const stepSize = (s.lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (const [id, gr] of g) {
      for (let e = 0; e < E; e++) {
        const i = id * E + e;
        m[i] = m[i]! + (1 - b1) * (gr[e]! - m[i]!);
        v[i] = v[i]! + (1 - b2) * (gr[e]! * gr[e]! - v[i]!);
        p[i] = p[i]! - (stepSize * m[i]!) / (Math.sqrt(v[i]!) + eps);
      }
    }
  });
  return { p, m, v };
}

/** The same steps through torch.optim.SparseAdam (float32, as training runs). */
function torchSparseAdam(p0: Float32Array, steps: Step[], fixedId: number): { p: number[]; m: number[]; v: number[] } {
  const script = `
import json, sys, torch
a = json.load(sys.stdin)
V, E = a['V'], a['E']
w = torch.nn.Parameter(torch.tensor(a['p0'], dtype=torch.float32).reshape(V, E))
opt = torch.optim.SparseAdam([w], lr=1.0)
for s in a['steps']:
    ids = torch.tensor(s['ids'], dtype=torch.int64)
    rows = torch.tensor(s['rows'], dtype=torch.float32).reshape(-1, E)
    keep = ids != a['fixed']  # torch leaves padding_idx out of an Embedding's sparse gradient
    w.grad = torch.sparse_coo_tensor(ids[keep].unsqueeze(0), rows[keep], (V, E))
    opt.param_groups[0]['lr'] = s['lr']
    opt.step()
st = opt.state[w]
print(json.dumps({'p': w.detach().reshape(-1).tolist(), 'm': st['exp_avg'].reshape(-1).tolist(), 'v': st['exp_avg_sq'].reshape(-1).tolist()}))
`;
  requireSystemDependency('python3-torch');
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ V, E, p0: [...p0], steps, fixed: fixedId }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 (torch SparseAdam) failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { p: number[]; m: number[]; v: number[] };
}

/** Our fragment: table [V, E] with a row gradient, plus a dense bias, stepped in onnxruntime. */
async function oursSparseAdam(p0: Float32Array, steps: Step[], fixedId: number): Promise<{ p: Float32Array; m: Float32Array; v: Float32Array }> {
  const g = new Graph({ name: 'lazy_test' });
  const table = g.input('table', 'float32', [V, E]);
  const ids = g.input('ids', 'int64', ['n']);
  const rows = g.input('rows', 'float32', ['n', E]);
  const state = optimizerState(LAZY, [{ name: 'table', dims: [V, E] }]).map((s) => g.input(s.name, 'float32', s.dims));
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const r = buildOptimizerStep(g, { params: [table], grads: [{ kind: 'rows', ids, rows, fixedId }], spec: LAZY, lr, step, state });
  g.output(r.newParams[0]!, 'p');
  g.output(r.newState[0]!, 'm');
  g.output(r.newState[1]!, 'v');
  g.output(r.gradNorm, 'norm');
  const session = await ort.InferenceSession.create(encodeModel(toModel(g, { opset: 17 })));
  let p: Float32Array = p0;
  let m: Float32Array = new Float32Array(V * E);
  let v: Float32Array = new Float32Array(V * E);
  for (const [k, s] of steps.entries()) {
    const out = await session.run({
      table: new ort.Tensor('float32', p, [V, E]),
      ids: new ort.Tensor('int64', BigInt64Array.from(s.ids, BigInt), [s.ids.length]),
      rows: new ort.Tensor('float32', Float32Array.from(s.rows), [s.ids.length, E]),
      'adam.m.table': new ort.Tensor('float32', m, [V, E]),
      'adam.v.table': new ort.Tensor('float32', v, [V, E]),
      lr: new ort.Tensor('float32', Float32Array.of(s.lr), []),
      step: new ort.Tensor('float32', Float32Array.of(k + 1), []),
    });
    [p, m, v] = [out.p!.data as Float32Array, out.m!.data as Float32Array, out.v!.data as Float32Array];
  }
  await session.release();
  return { p, m, v };
}

describe('lazy embedding update (SparseAdam)', () => {
  it('matches torch.optim.SparseAdam and a float64 reference over several steps, repeated ids summed, the padding row untouched', async () => {
    const r = rng(7);
    const p0 = Float32Array.from({ length: V * E }, () => r());
    // Ids repeat within a step, the padding id 0 appears, rows 6..8 are never looked up.
    const idLists = [[3, 1, 3, 0, 5, 0], [2, 2, 2, 4], [0, 5, 1, 3, 4, 4, 4, 1]];
    const steps: Step[] = idLists.map((ids, k) => ({ ids, rows: Array.from({ length: ids.length * E }, () => r()), lr: [0.01, 0.003, 0.02][k]! }));
    const ours = await oursSparseAdam(p0, steps, 0);
    const torch = torchSparseAdam(p0, steps, 0);
    const ref = referenceSparseAdam(p0, steps, 0);
    expect(maxAbsDiff(ours.p, torch.p)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ours.m, torch.m)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ours.v, torch.v)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ours.p, ref.p)).toBeLessThan(1e-6);
    // Untouched rows: the padding row 0 and rows 6..8 keep their values and zero moments.
    for (const row of [0, 6, 7, 8]) {
      for (let e = 0; e < E; e++) {
        expect(ours.p[row * E + e]).toBe(p0[row * E + e]);
        expect(ours.m[row * E + e]).toBe(0);
      }
    }
    // Looked-up rows moved.
    expect(ours.p[3 * E]).not.toBe(p0[3 * E]);
  });

  it('is refused where SparseAdam has no counterpart, and a row gradient needs the lazy spec', () => {
    expect(() => resolveSpec({ kind: 'adamw', embeddingUpdate: 'lazy' })).toThrow(OptimizerSpecError);
    expect(() => resolveSpec({ kind: 'adam', weightDecay: 0.1, embeddingUpdate: 'lazy' })).toThrow(/weightDecay 0/);
    expect(resolveSpec({ kind: 'adam' })).toMatchObject({ embeddingUpdate: 'dense' });
    const g = new Graph({ name: 'refuse' });
    const table = g.input('table', 'float32', [V, E]);
    const grad = { kind: 'rows' as const, ids: g.input('ids', 'int64', ['n']), rows: g.input('rows', 'float32', ['n', E]) };
    const state = optimizerState({ kind: 'adam' }, [{ name: 'table', dims: [V, E] }]).map((s) => g.input(s.name, 'float32', s.dims));
    const args = { params: [table], grads: [grad], lr: g.input('lr', 'float32', []), step: g.input('step', 'float32', []), state };
    expect(() => buildOptimizerStep(g, { ...args, spec: { kind: 'adam' } })).toThrow(GraphBuildError);
    expect(() => buildOptimizerStep(g, { ...args, spec: { kind: 'adam' } })).toThrow(/embeddingUpdate 'lazy'/);
  });

  it('a whole training step: same loss, gradient norm and dense updates as the dense path; only looked-up rows move, by SparseAdam', async () => {
    const config = resolveConfig({ kind: 'highway', layers: 2, vocabSize: 40, embedDim: 6, hidden: 3, classes: 2, carry: 'projection', dropout: 0 });
    const params = initParams(config);
    const B = 3;
    const T = 5;
    const seqs = [[4, 9, 9, 17, 2], [5, 9, 1], [30, 4]];
    const ids = new BigInt64Array(B * T);
    seqs.forEach((s, b) => s.forEach((id, t) => (ids[b * T + t] = BigInt(id))));
    // The lazy table comes back whole here ('full'), to compare with the dense path tensor by tensor;
    // its default row outputs are checked bit for bit against these in src/train/step-runner-rows.test.ts.
    const feedsFor = (spec: OptimizerSpec): Record<string, ort.Tensor> => {
      const graphs = buildStepGraphs(config, spec, { params, lazyOutputs: 'full' });
      const feeds: Record<string, ort.Tensor> = {
        ids: new ort.Tensor('int64', ids, [B, T]),
        lengths: new ort.Tensor('int32', Int32Array.from(seqs, (s) => s.length), [B]),
        labels: new ort.Tensor('int64', BigInt64Array.of(1n, 0n, 1n), [B]),
        'dropout.embedding': new ort.Tensor('float32', new Float32Array(T * B * config.embedDim).fill(1), [T, B, config.embedDim]),
        'dropout.output': new ort.Tensor('float32', new Float32Array(B * 2 * config.hidden).fill(1), [B, 2 * config.hidden]),
        lr: new ort.Tensor('float32', Float32Array.of(0.01), []),
        step: new ort.Tensor('float32', Float32Array.of(1), []),
      };
      for (const p of graphs.params) feeds[p.name] = new ort.Tensor('float32', params.get(p.name)!.data as Float32Array, p.dims);
      for (const s of graphs.state) feeds[s.name] = new ort.Tensor('float32', allocate('float32', s.dims).data as Float32Array, s.dims);
      return feeds;
    };
    const run = async (spec: OptimizerSpec): Promise<Record<string, ort.OnnxValue>> => {
      const graphs = buildStepGraphs(config, spec, { params, lazyOutputs: 'full' });
      const session = await ort.InferenceSession.create(encodeModel(graphs.trainStep));
      try {
        return await session.run(feedsFor(spec));
      } finally {
        await session.release();
      }
    };
    const dense = await run({ kind: 'adam' });
    const lazy = await run(LAZY);
    const num = (x: ort.OnnxValue): number => (x.data as Float32Array)[0]!;
    expect(Math.abs(num(lazy.loss!) - num(dense.loss!))).toBeLessThan(1e-6);
    expect(Math.abs(num(lazy.grad_norm!) - num(dense.grad_norm!)) / num(dense.grad_norm!)).toBeLessThan(1e-5);
    for (const name of params.keys()) {
      if (name === 'embedding.weight') continue;
      expect(maxAbsDiff(lazy[`${name}.next`]!.data as Float32Array, dense[`${name}.next`]!.data as Float32Array)).toBeLessThan(1e-6);
    }
    // The dense path's first-step moment is (1 − β1)·g: the gradient it saw, row by row.
    const E2 = config.embedDim;
    const g = Array.from(dense['adam.m.embedding.weight.next']!.data as Float32Array, (m) => m / 0.1);
    const p0 = params.get('embedding.weight')!.data as Float32Array;
    const looked = new Set(seqs.flat());
    const lazyP = lazy['embedding.weight.next']!.data as Float32Array;
    const stepSize = (0.01 * Math.sqrt(1 - 0.999)) / (1 - 0.9);
    for (let row = 0; row < config.vocabSize; row++) {
      for (let e = 0; e < E2; e++) {
        const i = row * E2 + e;
        if (!looked.has(row)) {
          expect(lazyP[i]).toBe(p0[i]);
          continue;
        }
        const m = 0.1 * g[i]!;
        const v = 0.001 * g[i]! * g[i]!;
        expect(Math.abs(lazyP[i]! - (p0[i]! - (stepSize * m) / (Math.sqrt(v) + 1e-8)))).toBeLessThan(1e-5);
      }
    }
  });
});
