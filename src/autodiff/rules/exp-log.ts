// Exp, Log, Sqrt, Reciprocal. Exp, Sqrt and Reciprocal reuse the forward output.
import { registerGradient } from '../registry.js';
import * as op from '../../graph/ops/index.js';

registerGradient('Exp', ({ node, gradOutputs: [dy] }) => [op.mul(dy!, node.outputs[0]!)]);

registerGradient('Log', ({ node, gradOutputs: [dy] }) => [op.div(dy!, node.inputs[0]!)]);

// (√x)' = 1 / (2y)
registerGradient('Sqrt', ({ node, gradOutputs: [dy] }) => [op.div(dy!, op.mul(node.outputs[0]!, 2))]);

// (1/x)' = −y²
registerGradient('Reciprocal', ({ node, gradOutputs: [dy] }) => {
  const y = node.outputs[0]!;
  return [op.mul(op.neg(dy!), op.mul(y, y))];
});
