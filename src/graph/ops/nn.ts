// Linear algebra, softmax family, the loss, and the LSTM op.
import { attr, type Dim, type Shape, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { broadcastShapes, dimsCompatible, fmt, normAxis, requireFloat, requireRank, requireSameDType, UNKNOWN } from '../shape.js';
import { addOp, one, type OpOptions } from './util.js';

/** MatMul with numpy semantics (batched, broadcasting leading dims). */
export function matMul(a: Value, b: Value, o?: OpOptions): Value {
  requireSameDType('MatMul', a, b);
  let shape: Shape = null;
  if (a.shape && b.shape) {
    if (a.shape.length === 0 || b.shape.length === 0) throw new GraphBuildError('MatMul: scalars are not allowed');
    const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
    const k1 = as[as.length - 1]!;
    const k2 = bs[bs.length - 2]!;
    if (!dimsCompatible(k1, k2)) {
      throw new GraphBuildError(`MatMul: inner dimensions differ: '${a.name}' ${fmt(a.shape)} × '${b.name}' ${fmt(b.shape)}`);
    }
    const batch = broadcastShapes('MatMul', as.slice(0, -2), bs.slice(0, -2))!;
    shape = [...batch, ...(a.shape.length === 1 ? [] : [as[as.length - 2]!]), ...(b.shape.length === 1 ? [] : [bs[bs.length - 1]!])];
  }
  return one('MatMul', [a, b], {}, a.dtype, shape, o);
}

/** Gemm: alpha·A'·B' + beta·C for 2-D A, B. */
export function gemm(a: Value, b: Value, c: Value | null, opts: OpOptions & { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): Value {
  requireRank('Gemm', a, 2);
  requireRank('Gemm', b, 2);
  requireSameDType('Gemm', a, b, ...(c ? [c] : []));
  let shape: Shape = null;
  if (a.shape && b.shape) {
    const [m, k1] = opts.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = opts.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (!dimsCompatible(k1, k2)) throw new GraphBuildError(`Gemm: inner dimensions differ: ${fmt(a.shape)}${opts.transA ? 'ᵀ' : ''} × ${fmt(b.shape)}${opts.transB ? 'ᵀ' : ''}`);
    shape = [m, n];
    if (c) broadcastShapes('Gemm (C)', shape, c.shape);
  }
  const attrs: Record<string, ReturnType<typeof attr.int>> = {};
  if (opts.transA) attrs.transA = attr.int(1);
  if (opts.transB) attrs.transB = attr.int(1);
  if (opts.alpha !== undefined) attrs.alpha = attr.float(opts.alpha);
  if (opts.beta !== undefined) attrs.beta = attr.float(opts.beta);
  return one('Gemm', c ? [a, b, c] : [a, b], attrs, a.dtype, shape, opts);
}

export function softmax(x: Value, axis = -1, o?: OpOptions): Value {
  requireFloat('Softmax', x);
  if (x.rank !== null) normAxis('Softmax', axis, x.rank);
  return one('Softmax', [x], { axis: attr.int(axis) }, x.dtype, x.shape, o);
}

export function logSoftmax(x: Value, axis = -1, o?: OpOptions): Value {
  requireFloat('LogSoftmax', x);
  if (x.rank !== null) normAxis('LogSoftmax', axis, x.rank);
  return one('LogSoftmax', [x], { axis: attr.int(axis) }, x.dtype, x.shape, o);
}

/** SoftmaxCrossEntropyLoss over scores [N, C] and int64 labels [N]. Returns [loss, logProb]. */
export function softmaxCrossEntropyLoss(
  scores: Value,
  labels: Value,
  opts: { reduction?: 'mean' | 'sum' | 'none'; weights?: Value; names?: [string, string] } = {},
): [Value, Value] {
  requireFloat('SoftmaxCrossEntropyLoss', scores);
  if (labels.dtype !== 'int64' && labels.dtype !== 'int32') throw new GraphBuildError(`SoftmaxCrossEntropyLoss: labels must be int32/int64, found ${labels.dtype}`);
  const reduction = opts.reduction ?? 'mean';
  const lossShape: Shape = reduction === 'none' ? labels.shape : [];
  const inputs = [scores, labels, ...(opts.weights ? [opts.weights] : [])];
  const [loss, logProb] = addOp(
    'SoftmaxCrossEntropyLoss',
    inputs,
    { reduction: attr.string(reduction) },
    [{ dtype: scores.dtype, shape: lossShape }, { dtype: scores.dtype, shape: scores.shape }],
    opts.names ? { outputNames: opts.names } : {},
  );
  return [loss!, logProb!];
}

export type LstmDirection = 'forward' | 'reverse' | 'bidirectional';

export interface LstmInputs {
  /** [T, B, I] (layout 0, the only layout onnxruntime supports). */
  x: Value;
  /** [D, 4H, I], gates i, o, f, c. */
  w: Value;
  /** [D, 4H, H]. */
  r: Value;
  /** [D, 8H] = [Wb, Rb]. */
  b?: Value | null;
  /** int32 [B]. */
  sequenceLens?: Value | null;
  initialH?: Value | null;
  initialC?: Value | null;
  /** Peephole weights [D, 3H] (gates i, o, f). Inference only: the gradient rule refuses them. */
  peepholes?: Value | null;
}

export interface LstmOptions {
  hiddenSize: number;
  direction?: LstmDirection;
  names?: [string, string, string];
}

/** ONNX LSTM. Returns { y: [T, D, B, H], yH: [D, B, H], yC: [D, B, H] }. */
export function lstm(inp: LstmInputs, opts: LstmOptions): { y: Value; yH: Value; yC: Value } {
  const { x, w, r } = inp;
  const H = opts.hiddenSize;
  const dir = opts.direction ?? 'forward';
  const D = dir === 'bidirectional' ? 2 : 1;
  requireFloat('LSTM', x);
  requireRank('LSTM', x, 3);
  requireSameDType('LSTM', x, w, r, ...(inp.b ? [inp.b] : []));
  const expect = (v: Value | null | undefined, what: string, dims: Dim[]): void => {
    if (!v || !v.shape) return;
    if (v.shape.length !== dims.length || v.shape.some((d, i) => !dimsCompatible(d, dims[i]!))) {
      throw new GraphBuildError(`LSTM: ${what} '${v.name}' should be ${fmt(dims)} (direction=${dir}, hidden=${H}), found ${fmt(v.shape)}`);
    }
  };
  const T = x.shape?.[0] ?? UNKNOWN;
  const B = x.shape?.[1] ?? UNKNOWN;
  const I = x.shape?.[2] ?? UNKNOWN;
  expect(w, 'W', [D, 4 * H, I]);
  expect(r, 'R', [D, 4 * H, H]);
  expect(inp.b, 'B', [D, 8 * H]);
  expect(inp.sequenceLens, 'sequence_lens', [B]);
  expect(inp.initialH, 'initial_h', [D, B, H]);
  expect(inp.initialC, 'initial_c', [D, B, H]);
  expect(inp.peepholes, 'P', [D, 3 * H]);
  if (inp.sequenceLens && inp.sequenceLens.dtype !== 'int32') {
    throw new GraphBuildError(`LSTM: sequence_lens '${inp.sequenceLens.name}' must be int32, found ${inp.sequenceLens.dtype}`);
  }
  const inputs = [x, w, r, inp.b ?? null, inp.sequenceLens ?? null, inp.initialH ?? null, inp.initialC ?? null, inp.peepholes ?? null];
  while (inputs[inputs.length - 1] === null) inputs.pop();
  const [y, yH, yC] = addOp(
    'LSTM',
    inputs,
    { hidden_size: attr.int(H), direction: attr.string(dir) },
    [
      { dtype: x.dtype, shape: [T, D, B, H] },
      { dtype: x.dtype, shape: [D, B, H] },
      { dtype: x.dtype, shape: [D, B, H] },
    ],
    opts.names ? { outputNames: opts.names } : {},
  );
  return { y: y!, yH: yH!, yC: yC! };
}
