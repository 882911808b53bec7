// Where and Clip: the gradient is dy masked; the condition gets none.
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Where: ({ node, gradOutputs: [dy], needsInputGrad }) => {
    const cond = node.inputs[0]!;
    return [null, needsInputGrad[1] ? op.where(cond, dy!, 0) : null, needsInputGrad[2] ? op.where(cond, 0, dy!) : null];
  },
  // x passes where clip left it unchanged (x == y, bounds included); a bound collects the
  // gradient of the elements it clipped.
  Clip: ({ node, gradOutputs: [dy], needsInputGrad }) => {
    const [x, lo, hi] = node.inputs as [Value, Value | null, Value | null];
    return [
      needsInputGrad[0] ? op.where(op.equal(x, node.outputs[0]!), dy!, 0) : null,
      needsInputGrad[1] && lo ? op.where(op.less(x, lo), dy!, 0) : null,
      needsInputGrad[2] && hi ? op.where(op.greater(x, hi), dy!, 0) : null,
    ];
  },
};
