// Elementwise ops: numpy broadcasting, shape known at build time.
import { attr, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { broadcastShapes, requireFloat, requireSameDType } from '../shape.js';
import { dtypeToElemType, type DType } from '../../onnx/tensor.js';
import { one, operands, type Operand, type OpOptions } from './util.js';

function binary(op: string, a: Operand, b: Operand, opts?: OpOptions, outDType?: DType): Value {
  const [x, y] = operands(op, a, b);
  requireSameDType(op, x, y);
  return one(op, [x, y], {}, outDType ?? x.dtype, broadcastShapes(op, x.shape, y.shape), opts);
}

export const add = (a: Operand, b: Operand, o?: OpOptions) => binary('Add', a, b, o);
export const sub = (a: Operand, b: Operand, o?: OpOptions) => binary('Sub', a, b, o);
export const mul = (a: Operand, b: Operand, o?: OpOptions) => binary('Mul', a, b, o);
export const div = (a: Operand, b: Operand, o?: OpOptions) => binary('Div', a, b, o);
/** Pow: base and exponent may differ in dtype (ONNX's T and T1); the result has the base's. */
export function pow(a: Operand, b: Operand, o?: OpOptions): Value {
  const [x, y] = operands('Pow', a, b);
  return one('Pow', [x, y], {}, x.dtype, broadcastShapes('Pow', x.shape, y.shape), o);
}
export const max = (a: Operand, b: Operand, o?: OpOptions) => binary('Max', a, b, o);
export const min = (a: Operand, b: Operand, o?: OpOptions) => binary('Min', a, b, o);
export const equal = (a: Operand, b: Operand, o?: OpOptions) => binary('Equal', a, b, o, 'bool');
export const less = (a: Operand, b: Operand, o?: OpOptions) => binary('Less', a, b, o, 'bool');
export const greater = (a: Operand, b: Operand, o?: OpOptions) => binary('Greater', a, b, o, 'bool');
export const greaterOrEqual = (a: Operand, b: Operand, o?: OpOptions) => binary('GreaterOrEqual', a, b, o, 'bool');
export function and(a: Value, b: Value, o?: OpOptions): Value {
  if (a.dtype !== 'bool' || b.dtype !== 'bool') throw new GraphBuildError(`And: inputs must be bool, found ${a.dtype} and ${b.dtype}`);
  return binary('And', a, b, o);
}

function unary(op: string, x: Value, opts?: OpOptions, float = true): Value {
  if (float) requireFloat(op, x);
  return one(op, [x], {}, x.dtype, x.shape, opts);
}

export const neg = (x: Value, o?: OpOptions) => unary('Neg', x, o, false);
export const abs = (x: Value, o?: OpOptions) => unary('Abs', x, o, false);
export const sign = (x: Value, o?: OpOptions) => unary('Sign', x, o, false);
export const sigmoid = (x: Value, o?: OpOptions) => unary('Sigmoid', x, o);
export const tanh = (x: Value, o?: OpOptions) => unary('Tanh', x, o);
export const relu = (x: Value, o?: OpOptions) => unary('Relu', x, o);
export const exp = (x: Value, o?: OpOptions) => unary('Exp', x, o);
export const log = (x: Value, o?: OpOptions) => unary('Log', x, o);
export const sqrt = (x: Value, o?: OpOptions) => unary('Sqrt', x, o);
export const reciprocal = (x: Value, o?: OpOptions) => unary('Reciprocal', x, o);
export const identity = (x: Value, o?: OpOptions) => unary('Identity', x, o, false);

export function not(x: Value, o?: OpOptions): Value {
  if (x.dtype !== 'bool') throw new GraphBuildError(`Not: input must be bool, found ${x.dtype}`);
  return one('Not', [x], {}, 'bool', x.shape, o);
}

/** Where(cond, a, b): three-way broadcasting. */
export function where(cond: Value, a: Operand, b: Operand, o?: OpOptions): Value {
  if (cond.dtype !== 'bool') throw new GraphBuildError(`Where: condition '${cond.name}' must be bool, found ${cond.dtype}`);
  const [x, y] = operands('Where', a, b);
  requireSameDType('Where', x, y);
  const shape = broadcastShapes('Where', cond.shape, broadcastShapes('Where', x.shape, y.shape));
  return one('Where', [cond, x, y], {}, x.dtype, shape, o);
}

export function cast(x: Value, to: DType, o?: OpOptions): Value {
  return one('Cast', [x], { to: attr.int(dtypeToElemType(to)) }, to, x.shape, o);
}

export function clip(x: Value, lo: Operand, hi: Operand, o?: OpOptions): Value {
  const [l] = operands('Clip', lo, x);
  const [h] = operands('Clip', hi, x);
  return one('Clip', [x, l, h], {}, x.dtype, x.shape, o);
}

/** Sum of any number of same-shaped (broadcastable) tensors. */
export function sum(xs: Value[], o?: OpOptions): Value {
  if (xs.length === 0) throw new GraphBuildError('Sum: needs at least one input');
  if (xs.length === 1) return xs[0]!;
  requireSameDType('Sum', ...xs);
  const shape = xs.slice(1).reduce((s, v) => broadcastShapes('Sum', s, v.shape), xs[0]!.shape);
  return one('Sum', xs, {}, xs[0]!.dtype, shape, o);
}

export function lessOrEqual(a: Operand, b: Operand, o?: OpOptions): Value {
  const [x, y] = operands('LessOrEqual', a, b);
  requireSameDType('LessOrEqual', x, y);
  return one('LessOrEqual', [x, y], {}, 'bool', broadcastShapes('LessOrEqual', x.shape, y.shape), o);
}

export function or(a: Value, b: Value, o?: OpOptions): Value {
  if (a.dtype !== 'bool' || b.dtype !== 'bool') throw new GraphBuildError(`Or: inputs must be bool, found ${a.dtype} and ${b.dtype}`);
  return one('Or', [a, b], {}, 'bool', broadcastShapes('Or', a.shape, b.shape), o);
}
