// Add, Sub, Sum, Neg: the gradient passes through (negated where subtracted); the driver
// reduces it over broadcast axes.
import type { GradientTable } from '../rule.js';
import * as op from '../../graph/ops/index.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Add: ({ gradOutputs: [dy] }) => [dy!, dy!],
  Sub: ({ gradOutputs: [dy], needsInputGrad }) => [dy!, needsInputGrad[1] ? op.neg(dy!) : null],
  Sum: ({ node, gradOutputs: [dy] }) => node.inputs.map(() => dy!),
  Neg: ({ gradOutputs: [dy] }) => [op.neg(dy!)],
};
