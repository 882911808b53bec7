// Reshape, Flatten, Squeeze, Unsqueeze: only the view changes, so the gradient is dy
// viewed back (Reshape to the input's shape: a constant when static, else Shape(x)).
import { registerGradient } from '../registry.js';
import type { Node } from '../../graph/ir.js';
import { normAxis } from '../../graph/shape.js';
import * as op from '../../graph/ops/index.js';
import { constInput, rankOf } from './util.js';

registerGradient('Reshape', ({ node, gradOutputs: [dy] }) => [op.reshapeLike(dy!, node.inputs[0]!), null]);

registerGradient('Flatten', ({ node, gradOutputs: [dy] }) => [op.reshapeLike(dy!, node.inputs[0]!)]);

function axesOf(node: Node, rank: number): number[] | null {
  const axes = node.attrInts('axes') ?? (node.inputs[1] ? constInput(node, 1, 'axes') : null);
  return axes && axes.map((a) => normAxis(node.opType, a, rank));
}

registerGradient('Squeeze', ({ node, gradOutputs: [dy] }) => {
  const x = node.inputs[0]!;
  const axes = x.rank === null ? null : axesOf(node, x.rank);
  return [axes ? op.unsqueeze(dy!, axes) : op.reshapeLike(dy!, x), null];
});

registerGradient('Unsqueeze', ({ node, gradOutputs: [dy] }) => {
  const axes = axesOf(node, rankOf(node, node.outputs[0]!));
  if (!axes) throw new Error(`gradient of Unsqueeze (node '${node.name}') needs its axes`);
  return [op.squeeze(dy!, axes), null];
});
