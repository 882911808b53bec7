// SoftmaxCrossEntropyLoss(scores [N, C, d…], labels [N, d…], weights? [C]); classes on
// axis 1. With p = exp(log_prob) (the node's second output, reused) and w_n = weights[y_n]
// (1 without weights), each sample's loss −w_n·log p[n, y_n] has gradient
// w_n·(p − onehot(y_n)); reduction scales it by dy (none: per sample), dy/Σw_n (mean)
// or dy (sum). ignore_index and gradients for the weights are not supported.
import { refuse, type GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';
import { logSoftmaxGrad } from './softmax.js';
import { rankOf } from './util.js';

/** Number of labels as a scalar of the scores' dtype: a constant when static. */
function count(labels: Value, like: Value): Value | number {
  const s = labels.shape;
  if (s && s.every((d) => typeof d === 'number')) return (s as number[]).reduce((a, b) => a * b, 1);
  return op.cast(op.size(labels), like.dtype);
}

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  SoftmaxCrossEntropyLoss: ({ node, graph, gradOutputs: [dLoss, dLogProb], needsInputGrad }) => {
    const [x, labels, weights] = node.inputs as [Value, Value, Value | null];
    if (node.attrs.ignore_index) refuse(node, 'ignore_index is not supported');
    if (needsInputGrad[2]) refuse(node, 'no gradient for the class weights');
    const rank = rankOf(node, x);
    const logProb = node.outputs[1] ?? op.logSoftmax(x, 1);
    const p = op.exp(logProb);
    let dx: Value | null = null;
    if (dLoss) {
      const C = x.shape![1]!;
      const classDims = [C, ...Array(rank - 2).fill(1)] as number[];
      const classes = typeof C === 'number'
        ? graph.vector([...Array(C).keys()], labels.dtype as 'int64', classDims)
        : op.reshape(op.range(graph.scalar(0, labels.dtype as 'int64'), op.cast(op.squeeze(op.shapeOf(x, { start: 1, end: 2 }), [0]), labels.dtype), graph.scalar(1, labels.dtype as 'int64')), [-1, ...classDims.slice(1)]);
      const onehot = op.cast(op.equal(op.unsqueeze(labels, [1]), classes), x.dtype);
      const w = weights ? op.gather(weights, labels) : null;
      const reduction = node.attrString('reduction', 'mean');
      let scale: Value;
      if (reduction === 'none') scale = op.unsqueeze(w ? op.mul(dLoss, w) : dLoss, [1]);
      else {
        const denominator = reduction === 'sum' ? null : w ? op.reduceSum(w, undefined, { keepdims: false }) : count(labels, x);
        const s = denominator === null ? dLoss : op.div(dLoss, denominator);
        scale = w ? op.mul(op.unsqueeze(w, [1]), s) : s;
      }
      dx = op.mul(op.sub(p, onehot), scale);
    }
    if (dLogProb) {
      const d = logSoftmaxGrad(logProb, dLogProb, 1, p);
      dx = dx ? op.add(dx, d) : d;
    }
    return [dx, null, null];
  },
};
