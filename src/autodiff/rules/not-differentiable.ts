// Ops with no gradient, registered explicitly so the driver's error says why. Most have
// integer or bool outputs and never lie on a gradient path (the driver does not propagate
// through int/bool values); the registration documents the decision all the same.
import { registerNotDifferentiable } from '../registry.js';

const INTEGER_OR_BOOL_OUTPUT = 'its output is integer or bool: no gradient flows through it';
for (const opType of ['Shape', 'Size', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'ArgMax', 'ArgMin', 'NonZero']) {
  registerNotDifferentiable(opType, INTEGER_OR_BOOL_OUTPUT);
}
registerNotDifferentiable('Range', 'it builds index sequences; its inputs are not differentiated');
registerNotDifferentiable('ConstantOfShape', 'its output does not depend on any float input');
registerNotDifferentiable('OneHot', 'it builds an indicator from integer indices');
registerNotDifferentiable('Sign', 'piecewise constant: its gradient is zero almost everywhere; cut the path explicitly');
registerNotDifferentiable(
  'Scan',
  'Scan bodies are not differentiated generically; an op built on a Scan (LSTM) carries its own rule, ' +
    'and a hand-written Scan needs one too (see src/autodiff/rules/lstm.ts)',
);
