// Reshape, Flatten, Squeeze, Unsqueeze: only the view changes, so the gradient is dy
// viewed back (Reshape to the input's shape: a constant when static, else Shape(x)).
import { refuse, type GradientTable } from '../rule.js';
import type { Node } from '../../graph/ir.js';
import { normAxis } from '../../graph/shape.js';
import * as op from '../../graph/ops/index.js';
import { constInput, rankOf } from './util.js';

function axesOf(node: Node, rank: number): number[] | null {
  const axes = node.attrInts('axes') ?? (node.inputs[1] ? constInput(node, 1, 'axes') : null);
  return axes && axes.map((a) => normAxis(node.opType, a, rank));
}

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Reshape: ({ node, gradOutputs: [dy] }) => [op.reshapeLike(dy!, node.inputs[0]!), null],
  Flatten: ({ node, gradOutputs: [dy] }) => [op.reshapeLike(dy!, node.inputs[0]!)],
  Squeeze: ({ node, gradOutputs: [dy] }) => {
    const x = node.inputs[0]!;
    const axes = x.rank === null ? null : axesOf(node, x.rank);
    return [axes ? op.unsqueeze(dy!, axes) : op.reshapeLike(dy!, x), null];
  },
  Unsqueeze: ({ node, gradOutputs: [dy] }) => {
    const axes = axesOf(node, rankOf(node, node.outputs[0]!));
    if (!axes) refuse(node, 'its gradient needs constant axes');
    return [op.squeeze(dy!, axes), null];
  },
};
