// Elementwise Max and Min (variadic). At a tie the whole gradient goes to the FIRST input
// holding the extreme (as TF's Maximum), so the pieces always add up to dy.
import type { GradContext, GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

function extremeGrad({ node, gradOutputs: [dy], needsInputGrad }: GradContext): (Value | null)[] {
  const xs = node.inputs as Value[];
  const isMax = node.opType === 'Max';
  if (xs.length === 1) return [dy!];
  if (xs.length === 2) {
    // a wins ties: Max → a ≥ b, Min → a ≤ b.
    const first = isMax ? op.greaterOrEqual(xs[0]!, xs[1]!) : op.lessOrEqual(xs[0]!, xs[1]!);
    return [needsInputGrad[0] ? op.where(first, dy!, 0) : null, needsInputGrad[1] ? op.where(first, 0, dy!) : null];
  }
  const y = node.outputs[0]!;
  let taken: Value | null = null;
  return xs.map((x, i) => {
    const hit = op.equal(x, y);
    const mine = taken ? op.and(hit, op.not(taken)) : hit;
    if (i < xs.length - 1) taken = taken ? op.or(taken, hit) : hit;
    return needsInputGrad[i] ? op.where(mine, dy!, 0) : null;
  });
}

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Max: extremeGrad,
  Min: extremeGrad,
};
