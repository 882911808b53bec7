// Sigmoid, Tanh, Relu, Abs: written in terms of the forward output where possible, so
// the backward reuses what the forward computed instead of recomputing it.
import { registerGradient } from '../registry.js';
import * as op from '../../graph/ops/index.js';

// σ' = y·(1 − y)
registerGradient('Sigmoid', ({ node, gradOutputs: [dy] }) => {
  const y = node.outputs[0]!;
  return [op.mul(dy!, op.mul(y, op.sub(1, y)))];
});

// tanh' = 1 − y²
registerGradient('Tanh', ({ node, gradOutputs: [dy] }) => {
  const y = node.outputs[0]!;
  return [op.mul(dy!, op.sub(1, op.mul(y, y)))];
});

// Relu' = [y > 0] (0 at x = 0, as PyTorch and TF).
registerGradient('Relu', ({ node, gradOutputs: [dy] }) => [op.where(op.greater(node.outputs[0]!, 0), dy!, 0)]);

// |x|' = sign(x) (0 at x = 0).
registerGradient('Abs', ({ node, gradOutputs: [dy] }) => [op.mul(dy!, op.sign(node.inputs[0]!))]);
