// Reverse-mode autodiff over the builder IR: the driver, the gradient table (GRADIENTS, the
// built-in rules) and the extension point for ops of one's own (registerGradient).
export { GRADIENTS, NOT_DIFFERENTIABLE } from './rules/index.js';
export { gradients, GradientError, type GradientsOptions } from './gradients.js';
export { registerGradient, registerNotDifferentiable, ruleFor, isNotDifferentiable, registeredOps } from './registry.js';
export { refuse, MissingGradientError, type GradContext, type GradRule, type GradientTable } from './rule.js';
