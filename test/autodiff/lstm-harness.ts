// Test plumbing for the LSTM tests: random problems, graphs with the LSTM (op, Scan, or a
// detached node whose outputs are fed), the gradient rule applied directly, and onnxruntime.
import * as ort from 'onnxruntime-node';
import { Graph } from '../../src/graph/ir.js';
import { Node, type Value } from '../../src/graph/ir.js';
import { attr } from '../../src/graph/ir.js';
import { toModel } from '../../src/graph/emit.js';
import * as op from '../../src/graph/ops/index.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { ruleFor } from '../../src/autodiff/registry.js';
import '../../src/autodiff/rules/lstm.js';
import { lstmScan } from '../../src/nn/lstm-scan.js';
import { Rng } from '../../src/data/rng.js';
import { numDirections, type Direction, type LstmGrads, type LstmProblem } from '../reference/lstm-reference.js';

export type FloatType = 'float32' | 'float64';

export function randn(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * scale);
}

export interface ProblemSpec {
  T: number;
  B: number;
  I: number;
  H: number;
  direction: Direction;
  lens?: number[] | null;
  initial?: boolean;
  bias?: boolean;
}

export function makeProblem(seed: number, s: ProblemSpec): LstmProblem {
  const rng = new Rng(seed);
  const D = numDirections(s.direction);
  const ws = 1 / Math.sqrt(s.H);
  return {
    T: s.T,
    B: s.B,
    I: s.I,
    H: s.H,
    direction: s.direction,
    x: randn(rng, s.T * s.B * s.I),
    w: randn(rng, D * 4 * s.H * s.I, ws),
    r: randn(rng, D * 4 * s.H * s.H, ws),
    b: s.bias === false ? null : randn(rng, D * 8 * s.H, 0.5),
    lens: s.lens ?? null,
    h0: s.initial ? randn(rng, D * s.B * s.H, 0.5) : null,
    c0: s.initial ? randn(rng, D * s.B * s.H, 0.5) : null,
  };
}

/** The problem's inputs as graph inputs (symbolic T and B), in LSTM input order. */
export function problemInputs(g: Graph, p: LstmProblem, dt: FloatType) {
  const D = numDirections(p.direction);
  return {
    x: g.input('X', dt, ['T', 'B', p.I]),
    w: g.input('W', dt, [D, 4 * p.H, p.I]),
    r: g.input('R', dt, [D, 4 * p.H, p.H]),
    b: p.b ? g.input('Bias', dt, [D, 8 * p.H]) : null,
    sequenceLens: p.lens ? g.input('lens', 'int32', ['B']) : null,
    initialH: p.h0 ? g.input('h0', dt, [D, 'B', p.H]) : null,
    initialC: p.c0 ? g.input('c0', dt, [D, 'B', p.H]) : null,
  };
}

function tensor(dt: FloatType, data: Float64Array, dims: number[]): ort.Tensor {
  return new ort.Tensor(dt, dt === 'float32' ? Float32Array.from(data) : data, dims);
}

export function problemFeeds(p: LstmProblem, dt: FloatType): Record<string, ort.Tensor> {
  const D = numDirections(p.direction);
  const feeds: Record<string, ort.Tensor> = {
    X: tensor(dt, p.x, [p.T, p.B, p.I]),
    W: tensor(dt, p.w, [D, 4 * p.H, p.I]),
    R: tensor(dt, p.r, [D, 4 * p.H, p.H]),
  };
  if (p.b) feeds.Bias = tensor(dt, p.b, [D, 8 * p.H]);
  if (p.lens) feeds.lens = new ort.Tensor('int32', Int32Array.from(p.lens), [p.B]);
  if (p.h0) feeds.h0 = tensor(dt, p.h0, [D, p.B, p.H]);
  if (p.c0) feeds.c0 = tensor(dt, p.c0, [D, p.B, p.H]);
  return feeds;
}

export function floatFeed(dt: FloatType, data: Float64Array, dims: number[]): ort.Tensor {
  return tensor(dt, data, dims);
}

export async function session(g: Graph, opset = 17, options: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(toModel(g, { opset })), options);
}

export async function run(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float64Array>> {
  const out = await s.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Float64Array.from(t.data as Float32Array)]));
}

/** A graph computing the LSTM forward with the op or with lstmScan; outputs Y, Y_h, Y_c. */
export function forwardGraph(p: LstmProblem, dt: FloatType, impl: 'op' | 'scan'): Graph {
  const g = new Graph({ name: `lstm_${impl}` });
  const inp = problemInputs(g, p, dt);
  const opts = { hiddenSize: p.H, direction: p.direction };
  const { y, yH, yC } = impl === 'op' ? op.lstm(inp, opts) : lstmScan(inp, opts);
  g.output(y, 'Y');
  g.output(yH, 'Y_h');
  g.output(yC, 'Y_c');
  return g;
}

export const GRAD_NAMES = ['x', 'w', 'r', 'b', 'lens', 'h0', 'c0'] as const;

export interface GradGraphOptions {
  dt: FloatType;
  /** 'op': the LSTM op runs in the graph; 'fed': a detached LSTM node whose Y, Y_h, Y_c are graph inputs. */
  forward: 'op' | 'fed';
  /** Which of dY, dY_h, dY_c reach the loss (default all). */
  grads?: [boolean, boolean, boolean];
  /** Per LSTM input, whether its gradient is asked for (default: every float input). */
  needsInputGrad?: boolean[];
}

/**
 * loss = Σ Y·A + Σ Y_h·Bw + Σ Y_c·Cw, so (dY, dY_h, dY_c) = (A, Bw, Cw): fed as inputs dY,
 * dY_h, dY_c, and the rule is applied to the LSTM node directly (no driver needed).
 * Outputs: d_x, d_w, d_r, d_b, d_h0, d_c0 for the inputs present.
 */
export function gradGraph(p: LstmProblem, o: GradGraphOptions): { g: Graph; node: Node } {
  const g = new Graph({ name: 'lstm_grad_test' });
  const inp = problemInputs(g, p, o.dt);
  const D = numDirections(p.direction);
  const inputs: (Value | null)[] = [inp.x, inp.w, inp.r, inp.b, inp.sequenceLens, inp.initialH, inp.initialC];
  while (inputs[inputs.length - 1] === null) inputs.pop();
  let node: Node;
  if (o.forward === 'op') {
    const { y } = op.lstm(inp, { hiddenSize: p.H, direction: p.direction });
    node = y.producer!;
  } else {
    node = new Node(g, 'LSTM', 'lstm_detached', inputs, { hidden_size: attr.int(p.H), direction: attr.string(p.direction) });
    node.outputs.push(g.input('Y', o.dt, ['T', D, 'B', p.H]), g.input('Y_h', o.dt, [D, 'B', p.H]), g.input('Y_c', o.dt, [D, 'B', p.H]));
  }
  const want = o.grads ?? [true, true, true];
  const gradOutputs = [
    want[0] ? g.input('dY', o.dt, ['T', D, 'B', p.H]) : null,
    want[1] ? g.input('dY_h', o.dt, [D, 'B', p.H]) : null,
    want[2] ? g.input('dY_c', o.dt, [D, 'B', p.H]) : null,
  ];
  const needsInputGrad = node.inputs.map((v, k) => v !== null && v.dtype !== 'int32' && (o.needsInputGrad?.[k] ?? true));
  const grads = ruleFor(node)({ node, graph: g, gradOutputs, needsInputGrad });
  grads.forEach((d, k) => {
    if (d) g.output(d, `d_${GRAD_NAMES[k]}`);
  });
  return { g, node };
}

export interface Cotangents {
  dY: Float64Array;
  dYh: Float64Array;
  dYc: Float64Array;
}

export function makeCotangents(seed: number, p: LstmProblem, want: [boolean, boolean, boolean] = [true, true, true]): Cotangents {
  const rng = new Rng(seed);
  const D = numDirections(p.direction);
  const n = D * p.B * p.H;
  const dY = randn(rng, p.T * n);
  const dYh = randn(rng, n);
  const dYc = randn(rng, n);
  return { dY: want[0] ? dY : new Float64Array(p.T * n), dYh: want[1] ? dYh : new Float64Array(n), dYc: want[2] ? dYc : new Float64Array(n) };
}

export function cotangentFeeds(p: LstmProblem, c: Cotangents, dt: FloatType, want: [boolean, boolean, boolean] = [true, true, true]): Record<string, ort.Tensor> {
  const D = numDirections(p.direction);
  const feeds: Record<string, ort.Tensor> = {};
  if (want[0]) feeds.dY = tensor(dt, c.dY, [p.T, D, p.B, p.H]);
  if (want[1]) feeds.dY_h = tensor(dt, c.dYh, [D, p.B, p.H]);
  if (want[2]) feeds.dY_c = tensor(dt, c.dYc, [D, p.B, p.H]);
  return feeds;
}

/** max |a − b| / max |b|: an error relative to the tensor's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    scale = Math.max(scale, Math.abs(b[k]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** The reference gradients keyed like the graph's outputs, for the inputs the problem has. */
export function refByName(p: LstmProblem, gr: LstmGrads): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = { d_x: gr.x, d_w: gr.w, d_r: gr.r };
  if (p.b) out.d_b = gr.b;
  if (p.h0) out.d_h0 = gr.h0;
  if (p.c0) out.d_c0 = gr.c0;
  return out;
}

/** The Scan nodes of a graph and their body node counts. */
export function scanBodies(g: Graph): { node: Node; body: string; nodes: number; ops: string[] }[] {
  return g.nodes
    .filter((n) => n.opType === 'Scan')
    .map((n) => {
      const a = n.attrs.body;
      const body = a && a.type === 'graph' ? a.value : null;
      return { node: n, body: body?.name ?? '', nodes: body ? body.nodes.length : -1, ops: body ? body.nodes.map((m) => m.opType) : [] };
    });
}
