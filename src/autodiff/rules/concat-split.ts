// Concat ↔ Split: each is the other's gradient. Concat's piece sizes are constants when
// the inputs' dims along the axis are static, else read at run time with Shape.
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import { normAxis } from '../../graph/shape.js';
import * as op from '../../graph/ops/index.js';
import { rankOf } from './util.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Concat: ({ node, graph, gradOutputs: [dy], needsInputGrad }) => {
    const xs = node.inputs as Value[];
    if (xs.length === 1) return [dy!];
    const a = normAxis('Concat', node.attrInt('axis', 0), rankOf(node, xs[0]!));
    const dims = xs.map((x) => x.shape?.[a]);
    const sizes = dims.every((d) => typeof d === 'number')
      ? graph.vector(dims as number[], 'int64')
      : op.concat(xs.map((x, i) => (typeof dims[i] === 'number' ? graph.vector([dims[i] as number]) : op.shapeOf(x, { start: a, end: a + 1 }))), 0);
    const pieces = op.splitDynamic(dy!, sizes, a, xs.map((x) => x.shape));
    return pieces.map((p, i) => (needsInputGrad[i] ? p : null));
  },
  // Outputs that do not reach the loss contribute zeros of their shape.
  Split: ({ node, gradOutputs }) => {
    const pieces = node.outputs.map((y, i) => gradOutputs[i] ?? op.zerosShapedLike(y));
    return [op.concat(pieces, node.attrInt('axis', 0)), null];
  },
};
