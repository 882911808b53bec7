// Add, Sub, Sum, Neg: the gradient passes through (negated where subtracted); the driver
// reduces it over broadcast axes.
import { registerGradient } from '../registry.js';
import * as op from '../../graph/ops/index.js';

registerGradient('Add', ({ gradOutputs: [dy] }) => [dy!, dy!]);

registerGradient('Sub', ({ gradOutputs: [dy], wants }) => [dy!, wants[1] ? op.neg(dy!) : null]);

registerGradient('Sum', ({ node, gradOutputs: [dy] }) => node.inputs.map(() => dy!));

registerGradient('Neg', ({ gradOutputs: [dy] }) => [op.neg(dy!)]);
