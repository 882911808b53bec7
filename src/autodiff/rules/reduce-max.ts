// ReduceMax / ReduceMin (the masked max-pool over time). The gradient goes to the
// positions holding the extreme; exact ties SPLIT it equally (as TF and PyTorch's amax),
// so the pieces add up to dy — a valid subgradient, unlike copying dy to every tie.
import type { GradContext, GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';
import { keepDims, rankOf, reduceAxes } from './util.js';

function extremeGrad({ node, gradOutputs: [dy] }: GradContext): (Value | null)[] {
  const x = node.inputs[0] as Value;
  const axes = reduceAxes(node, rankOf(node, x));
  const hit = op.cast(op.equal(x, keepDims(node, node.outputs[0]!, axes)), x.dtype);
  const ties = op.reduceSum(hit, axes, { keepdims: true });
  return [op.mul(hit, op.div(keepDims(node, dy!, axes), ties)), null];
}

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  ReduceMax: extremeGrad,
  ReduceMin: extremeGrad,
};
