// Transpose: transpose back with the inverse permutation.
import type { GradientTable } from '../rule.js';
import * as op from '../../graph/ops/index.js';
import { rankOf } from './util.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Transpose: ({ node, gradOutputs: [dy] }) => {
    const rank = rankOf(node, node.inputs[0]!);
    const perm = node.attrInts('perm') ?? [...Array(rank).keys()].reverse();
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [op.transpose(dy!, inverse)];
  },
};
