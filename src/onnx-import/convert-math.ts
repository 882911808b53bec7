// Converters for the ops gradients flow through: elementwise math, activations, linear
// algebra, softmax, reductions and the LSTM. Each rebuilds the node with the builder's typed
// constructor, so shapes are checked and the autodiff rule of the same op applies.
import { op, type Value } from '../graph/index.js';
import { normAxis } from '../graph/shape.js';
import type { Ctx } from './context.js';

export type Converter = (c: Ctx) => (Value | null)[];

const binary = (f: (a: Value, b: Value) => Value): Converter => (c) => [f(c.input(0), c.input(1))];
const unary = (f: (x: Value) => Value): Converter => (c) => [f(c.input(0))];

/** Max/Min take 1…n inputs in ONNX: folded pairwise (Max(a, b, c) = Max(Max(a, b), c)). */
const variadic = (f: (a: Value, b: Value) => Value): Converter => (c) => {
  const xs = c.ins.filter((v): v is Value => v !== null);
  if (xs.length === 0) c.fail('needs at least one input');
  return [xs.slice(1).reduce((acc, x) => f(acc, x), xs[0]!)];
};

/** Axes of a reduction: the attribute (opset < 18, ReduceSum < 13) or the constant second input. */
export function reductionAxes(c: Ctx): number[] | null {
  const fromAttr = c.ints('axes');
  if (fromAttr) return fromAttr;
  if (c.opt(1)) return c.requireInts(1, 'axes');
  return null;
}

const reduce = (f: (x: Value, axes: number[] | undefined, o: { keepdims: boolean }) => Value): Converter => (c) => {
  const x = c.input(0);
  const axes = reductionAxes(c);
  const keepdims = c.int('keepdims', 1) === 1;
  if ((!axes || axes.length === 0) && c.int('noop_with_empty_axes', 0) === 1) return [x];
  return [f(x, axes && axes.length > 0 ? axes : undefined, { keepdims })];
};

const gemm: Converter = (c) => {
  const a = c.input(0);
  const b = c.input(1);
  const bias = c.opt(2);
  const alpha = c.float('alpha', 1);
  const beta = c.float('beta', 1);
  return [op.gemm(a, b, bias, {
    transA: c.int('transA', 0) === 1,
    transB: c.int('transB', 0) === 1,
    ...(alpha !== 1 ? { alpha } : {}),
    ...(beta !== 1 && bias ? { beta } : {}),
  })];
};

const softmaxLike = (f: typeof op.softmax): Converter => (c) => {
  if (c.opset < 13) c.fail('Softmax/LogSoftmax before opset 13 (2-D coercion) is not supported');
  return [f(c.input(0), c.int('axis', -1))];
};

const DEFAULT_ACTIVATIONS = ['Sigmoid', 'Tanh', 'Tanh'];

/** ONNX LSTM with the defaults torch.onnx.export writes (layout 0, default activations, no peepholes). */
const lstm: Converter = (c) => {
  const direction = c.string('direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) c.fail(`unknown direction '${direction}'`);
  const D = direction === 'bidirectional' ? 2 : 1;
  const acts = c.attrs.activations;
  if (acts && acts.type === 'strings') {
    const want = Array.from({ length: D }, () => DEFAULT_ACTIVATIONS).flat();
    if (acts.value.join() !== want.join()) c.fail(`activations [${acts.value.join(', ')}] are not supported (only the default Sigmoid, Tanh, Tanh)`);
  }
  c.refuseAttrs(['activation_alpha', 'activation_beta', 'clip']);
  if (c.int('input_forget', 0) !== 0) c.fail('input_forget=1 is not supported');
  if (c.int('layout', 0) !== 0) c.fail('layout=1 (batch-major) is not supported: onnxruntime runs LSTM with layout 0 only');
  if (c.opt(7)) c.fail('peephole weights (input P) are not supported');
  const hiddenSize = c.int('hidden_size', 0);
  if (hiddenSize <= 0) c.fail('the hidden_size attribute is required');
  const seq = c.opt(4);
  if (seq && seq.dtype !== 'int32') c.fail(`sequence_lens must be int32, found ${seq.dtype}`);
  const { y, yH, yC } = op.lstm(
    { x: c.input(0), w: c.input(1), r: c.input(2), b: c.opt(3), sequenceLens: seq, initialH: c.opt(5), initialC: c.opt(6) },
    { hiddenSize, direction: direction as 'forward' | 'reverse' | 'bidirectional' },
  );
  return [y, yH, yC];
};

const clip: Converter = (c) => {
  const x = c.input(0);
  const lo = c.opt(1);
  const hi = c.opt(2);
  if (lo && hi) return [op.clip(x, lo, hi)];
  // One bound missing: the node as it is (the Clip gradient rule handles absent bounds).
  return c.g.addNode('Clip', [x, lo, hi], {}, [{ dtype: x.dtype, shape: x.shape }]);
};

const matMul: Converter = (c) => [op.matMul(c.input(0), c.input(1))];

export const MATH_CONVERTERS: Record<string, Converter> = {
  Add: binary(op.add),
  Sub: binary(op.sub),
  Mul: binary(op.mul),
  Div: binary(op.div),
  Pow: binary(op.pow),
  Max: variadic(op.max),
  Min: variadic(op.min),
  Sum: (c) => [op.sum(c.ins.filter((v): v is Value => v !== null))],
  Neg: unary(op.neg),
  Abs: unary(op.abs),
  Sigmoid: unary(op.sigmoid),
  Tanh: unary(op.tanh),
  Relu: unary(op.relu),
  Exp: unary(op.exp),
  Log: unary(op.log),
  Sqrt: unary(op.sqrt),
  Reciprocal: unary(op.reciprocal),
  Where: (c) => [op.where(c.input(0), c.input(1), c.input(2))],
  Clip: clip,
  MatMul: matMul,
  Gemm: gemm,
  Softmax: softmaxLike(op.softmax),
  LogSoftmax: softmaxLike(op.logSoftmax),
  ReduceMax: reduce(op.reduceMax),
  ReduceMin: reduce(op.reduceMin),
  ReduceMean: reduce(op.reduceMean),
  ReduceSum: reduce(op.reduceSum),
  ReduceSumSquare: reduce(op.reduceSumSquare),
  LSTM: lstm,
  ArgMax: (c) => {
    if (c.int('select_last_index', 0) !== 0) c.fail('select_last_index=1 is not supported');
    const x = c.input(0);
    const axis = c.int('axis', 0);
    if (x.rank !== null) normAxis('ArgMax', axis, x.rank);
    return [op.argMax(x, axis, { keepdims: c.int('keepdims', 1) === 1 })];
  },
};
