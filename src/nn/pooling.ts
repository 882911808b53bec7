// Max over the valid time steps of a ragged, time-major batch.
import { op, type Value } from '../graph/index.js';

/** The lowest finite float32: padded steps can never win the max, and no inf/NaN arises. */
export const FLOAT32_LOWEST = -3.4028234663852886e38;

/**
 * x [T, B, D], lengths int32 [B] → [B, D]: max over t < length[b].
 * Mask = Range(0, T) < lengths, with T = Shape(x)[0]; masked steps become FLOAT32_LOWEST.
 */
export function maskedMaxPool(x: Value, lengths: Value): Value {
  const g = x.graph;
  const mask = op.unsqueeze(validSteps(x, lengths), [2]); // [T, B, 1]
  const lowest = g.scalar(FLOAT32_LOWEST, x.dtype === 'float64' ? 'float64' : 'float32');
  return op.reduceMax(op.where(mask, x, lowest), [0]);
}

/** bool [T, B]: step t of sequence b is inside its length. */
export function validSteps(x: Value, lengths: Value): Value {
  const g = x.graph;
  const T = op.gather(op.shapeOf(x), g.vector([0], 'int64', []), 0); // int64 scalar
  const steps = op.range(g.scalar(0, 'int64'), T, g.scalar(1, 'int64')); // [T]
  return op.less(op.unsqueeze(steps, [1]), op.unsqueeze(op.cast(lengths, 'int64'), [0]));
}
