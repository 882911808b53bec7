// ReduceSum, ReduceMean, ReduceSumSquare: dy (reduced axes restored as 1s) broadcast
// back over the input; ReduceSumSquare's 2x·dy broadcasts by itself in the Mul.
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';
import { keepDims, rankOf, reduceAxes, reducedCount } from './util.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  ReduceSum: ({ node, gradOutputs: [dy] }) => {
    const x = node.inputs[0] as Value;
    const axes = reduceAxes(node, rankOf(node, x));
    return [op.expandLike(keepDims(node, dy!, axes), x), null];
  },
  ReduceMean: ({ node, gradOutputs: [dy] }) => {
    const x = node.inputs[0] as Value;
    const axes = reduceAxes(node, rankOf(node, x));
    const count = reducedCount(x, node.outputs[0]!, axes);
    return [op.expandLike(op.div(keepDims(node, dy!, axes), count), x), null];
  },
  ReduceSumSquare: ({ node, gradOutputs: [dy] }) => {
    const x = node.inputs[0] as Value;
    const axes = reduceAxes(node, rankOf(node, x));
    return [op.mul(x, op.mul(keepDims(node, dy!, axes), 2)), null];
  },
};
