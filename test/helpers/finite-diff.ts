// Gradient checks the JAX `check_vjp` way: one random direction v, one number. For a
// graph f and loss L(x) = Σ_k Σ f_k(x) ⊙ W_k (W_k fixed random weights fed as inputs),
// compare the central difference (L(x+εv) − L(x−εv)) / 2ε with ⟨∇L(x), v⟩.
import { Graph, type Dim, type Value } from '../../src/graph/index.js';
import * as op from '../../src/graph/ops/index.js';
import { gradients } from '../../src/autodiff/index.js';
import { allocate, type DType, type Tensor } from '../../src/onnx/tensor.js';
import { f64, runGraph, type Feeds } from './run-graph.js';

/** Deterministic generator (mulberry32) with normal draws (Box–Muller). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  uniform(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

export interface CaseInput {
  name: string;
  /** Concrete dims fed at run time. */
  dims: number[];
  /** Declared graph-input shape (symbolic dims allowed); default `dims`. */
  declared?: Dim[];
  dtype?: DType;
  /** Fixed values, or a generator per element (default: standard normal). */
  values?: number[] | ((rng: Rng, i: number) => number);
  /** Differentiate with respect to it (default: every float input). */
  wrt?: boolean;
}

export interface OpCase {
  name: string;
  /** The op type under test (the row of the error table). */
  op: string;
  inputs: CaseInput[];
  build: (xs: Value[], g: Graph) => Value | Value[];
  /** Concrete output dims where the declared output shape is symbolic. */
  outDims?: number[][];
  opset?: number;
  eps?: number;
  /** Largest acceptable relative error (default 1e-6). */
  tol?: number;
}

export interface BuiltCase {
  graph: Graph;
  wrt: Value[];
  loss: Value;
  grads: Map<Value, Value>;
  feeds: Feeds;
}

function fill(dtype: DType, dims: number[], gen: (i: number) => number): Tensor {
  const t = allocate(dtype, dims);
  for (let i = 0; i < t.data.length; i++) {
    const v = gen(i);
    if (t.dtype === 'int64') (t.data as BigInt64Array)[i] = BigInt(v);
    else (t.data as Float64Array)[i] = v;
  }
  return t;
}

/** The case's graph with loss = Σ_k ReduceSum(out_k ⊙ W_k) and its gradients as outputs. */
export function buildCase(c: OpCase, seed = 1): BuiltCase {
  const rng = new Rng(seed);
  const graph = new Graph({ name: c.name.replace(/\W+/g, '_') });
  const feeds: Feeds = {};
  const xs = c.inputs.map((inp) => {
    const dtype = inp.dtype ?? 'float64';
    const gen = typeof inp.values === 'function' ? inp.values : Array.isArray(inp.values) ? ((_: Rng, i: number) => (inp.values as number[])[i]!) : (r: Rng) => r.normal();
    feeds[inp.name] = fill(dtype, inp.dims, (i) => gen(rng, i));
    return graph.input(inp.name, dtype, inp.declared ?? inp.dims);
  });
  const wrt = xs.filter((x, i) => (c.inputs[i]!.wrt ?? true) && (x.dtype === 'float64' || x.dtype === 'float32'));
  const built = c.build(xs, graph);
  const outs = Array.isArray(built) ? built : [built];
  let loss: Value | null = null;
  outs.forEach((y, k) => {
    const dims = c.outDims?.[k] ?? y.staticShape();
    const w = graph.input(`loss_w${k}`, y.dtype, y.shape);
    feeds[w.name] = fill(y.dtype, dims, () => rng.normal());
    const term = y.rank === 0 ? op.mul(y, w) : op.reduceSum(op.mul(y, w), undefined, { keepdims: false });
    loss = loss ? op.add(loss, term) : term;
  });
  const grads = gradients(graph, loss!, wrt, { opset: c.opset });
  graph.output(loss!, 'loss');
  for (const x of wrt) graph.output(grads.get(x)!, `d_${x.name}`);
  return { graph, wrt, loss: loss!, grads, feeds };
}

export interface VjpResult {
  fd: number;
  analytic: number;
  relErr: number;
}

/** Central difference along one random direction against ⟨∇L, v⟩. */
export async function checkVjp(c: OpCase, seed = 1): Promise<VjpResult> {
  const b = buildCase(c, seed);
  const rng = new Rng(seed * 7919 + 17);
  const eps = c.eps ?? 1e-6;
  const opts = { opset: c.opset };
  const base = await runGraph(b.graph, b.feeds, opts);
  const dirs = b.wrt.map((x) => Float64Array.from(b.feeds[x.name]!.data as Float64Array, () => rng.normal()));
  const shifted = (sign: number): Feeds => {
    const f: Feeds = { ...b.feeds };
    b.wrt.forEach((x, i) => {
      const t = b.feeds[x.name]!;
      const data = (t.data as Float64Array).map((v, j) => v + sign * eps * dirs[i]![j]!);
      f[x.name] = { ...t, data } as Tensor;
    });
    return f;
  };
  const lossAt = async (sign: number): Promise<number> => f64((await runGraph(b.graph, shifted(sign), { ...opts, outputs: ['loss'] })).loss)[0]!;
  const fd = ((await lossAt(1)) - (await lossAt(-1))) / (2 * eps);
  let analytic = 0;
  b.wrt.forEach((x, i) => {
    const g = f64(base[`d_${x.name}`]);
    if (g.length !== dirs[i]!.length) throw new Error(`${c.name}: gradient of '${x.name}' has ${g.length} values, the input ${dirs[i]!.length}`);
    g.forEach((v, j) => (analytic += v * dirs[i]![j]!));
  });
  const relErr = Math.abs(fd - analytic) / Math.max(Math.abs(fd), Math.abs(analytic), 1e-10);
  return { fd, analytic, relErr };
}
