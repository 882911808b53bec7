// Reverse-mode autodiff over the builder IR: the driver, the registry, and (imported for
// their side effect) all gradient rules.
import './rules/index.js';

export { gradients, GradientError, type GradientsOptions } from './gradients.js';
export {
  registerGradient,
  registerNotDifferentiable,
  ruleFor,
  isNotDifferentiable,
  registeredOps,
  MissingGradientError,
  type GradContext,
  type GradRule,
} from './registry.js';
