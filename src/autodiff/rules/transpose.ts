// Transpose: transpose back with the inverse permutation.
import { registerGradient } from '../registry.js';
import * as op from '../../graph/ops/index.js';
import { rankOf } from './util.js';

registerGradient('Transpose', ({ node, gradOutputs: [dy] }) => {
  const rank = rankOf(node, node.inputs[0]!);
  const perm = node.attrInts('perm') ?? [...Array(rank).keys()].reverse();
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [op.transpose(dy!, inverse)];
});
