// Tier 1: the rules build valid graphs and the driver keeps its contracts (which nodes it
// visits, fan-in, broadcasting, the errors it raises). Runs onnxruntime only where the
// point is a value (summing, broadcasting, ties, the embedding's duplicate ids).
import { describe, expect, it } from 'vitest';
import { Graph, toModel } from '../graph/index.js';
import * as op from '../graph/ops/index.js';
import { assertValidModel } from '../onnx/checker.js';
import { tensorOf } from '../onnx/tensor.js';
import { gradients, GradientError, MissingGradientError, registeredOps } from './index.js';
import { buildCase } from '../../test/helpers/finite-diff.js';
import { f64, runGraph } from '../../test/helpers/run-graph.js';
import { OP_CASES } from '../../test/autodiff/op-cases.js';

const f64t = (dims: number[], values: number[]) => tensorOf('float64', values, dims);
const opsOf = (g: Graph, from = 0) => g.nodes.slice(from).map((n) => n.opType);

describe('every rule builds a gradient graph that passes the checker', () => {
  for (const c of OP_CASES) {
    it(c.name, () => {
      const b = buildCase(c);
      assertValidModel(toModel(b.graph, { opset: c.opset }));
      for (const x of b.wrt) {
        const g = b.grads.get(x)!;
        expect(g.dtype).toBe(x.dtype);
        if (g.shape && x.shape) expect(g.shape.length, `rank of d${x.name}`).toBe(x.shape.length);
      }
    });
  }

  it('covers every op the brief lists', () => {
    const listed = 'Add Sub Mul Div Neg Pow Sigmoid Tanh Relu Exp Log Sqrt Reciprocal Abs Max Min Where MatMul Gemm Transpose Reshape Squeeze Unsqueeze Concat Split Slice Gather Expand Identity Cast ReduceSum ReduceMean ReduceSumSquare ReduceMax Softmax LogSoftmax SoftmaxCrossEntropyLoss Clip Sum'.split(' ');
    expect(listed.filter((o) => !registeredOps().includes(o))).toEqual([]);
    const tested = new Set(OP_CASES.map((c) => c.op));
    expect(registeredOps().filter((o) => !tested.has(o) && o !== 'LSTM')).toEqual([]);
  });
});

describe('driver', () => {
  it('visits only the path from wrt to the loss', () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3]);
    const y = g.input('y', 'float64', [3]);
    const side = op.exp(y); // not on the path
    const loss = op.reduceSum(op.mul(op.sigmoid(x), y), undefined, { keepdims: false });
    op.log(side);
    const before = g.nodes.length;
    gradients(g, loss, [x]);
    const added = opsOf(g, before);
    expect(added).not.toContain('Exp');
    expect(added).not.toContain('Log');
    expect(added.filter((t) => t === 'Mul').length).toBe(3); // dy·y, then σ' = y(1−y)·dy
  });

  it('sums the gradients of a value used twice (Add) or more (Sum)', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3]);
    const loss = op.reduceSum(op.add(op.mul(x, x), x), undefined, { keepdims: false });
    const dx = gradients(g, loss, [x]).get(x)!;
    expect(dx.producer?.opType).toBe('Sum'); // three uses
    const g2 = new Graph();
    const x2 = g2.input('x', 'float64', [3]);
    expect(gradients(g2, op.reduceSum(op.mul(x2, x2), undefined, { keepdims: false }), [x2]).get(x2)!.producer?.opType).toBe('Add');
    g.output(dx, 'dx');
    const out = await runGraph(g, { x: f64t([3], [1, -2, 0.5]) });
    expect([...f64(out.dx)]).toEqual([3, -3, 2]); // 2x + 1
  });

  it('undoes broadcasting once, in the driver', async () => {
    const g = new Graph();
    const a = g.input('a', 'float64', [2, 3]);
    const b = g.input('b', 'float64', [3]);
    const c = g.input('c', 'float64', [2, 1]);
    const loss = op.reduceSum(op.mul(op.add(a, b), c), undefined, { keepdims: false });
    const grads = gradients(g, loss, [a, b, c]);
    expect(grads.get(b)!.shape).toEqual([3]);
    expect(grads.get(c)!.shape).toEqual([2, 1]);
    expect(grads.get(b)!.producer?.opType).toBe('ReduceSum');
    g.output(grads.get(b)!, 'db');
    g.output(grads.get(c)!, 'dc');
    const out = await runGraph(g, { a: f64t([2, 3], [1, 2, 3, 4, 5, 6]), b: f64t([3], [1, 1, 1]), c: f64t([2, 1], [2, 3]) });
    expect([...f64(out.db)]).toEqual([5, 5, 5]);
    expect([...f64(out.dc)]).toEqual([9, 18]);
  });

  it('names the op and node of a missing rule, lists all missing ops, and builds nothing', () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3]);
    const y = g.addNode('Erf', [x], {}, [{ dtype: 'float64', shape: [3] }], { name: 'my_erf' })[0]!;
    const z = g.addNode('Softplus', [y], {}, [{ dtype: 'float64', shape: [3] }])[0]!;
    const loss = op.reduceSum(z, undefined, { keepdims: false });
    const before = g.nodes.length;
    let err: unknown;
    try {
      gradients(g, loss, [x]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingGradientError);
    expect((err as MissingGradientError).message).toMatch(/Erf.*my_erf/s);
    expect((err as MissingGradientError).message).toMatch(/Softplus/);
    expect(g.nodes.length).toBe(before);
  });

  it('refuses a Scan on the path (also one reading a wrt value from its body) with the reason', () => {
    const g = new Graph();
    const w = g.input('w', 'float64', [2]);
    const xs = g.input('xs', 'float64', [4, 2]);
    const { states } = op.scan({
      initialStates: [g.input('h0', 'float64', [2])],
      scanInputs: [xs],
      body: ([h], [x]) => ({ states: [op.add(op.mul(h!, w), x!)], outputs: [] }),
    });
    const loss = op.reduceSum(states[0]!, undefined, { keepdims: false });
    expect(() => gradients(g, loss, [w])).toThrow(/Scan.*not differentiable.*own rule/s);
  });

  it('rolls back when a rule fails while building', () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [4, 5]);
    const loss = op.reduceSum(op.slice(op.tanh(x), [0], [4], [1], [2]), undefined, { keepdims: false });
    const before = g.nodes.length;
    expect(() => gradients(g, loss, [x])).toThrow(/Slice.*steps of 1/);
    expect(g.nodes.length).toBe(before);
  });

  it('rejects a wrt that does not reach the loss, or gives it zeros when allowed', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [2]);
    const unused = g.param('layer.unused', tensorOf('float64', [1, 2, 3], [3]));
    const loss = op.reduceSum(op.exp(x), undefined, { keepdims: false });
    expect(() => gradients(g, loss, [x, unused])).toThrow(GradientError);
    expect(() => gradients(g, loss, [x, unused])).toThrow(/'layer\.unused'.*does not reach the loss/);
    const grads = gradients(g, loss, [x, unused], { allowUnreached: true });
    g.output(grads.get(unused)!, 'dunused');
    const out = await runGraph(g, { x: f64t([2], [0, 1]) });
    expect([...f64(out.dunused)]).toEqual([0, 0, 0]);
  });

  it('never propagates into integer values and refuses integer wrt and non-scalar losses', () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [2, 3]);
    const ids = g.input('ids', 'int64', [2]);
    const idx = op.argMax(x, 1); // int path: ArgMax is never visited
    const picked = op.gather(x, op.add(ids, idx), 0);
    const loss = op.reduceSum(picked, undefined, { keepdims: false });
    expect(() => gradients(g, loss, [x])).not.toThrow();
    expect(() => gradients(g, loss, [ids])).toThrow(/int64, not float/);
    expect(() => gradients(g, picked, [x])).toThrow(/not a scalar.*gradOutput/);
  });

  it('takes gradOutput (dLoss/dLoss) for a non-scalar loss', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3]);
    const gradOutput = g.input('grad_output', 'float64', [3]);
    const dx = gradients(g, op.mul(x, x), [x], { gradOutput }).get(x)!;
    g.output(dx, 'dx');
    const out = await runGraph(g, { x: f64t([3], [1, 2, 3]), grad_output: f64t([3], [1, 0, -1]) });
    expect([...f64(out.dx)]).toEqual([2, 0, -6]);
  });

  it('builds no work for an input that is not wanted', () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [3, 4]);
    const w = g.constant(tensorOf('float64', Array(20).fill(0.5), [4, 5]), 'w');
    const loss = op.reduceSum(op.matMul(x, w), undefined, { keepdims: false });
    const before = g.nodes.length;
    gradients(g, loss, [x]);
    expect(opsOf(g, before).filter((t) => t === 'Gemm').length).toBe(1);
  });

  it('differentiates with respect to intermediate values too', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [2]);
    const h = op.mul(x, 3);
    const loss = op.reduceSum(op.mul(h, h), undefined, { keepdims: false });
    const grads = gradients(g, loss, [x, h]);
    g.output(grads.get(x)!, 'dx');
    g.output(grads.get(h)!, 'dh');
    const out = await runGraph(g, { x: f64t([2], [1, -1]) });
    expect([...f64(out.dh)]).toEqual([6, -6]);
    expect([...f64(out.dx)]).toEqual([18, -18]);
  });
});

describe('rules whose point is a value', () => {
  it('Gather: ScatterND reduction="add" sums duplicate ids on onnxruntime CPU', async () => {
    const g = new Graph();
    const emb = g.input('emb', 'float64', [4, 2]);
    const ids = g.input('ids', 'int64', [5]);
    const up = g.input('up', 'float64', [5, 2]);
    const loss = op.reduceSum(op.mul(op.gather(emb, ids), up), undefined, { keepdims: false });
    g.output(gradients(g, loss, [emb]).get(emb)!, 'demb');
    const out = await runGraph(g, {
      emb: f64t([4, 2], Array(8).fill(0)),
      ids: tensorOf('int64', [1, 3, 1, 1, 0]),
      up: f64t([5, 2], [1, 2, 10, 20, 100, 200, 1000, 2000, 5, 6]),
    });
    expect([...f64(out.demb)]).toEqual([5, 6, 1101, 2202, 0, 0, 10, 20]);
  });

  it('Gather: below opset 16 the gradient says why it cannot be built', () => {
    const g = new Graph();
    const emb = g.input('emb', 'float32', [4, 2]);
    const loss = op.reduceSum(op.gather(emb, g.vector([0, 1])), undefined, { keepdims: false });
    expect(() => gradients(g, loss, [emb], { opset: 15 })).toThrow(/ScatterND.*opset ≥ 16/);
  });

  it('ReduceMax splits the gradient equally among exact ties', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [4, 2]);
    const loss = op.reduceSum(op.reduceMax(x, [0]), undefined, { keepdims: false });
    g.output(gradients(g, loss, [x]).get(x)!, 'dx');
    const out = await runGraph(g, { x: f64t([4, 2], [1, 5, 3, 5, 3, 5, 0, 2]) });
    expect([...f64(out.dx)]).toEqual([0, 1 / 3, 0.5, 1 / 3, 0.5, 1 / 3, 0, 0]);
  });

  it('Max gives a tie to the first input; Relu gives 0 at 0', async () => {
    const g = new Graph();
    const a = g.input('a', 'float64', [3]);
    const b = g.input('b', 'float64', [3]);
    const loss = op.reduceSum(op.add(op.max(a, b), op.relu(a)), undefined, { keepdims: false });
    const grads = gradients(g, loss, [a, b]);
    g.output(grads.get(a)!, 'da');
    g.output(grads.get(b)!, 'db');
    const out = await runGraph(g, { a: f64t([3], [1, 0, -1]), b: f64t([3], [1, 2, -2]) });
    expect([...f64(out.da)]).toEqual([2, 0, 1]);
    expect([...f64(out.db)]).toEqual([0, 1, 0]);
  });

  it('Sigmoid and Tanh reuse the forward output (no second Sigmoid/Tanh, few nodes)', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const loss = op.reduceSum(op.tanh(op.sigmoid(x)), undefined, { keepdims: false });
    const before = g.nodes.length;
    gradients(g, loss, [x]);
    const added = opsOf(g, before);
    expect(added).not.toContain('Sigmoid');
    expect(added).not.toContain('Tanh');
    expect(added.length).toBeLessThanOrEqual(1 + 3 + 3); // Expand of the seed, tanh' and σ'
  });

  it('Split fills the gradient of an unused piece with zeros', async () => {
    const g = new Graph();
    const x = g.input('x', 'float64', [4]);
    const [, right] = op.split(x, [1, 3], 0);
    const loss = op.reduceSum(op.mul(right!, right!), undefined, { keepdims: false });
    g.output(gradients(g, loss, [x]).get(x)!, 'dx');
    const out = await runGraph(g, { x: f64t([4], [5, 1, 2, 3]) });
    expect([...f64(out.dx)]).toEqual([0, 2, 4, 6]);
  });

  it('gradient graphs run at opset 13 and 18 too (axes as inputs)', async () => {
    for (const opset of [13, 18]) {
      const g = new Graph();
      const x = g.input('x', 'float64', [2, 3]);
      const loss = op.reduceSum(op.reduceMax(op.softmax(x), [1]), undefined, { keepdims: false });
      g.output(gradients(g, loss, [x], { opset }).get(x)!, 'dx');
      const out = await runGraph(g, { x: f64t([2, 3], [1, 2, 3, 3, 1, 0]) }, { opset });
      expect(f64(out.dx).length).toBe(6);
    }
  });
});

