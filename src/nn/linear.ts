// Affine map on the last axis: MatMul + Add, so any leading dims ([B, In], [T, B, In]) work.
import { op, type Value } from '../graph/index.js';
import type { OpOptions } from '../graph/ops/index.js';

/** x [..., In] · weight [In, Out] + bias [Out] → [..., Out]. */
export function linear(x: Value, weight: Value, bias: Value, o?: OpOptions): Value {
  return op.add(op.matMul(x, weight), bias, o);
}
