// Exp, Log, Sqrt, Reciprocal. Exp, Sqrt and Reciprocal reuse the forward output.
import type { GradientTable } from '../rule.js';
import * as op from '../../graph/ops/index.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Exp: ({ node, gradOutputs: [dy] }) => [op.mul(dy!, node.outputs[0]!)],
  Log: ({ node, gradOutputs: [dy] }) => [op.div(dy!, node.inputs[0]!)],
  // (√x)' = 1 / (2y)
  Sqrt: ({ node, gradOutputs: [dy] }) => [op.div(dy!, op.mul(node.outputs[0]!, 2))],
  // (1/x)' = −y²
  Reciprocal: ({ node, gradOutputs: [dy] }) => {
    const y = node.outputs[0]!;
    return [op.mul(op.neg(dy!), op.mul(y, y))];
  },
};
