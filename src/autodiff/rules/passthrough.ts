// Identity, Expand, Cast, ReverseSequence: the gradient passes through (Expand's is
// reduced by the driver; Cast's is cast back; ReverseSequence is its own inverse).
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Identity: ({ gradOutputs: [dy] }) => [dy!],
  Expand: ({ gradOutputs: [dy] }) => [dy!, null],
  Cast: ({ node, gradOutputs: [dy] }) => {
    const x = node.inputs[0]!;
    return [x.dtype === 'float32' || x.dtype === 'float64' ? (x.dtype === dy!.dtype ? dy! : op.cast(dy!, x.dtype)) : null];
  },
  ReverseSequence: ({ node, gradOutputs: [dy] }) => {
    const [, lens] = node.inputs as [Value, Value];
    const timeAxis = node.attrInt('time_axis', 0) as 0 | 1;
    const batchAxis = node.attrInt('batch_axis', 1) as 0 | 1;
    return [op.reverseSequence(dy!, lens, { timeAxis, batchAxis }), null];
  },
};
