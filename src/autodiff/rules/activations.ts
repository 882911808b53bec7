// Sigmoid, Tanh, Relu, Abs: written in terms of the forward output where possible, so
// the backward reuses what the forward computed instead of recomputing it.
import type { GradientTable } from '../rule.js';
import * as op from '../../graph/ops/index.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  // σ' = y·(1 − y)
  Sigmoid: ({ node, gradOutputs: [dy] }) => {
    const y = node.outputs[0]!;
    return [op.mul(dy!, op.mul(y, op.sub(1, y)))];
  },
  // tanh' = 1 − y²
  Tanh: ({ node, gradOutputs: [dy] }) => {
    const y = node.outputs[0]!;
    return [op.mul(dy!, op.sub(1, op.mul(y, y)))];
  },
  // Relu' = [y > 0] (0 at x = 0, as PyTorch and TF).
  Relu: ({ node, gradOutputs: [dy] }) => [op.where(op.greater(node.outputs[0]!, 0), dy!, 0)],
  // |x|' = sign(x) (0 at x = 0).
  Abs: ({ node, gradOutputs: [dy] }) => [op.mul(dy!, op.sign(node.inputs[0]!))],
};
