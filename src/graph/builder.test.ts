// The graph builder: errors at build time, names, Scan bodies, emitting per opset,
// parameters as inputs, debug stacks.
import { describe, expect, it } from 'vitest';
import { Graph, GraphBuildError, op, toModel, type Value } from './index.js';
import { assertValidModel, decodeModel, encodeModel, toNumber, type NodeProto } from '../onnx/index.js';
import { makeTensor, tensorOf, type Tensor } from '../onnx/tensor.js';
import { runModel } from '../../test/helpers/conformance.js';

const f32 = (dims: number[], values?: number[]): Tensor =>
  makeTensor('float32', dims, Float32Array.from(values ?? Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i + 1)));

/** The GraphBuildError `fn` throws (fails the test when it throws nothing or something else). */
function buildError(fn: () => unknown): GraphBuildError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GraphBuildError);
    return e as GraphBuildError;
  }
  throw new Error('expected a GraphBuildError, nothing was thrown');
}

describe('shape inference errors at build time', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [4, 5]);
  const c = g.input('c', 'float32', [4, 3]);

  it('MatMul inner dimension mismatch names the op, both values and both shapes', () => {
    const e = buildError(() => op.matMul(a, b));
    expect(e.message).toBe("MatMul: inner dimensions differ: 'a' [2, 3] × 'b' [4, 5]");
    expect(e.code).toBe('E_GRAPH_BUILD');
    // Thrown at the line that built the node: the stack points into this file.
    expect(e.stack).toMatch(/builder\.test\.ts/);
    const e2 = buildError(() => op.gemm(a, c, null, { transB: false }));
    expect(e2.message).toMatch(/^Gemm: inner dimensions differ: \[2, 3\] × \[4, 3\]$/);
  });

  it('Concat mismatch outside the axis, and mixed ranks', () => {
    expect(buildError(() => op.concat([a, b], 0)).message).toBe('Concat: [2, 3], [4, 5] differ outside axis 0');
    expect(buildError(() => op.concat([a, g.input('v', 'float32', [3])], 0)).message).toMatch(/^Concat: inputs have different ranks: \[2, 3\], \[3\]$/);
    expect(buildError(() => op.concat([a], 2)).message).toBe('Concat: axis 2 is out of range for rank 2');
  });

  it('a Transpose perm that is not a permutation', () => {
    expect(buildError(() => op.transpose(a, [0, 0])).message).toBe('Transpose: perm [0,0] is not a permutation of rank 2 (a [2, 3])');
    expect(buildError(() => op.transpose(a, [1, 0, 2])).message).toMatch(/^Transpose: perm \[1,0,2\] is not a permutation of rank 2/);
    // Ranks above 10 too (a lexicographic sort would reject [0..10]).
    const big = g.input('big', 'float32', Array(11).fill(1));
    expect(op.transpose(big, [...Array(11).keys()].reverse()).shape).toEqual(Array(11).fill(1));
  });

  it('broadcast failure names the op, both shapes and the dim', () => {
    expect(buildError(() => op.add(a, c)).message).toBe('Add: shapes [2, 3] and [4, 3] do not broadcast (dim 0: 2 vs 4)');
    expect(buildError(() => op.where(g.input('m', 'bool', [5]), a, a)).message).toMatch(/^Where: shapes \[5\] and \[2, 3\] do not broadcast/);
  });

  it('symbolic and unknown dims are compatible; known ones propagate', () => {
    const x = g.input('x', 'float32', ['B', 'T', 3]);
    const w = g.input('w', 'float32', [3, 'H']);
    expect(op.matMul(x, w).shape).toEqual(['B', 'T', 'H']);
    expect(op.add(x, g.input('bias', 'float32', [1, 1, 3])).shape).toEqual(['B', 'T', 3]);
  });

  it('other constructors check their inputs', () => {
    expect(buildError(() => op.reshape(a, [4, 2])).message).toBe('Reshape: [2, 3] has 6 elements, target [4,2] has 8');
    expect(buildError(() => op.split(a, [1, 1], 1)).message).toBe('Split: sizes [1,1] do not add up to dim 1 of [2, 3]');
    expect(buildError(() => op.squeeze(a, [0])).message).toBe('Squeeze: dim 0 of [2, 3] is 2, not 1');
    expect(buildError(() => op.sigmoid(g.input('ids', 'int64', [2]))).message).toBe("Sigmoid: 'ids' must be float32 or float64, found int64");
    const x = g.input('xs', 'float32', [5, 2, 4]);
    const e = buildError(() => op.lstm({ x, w: g.input('W', 'float32', [1, 12, 4]), r: g.input('R', 'float32', [1, 12, 3]) }, { hiddenSize: 3, direction: 'bidirectional' }));
    expect(e.message).toBe("LSTM: W 'W' should be [2, 12, 4] (direction=bidirectional, hidden=3), found [1, 12, 4]");
  });
});

describe('names', () => {
  it('scopes prefix parameter, node and output names: layer3.bilstm.W', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 4]);
    const y = g.scope('layer3', () =>
      g.scope('bilstm', () => {
        const w = g.param('W', f32([4, 4]));
        expect(w.name).toBe('layer3.bilstm.W');
        return op.matMul(x, w);
      }),
    );
    expect(y.producer!.name).toBe('layer3.bilstm.MatMul');
    expect(y.name).toBe('layer3.bilstm.MatMul.out');
    g.output(y, 'y');
    const proto = toModel(g).graph!;
    expect(proto.initializer!.map((t) => t.name)).toEqual(['layer3.bilstm.W']);
    expect(proto.node![0]!.name).toBe('layer3.bilstm.MatMul');
    // A scope is popped even when its body throws.
    expect(() => g.scope('broken', () => op.matMul(x, x))).toThrow(GraphBuildError);
    expect(g.scopedName('z')).toBe('z');
  });

  it('generated names are unique; chosen names that clash are rejected', () => {
    const g = new Graph();
    const w1 = g.param('W', f32([2]));
    const w2 = g.param('W', f32([2]));
    expect([w1.name, w2.name]).toEqual(['W', 'W_1']);
    const x = g.input('x', 'float32', [2]);
    const n1 = op.relu(x);
    const n2 = op.relu(x);
    expect(n1.producer!.name).not.toBe(n2.producer!.name);
    expect(buildError(() => g.input('x', 'float32', [2])).message).toBe("the name 'x' is already used in this graph");
    expect(g.input('x', 'float32', [2], { unique: true }).name).toBe('x_1');
    // Graph outputs: a free name renames the value; a taken one goes through Identity.
    expect(g.output(n1, 'y').name).toBe('y');
    expect(buildError(() => g.output(n2, 'y')).message).toMatch(/'y' is already used/);
    const model = toModel(g);
    assertValidModel(model);
    const all = [...model.graph!.node!.flatMap((n) => n.output!), ...model.graph!.initializer!.map((t) => t.name), ...model.graph!.input!.map((i) => i.name)];
    expect(new Set(all).size).toBe(all.length);
  });

  it('names are unique across a graph and its Scan bodies (ONNX forbids shadowing)', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3, 2]);
    const s0 = g.input('s0', 'float32', [2]);
    const before = op.relu(x);
    const { states } = op.scan({ initialStates: [s0], scanInputs: [before], body: ([s], [v]) => ({ states: [op.relu(op.add(s!, v!))], outputs: [] }) });
    g.output(states[0]!, 'y');
    const model = toModel(g);
    assertValidModel(model);
    const body = model.graph!.node!.find((n) => n.opType === 'Scan')!.attribute!.find((a) => a.name === 'body')!.g!;
    const outer = new Set(model.graph!.node!.flatMap((n) => [n.name, ...n.output!]));
    for (const n of body.node!) for (const name of [n.name, ...n.output!]) expect(outer.has(name), name!).toBe(false);
  });
});

describe('Scan with a body callback', () => {
  it('a body that captures an outer value runs in onnxruntime', async () => {
    // y_t = s_t = s_{t-1} + scale ⊙ x_t, with `scale` an input of the outer graph.
    const g = new Graph();
    const x = g.input('x', 'float32', [4, 3]);
    const scale = g.input('scale', 'float32', [3]);
    const s0 = g.input('s0', 'float32', [3]);
    const { states, outputs } = op.scan({
      initialStates: [s0],
      scanInputs: [x],
      body: ([s], [xt]) => {
        const next = op.add(s!, op.mul(xt!, scale));
        return { states: [next], outputs: [op.identity(next)] };
      },
    });
    expect(states[0]!.shape).toEqual([3]);
    expect(outputs[0]!.shape).toEqual([4, 3]);
    g.output(states[0]!, 'final');
    g.output(outputs[0]!, 'all');
    const model = toModel(g);
    assertValidModel(model);
    const xs = f32([4, 3]);
    const res = await runModel(model, { x: xs, scale: f32([3], [1, 0.5, -1]), s0: f32([3], [10, 20, 30]) });
    const expected: number[] = [];
    const s = [10, 20, 30];
    for (let t = 0; t < 4; t++) {
      for (let j = 0; j < 3; j++) s[j]! += (xs.data as Float32Array)[t * 3 + j]! * [1, 0.5, -1][j]!;
      expected.push(...s);
    }
    expect(Array.from(res.all!.data as Float32Array)).toEqual(expected);
    expect(Array.from(res.final!.data as Float32Array)).toEqual(expected.slice(9));
  });

  it('reverse direction and body constants', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3, 2]);
    const { outputs } = op.scan({
      initialStates: [g.input('s0', 'float32', [2])],
      scanInputs: [x],
      scanInputDirections: [1],
      body: ([s], [xt]) => {
        const next = op.add(s!, op.mul(xt!, 2));
        return { states: [next], outputs: [op.identity(next)] };
      },
    });
    g.output(outputs[0]!, 'y');
    const res = await runModel(toModel(g), { x: f32([3, 2]), s0: f32([2], [0, 0]) });
    // Rows visited 3, 2, 1 (reversed), outputs written in visiting order.
    expect(Array.from(res.y!.data as Float32Array)).toEqual([10, 12, 16, 20, 18, 24]);
  });
});

describe('toModel', () => {
  function reduceMaxGraph(): Graph {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    g.output(op.reduceMax(x, [1], { keepdims: false }), 'm');
    g.output(op.reduceSum(x, [0], { keepdims: true }), 's');
    return g;
  }
  const nodeOf = (nodes: NodeProto[], opType: string): NodeProto => nodes.find((n) => n.opType === opType)!;

  it('opset 17 writes ReduceMax axes as an attribute, opset 18 as an input; both run alike', async () => {
    const m17 = toModel(reduceMaxGraph(), { opset: 17 });
    const m18 = toModel(reduceMaxGraph(), { opset: 18 });
    expect(m17.irVersion).toBe(8);
    expect(m18.irVersion).toBe(8);
    expect(toNumber(m17.opsetImport![0]!.version as number)).toBe(17);
    const r17 = nodeOf(m17.graph!.node!, 'ReduceMax');
    const r18 = nodeOf(m18.graph!.node!, 'ReduceMax');
    expect(r17.attribute!.map((a) => a.name).sort()).toEqual(['axes', 'keepdims']);
    expect(r17.input).toHaveLength(1);
    expect(r18.attribute!.map((a) => a.name)).toEqual(['keepdims']);
    expect(r18.input).toHaveLength(2);
    expect(m18.graph!.initializer!.map((t) => t.name)).toContain(r18.input![1]);
    // ReduceSum takes axes as an input from opset 13 on: at both.
    expect(nodeOf(m17.graph!.node!, 'ReduceSum').input).toHaveLength(2);
    const x = f32([2, 3], [1, 5, 3, -4, -2, -9]);
    for (const m of [m17, m18]) {
      assertValidModel(m);
      const res = await runModel(decodeModel(encodeModel(m)), { x });
      expect(Array.from(res.m!.data as Float32Array)).toEqual([5, -2]);
      expect(res.s!.dims).toEqual([1, 3]);
      expect(Array.from(res.s!.data as Float32Array)).toEqual([-3, 3, -6]);
    }
  });

  it('rejects opsets outside 13–21 and graphs without outputs', () => {
    expect(buildError(() => toModel(reduceMaxGraph(), { opset: 12 })).message).toMatch(/opset 12 is not supported/);
    expect(buildError(() => toModel(reduceMaxGraph(), { opset: 22 })).message).toMatch(/opset 22 is not supported/);
    expect(buildError(() => toModel(new Graph({ name: 'empty' }))).message).toBe("graph 'empty' has no outputs");
  });

  it('paramsAsInputs emits parameters as graph inputs (constants stay initializers)', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 2]);
    const w = g.param('w', f32([2, 2], [1, 2, 3, 4]));
    const b = g.param('b', f32([2], [0.5, -0.5]));
    g.output(op.add(op.mul(op.add(op.matMul(x, w), b), 2), g.constant(f32([2], [100, 200]), 'offset')), 'y');
    const plain = toModel(g);
    expect(plain.graph!.input!.map((i) => i.name)).toEqual(['x']);
    expect(plain.graph!.initializer!.map((t) => t.name)).toEqual(expect.arrayContaining(['w', 'b', 'offset']));
    const asInputs = toModel(g, { paramsAsInputs: true });
    assertValidModel(asInputs);
    expect(asInputs.graph!.input!.map((i) => i.name)).toEqual(['x', 'w', 'b']);
    const inits = asInputs.graph!.initializer!.map((t) => t.name);
    expect(inits).toContain('offset');
    expect(inits).not.toContain('w');
    expect(inits).not.toContain('b');
    const xv = f32([1, 2], [1, 1]);
    const fromInit = await runModel(plain, { x: xv });
    const fed = await runModel(asInputs, { x: xv, w: f32([2, 2], [1, 2, 3, 4]), b: f32([2], [0.5, -0.5]) });
    expect(Array.from(fed.y!.data as Float32Array)).toEqual(Array.from(fromInit.y!.data as Float32Array));
    expect(Array.from(fed.y!.data as Float32Array)).toEqual([109, 211]);
    const other = await runModel(asInputs, { x: xv, w: f32([2, 2], [0, 0, 0, 0]), b: f32([2], [1, 1]) });
    expect(Array.from(other.y!.data as Float32Array)).toEqual([102, 202]);
  });

  it('debug mode writes the creation stack into each node doc_string', () => {
    const build = (debug: boolean): NodeProto[] => {
      const g = new Graph({ debug });
      const x = g.input('x', 'float32', [2]);
      g.output(op.tanh(op.sigmoid(x)), 'y');
      return decodeModel(encodeModel(toModel(g))).graph!.node!;
    };
    for (const n of build(true)) {
      expect(n.docString).toMatch(/^built at:\n/);
      expect(n.docString).toMatch(/builder\.test\.ts:\d+/);
      expect(n.docString).not.toMatch(/addNode/);
    }
    for (const n of build(false)) expect(n.docString ?? '').toBe('');
  });
});

describe('constructors fixed against ONNX semantics', () => {
  const run1 = async (g: Graph, feeds: Record<string, Tensor>, out: Value): Promise<Tensor> => {
    g.output(out, 'out');
    return (await runModel(toModel(g), feeds)).out!;
  };

  it('Slice with a negative step clamps a very negative start to 0, like onnxruntime', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [5]);
    const y = op.slice(x, [-100], [-200], [0], [-1]);
    expect(y.shape).toEqual([1]);
    const r = await run1(g, { x: f32([5]) }, y);
    expect(r.dims).toEqual([1]);
    expect(Array.from(r.data as Float32Array)).toEqual([1]);
  });

  it('Slice ends given as 2**63 or Infinity mean "to the end" (no int64 wrap-around)', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [5]);
    const y = op.slice(op.slice(x, [1], [2 ** 63]), [0], [Infinity]);
    expect(y.shape).toEqual([4]);
    const r = await run1(g, { x: f32([5]) }, y);
    expect(Array.from(r.data as Float32Array)).toEqual([2, 3, 4, 5]);
  });

  it('Pow takes an exponent of another dtype (ONNX T, T1); OneHot takes depth as a Value', async () => {
    const g = new Graph();
    const base = g.input('base', 'float32', [3]);
    const e = g.input('e', 'int64', [3]);
    const p = op.pow(base, e);
    expect(p.dtype).toBe('float32');
    const idx = g.input('idx', 'int64', [2]);
    const oh = op.oneHot(idx, g.constant(tensorOf('int64', 3, []), 'depth'), g.constant(tensorOf('float32', [0, 1]), 'onoff'));
    expect(oh.shape).toEqual([2, 3]);
    g.output(oh, 'oh');
    const r = await run1(g, { base: f32([3], [2, 3, 4]), e: tensorOf('int64', [3, 2, 0]), idx: tensorOf('int64', [2, 0]) }, p);
    expect(Array.from(r.data as Float32Array)).toEqual([8, 9, 1]);
  });
});
