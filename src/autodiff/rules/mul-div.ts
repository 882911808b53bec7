// Mul and Div. Div reuses the forward output: for y = a/b, ∂/∂b = −(dy/b)·y.
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Mul: ({ node, gradOutputs: [dy], needsInputGrad }) => {
    const [a, b] = node.inputs as [Value, Value];
    return [needsInputGrad[0] ? op.mul(dy!, b) : null, needsInputGrad[1] ? op.mul(dy!, a) : null];
  },
  Div: ({ node, gradOutputs: [dy], needsInputGrad }) => {
    const b = node.inputs[1]!;
    const da = op.div(dy!, b);
    return [needsInputGrad[0] ? da : null, needsInputGrad[1] ? op.neg(op.mul(da, node.outputs[0]!)) : null];
  },
};
