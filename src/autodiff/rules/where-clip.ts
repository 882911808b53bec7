// Where and Clip: the gradient is dy masked; the condition gets none.
import { registerGradient } from '../registry.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

registerGradient('Where', ({ node, gradOutputs: [dy], wants }) => {
  const cond = node.inputs[0]!;
  return [null, wants[1] ? op.where(cond, dy!, 0) : null, wants[2] ? op.where(cond, 0, dy!) : null];
});

// x passes where clip left it unchanged (x == y, bounds included); a bound collects the
// gradient of the elements it clipped.
registerGradient('Clip', ({ node, gradOutputs: [dy], wants }) => {
  const [x, lo, hi] = node.inputs as [Value, Value | null, Value | null];
  return [
    wants[0] ? op.where(op.equal(x, node.outputs[0]!), dy!, 0) : null,
    wants[1] && lo ? op.where(op.less(x, lo), dy!, 0) : null,
    wants[2] && hi ? op.where(op.greater(x, hi), dy!, 0) : null,
  ];
});
