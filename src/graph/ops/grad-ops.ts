// Constructors the gradient rules (src/autodiff/rules) need beyond the forward ops.
// Several take a `like` value and give their output exactly its shape: a gradient built
// from a run-time shape tensor keeps the input's symbolic dims, so the autodiff driver
// can see that no broadcasting has to be undone.
import { attr, type Dim, type Shape, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { broadcastShapes, fmt, requireSameDType, UNKNOWN } from '../shape.js';
import { tensorOf } from '../../onnx/tensor.js';
import { emit, one, operands, type Operand, type OpOptions } from './util.js';

const isStatic = (s: Shape): s is number[] => s !== null && s.every((d) => typeof d === 'number');

/** The shape of `x` as an int64 vector: a constant when static, else a Shape node. */
export function shapeVector(x: Value): Value {
  return isStatic(x.shape) ? x.graph.vector(x.shape, 'int64') : one('Shape', [x], {}, 'int64', [x.rank ?? UNKNOWN]);
}

/** Reshape `x` to the shape of `like` (whose element count it must have). */
export function reshapeLike(x: Value, like: Value, o?: OpOptions): Value {
  return one('Reshape', [x, shapeVector(like)], {}, x.dtype, like.shape, o);
}

/** Broadcast `x` up to the shape of `like` (x must broadcast to it). */
export function expandLike(x: Value, like: Value, o?: OpOptions): Value {
  broadcastShapes('Expand', x.shape, like.shape);
  return one('Expand', [x, shapeVector(like)], {}, x.dtype, like.shape, o);
}

/** Zeros of the shape and dtype of `like` (one ConstantOfShape when its shape is static). */
export function zerosShapedLike(like: Value, o?: OpOptions): Value {
  if (like.dtype !== 'float32' && like.dtype !== 'float64') throw new GraphBuildError(`zerosShapedLike: '${like.name}' is ${like.dtype}, not float`);
  return one('ConstantOfShape', [shapeVector(like)], { value: attr.tensor(tensorOf(like.dtype, [0], [1])) }, like.dtype, like.shape, o);
}

/** Pad with zeros (mode constant). `pads` = [begin_0 … begin_{r−1}, end_0 … end_{r−1}]. */
export function padZeros(x: Value, pads: number[], o?: OpOptions): Value {
  const rank = x.rank;
  if (rank === null || pads.length !== 2 * rank) throw new GraphBuildError(`Pad: ${pads.length} pads for '${x.name}' ${fmt(x.shape)}`);
  const shape = x.shape!.map((d, i): Dim => (typeof d === 'number' ? d + pads[i]! + pads[i + rank]! : pads[i] === 0 && pads[i + rank] === 0 ? d : UNKNOWN));
  return one('Pad', [x, x.graph.vector(pads, 'int64')], { mode: attr.string('constant') }, x.dtype, shape, o);
}

/** Split along `axis` by sizes computed at run time; `shapes` are the pieces' known shapes. */
export function splitDynamic(x: Value, sizes: Value, axis: number, shapes: Shape[], o: { names?: string[] } = {}): Value[] {
  if (sizes.dtype !== 'int64') throw new GraphBuildError(`Split: sizes '${sizes.name}' must be int64, found ${sizes.dtype}`);
  return emit('Split', [x, sizes], { axis: attr.int(axis) }, shapes.map((shape) => ({ dtype: x.dtype, shape })), o.names ? { outputNames: o.names } : {});
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

/** Number of elements, an int64 scalar. */
export function size(x: Value, o?: OpOptions): Value {
  return one('Size', [x], {}, 'int64', [], o);
}
