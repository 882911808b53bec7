// Softmax and LogSoftmax (opset ≥ 13: one axis), both from the forward output y:
//   softmax:    dx = y ⊙ (dy − Σ_axis dy ⊙ y)
//   logsoftmax: dx = dy − exp(y) ⊙ Σ_axis dy
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

/** Also used by SoftmaxCrossEntropyLoss for its log_prob output; `p` = exp(y) if already built. */
export function logSoftmaxGrad(y: Value, dy: Value, axis: number, p?: Value): Value {
  return op.sub(dy, op.mul(p ?? op.exp(y), op.reduceSum(dy, [axis], { keepdims: true })));
}

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Softmax: ({ node, gradOutputs: [dy] }) => {
    const y = node.outputs[0]!;
    const axis = node.attrInt('axis', -1);
    return [op.mul(y, op.sub(dy!, op.reduceSum(op.mul(dy!, y), [axis], { keepdims: true })))];
  },
  LogSoftmax: ({ node, gradOutputs: [dy] }) => [logSoftmaxGrad(node.outputs[0]!, dy!, node.attrInt('axis', -1))],
};
