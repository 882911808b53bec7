// Reductions. Axes are kept as an attribute in the IR; emit turns them into an input
// where the opset asks for it (ReduceSum from 13, the others from 18).
import { attr, type Shape, type Value } from '../ir.js';
import { normAxis } from '../shape.js';
import { one, type OpOptions } from './util.js';

export interface ReduceOptions extends OpOptions {
  keepdims?: boolean;
}

function reduce(op: string, x: Value, axes: number[] | undefined, o: ReduceOptions = {}): Value {
  const keep = o.keepdims ?? false;
  let shape: Shape = null;
  if (x.shape) {
    const rank = x.shape.length;
    const norm = (axes ?? [...Array(rank).keys()]).map((a) => normAxis(op, a, rank));
    shape = keep ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  }
  const attrs: Record<string, ReturnType<typeof attr.int>> = { keepdims: attr.int(keep ? 1 : 0) };
  if (axes) attrs.axes = attr.ints(axes);
  return one(op, [x], attrs, x.dtype, shape, o);
}

export const reduceSum = (x: Value, axes?: number[], o?: ReduceOptions) => reduce('ReduceSum', x, axes, o);
export const reduceMean = (x: Value, axes?: number[], o?: ReduceOptions) => reduce('ReduceMean', x, axes, o);
export const reduceMax = (x: Value, axes?: number[], o?: ReduceOptions) => reduce('ReduceMax', x, axes, o);
export const reduceMin = (x: Value, axes?: number[], o?: ReduceOptions) => reduce('ReduceMin', x, axes, o);
export const reduceSumSquare = (x: Value, axes?: number[], o?: ReduceOptions) => reduce('ReduceSumSquare', x, axes, o);

export function argMax(x: Value, axis: number, o: ReduceOptions = {}): Value {
  const keep = o.keepdims ?? false;
  const shape = x.shape ? (keep ? x.shape.map((d, i) => (i === normAxis('ArgMax', axis, x.shape!.length) ? 1 : d)) : x.shape.filter((_, i) => i !== normAxis('ArgMax', axis, x.shape!.length))) : null;
  return one('ArgMax', [x], { axis: attr.int(axis), keepdims: attr.int(keep ? 1 : 0) }, 'int64', shape, o);
}
