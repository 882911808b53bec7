// Helpers composed from op constructors (the op.* functions that are not one ONNX op each, or
// that fix an op's inputs): shapes read from another value, and the two ways to make zeros —
// shaped like a value, or of a shape computed at run time. Several take a `like` value and give
// their output exactly its shape: a gradient built from a run-time shape tensor keeps the
// input's symbolic dims, so the autodiff driver can see that no broadcasting has to be undone.
import { attr, type Shape, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { broadcastShapes, constInts, UNKNOWN } from '../shape.js';
import { tensorOf } from '../../onnx/tensor.js';
import { one, type OpOptions } from './util.js';

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

/**
 * ConstantOfShape filled with 0 of `dtype`, for a shape computed at run time.
 * `hint` gives the output dims the caller knows (symbolic or static), since the builder
 * cannot read them off a data-dependent shape tensor.
 */
export function zerosOfShape(shape: Value, dtype: 'float32' | 'float64', hint?: Shape, o?: OpOptions): Value {
  if (shape.dtype !== 'int64') throw new GraphBuildError(`zerosOfShape: shape '${shape.name}' must be int64, found ${shape.dtype}`);
  const rank = typeof shape.shape?.[0] === 'number' ? (shape.shape[0] as number) : null;
  if (hint && rank !== null && hint.length !== rank) {
    throw new GraphBuildError(`zerosOfShape: hint [${hint}] has rank ${hint.length}, the shape tensor gives rank ${rank}`);
  }
  const out: Shape = constInts(shape) ?? hint ?? (rank !== null ? Array(rank).fill(UNKNOWN) : null);
  return one('ConstantOfShape', [shape], { value: attr.tensor(tensorOf(dtype, [0], [1])) }, dtype, out, o);
}
