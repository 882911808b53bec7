// Affine map on the last axis: MatMul + Add, so any leading dims ([B, In], [T, B, In]) work.
import { op, type Value } from '../graph/index.js';
import type { OpOptions } from '../graph/ops/index.js';
import { uniformInit, type ParamInit, type ParamSpec } from './params.js';

/** `weight` [In, Out] and `bias` [Out], both U(−1/√In, 1/√In) as PyTorch's nn.Linear
 *  (the bias's initialisation can be given instead: the highway gate's is a constant). */
export function linearParamSpecs(inWidth: number, outWidth: number, biasInit: ParamInit = uniformInit(inWidth)): ParamSpec[] {
  return [
    { name: 'weight', dims: [inWidth, outWidth], init: uniformInit(inWidth), layout: 'linear-weight' },
    { name: 'bias', dims: [outWidth], init: biasInit, layout: 'plain' },
  ];
}

/** x [..., In] · weight [In, Out] + bias [Out] → [..., Out]. */
export function linear(x: Value, weight: Value, bias: Value, o?: OpOptions): Value {
  return op.add(op.matMul(x, weight), bias, o);
}
