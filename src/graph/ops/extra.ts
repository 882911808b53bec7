// Op constructors added for the model layers (src/nn).
import { attr, type Shape, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { constInts, UNKNOWN } from '../shape.js';
import { tensorOf } from '../../onnx/tensor.js';
import { one, type OpOptions } from './util.js';

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
