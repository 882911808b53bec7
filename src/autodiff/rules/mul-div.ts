// Mul and Div. Div reuses the forward output: for y = a/b, ∂/∂b = −(dy/b)·y.
import { registerGradient } from '../registry.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

registerGradient('Mul', ({ node, gradOutputs: [dy], wants }) => {
  const [a, b] = node.inputs as [Value, Value];
  return [wants[0] ? op.mul(dy!, b) : null, wants[1] ? op.mul(dy!, a) : null];
});

registerGradient('Div', ({ node, gradOutputs: [dy], wants }) => {
  const b = node.inputs[1]!;
  const da = op.div(dy!, b);
  return [wants[0] ? da : null, wants[1] ? op.neg(op.mul(da, node.outputs[0]!)) : null];
});
