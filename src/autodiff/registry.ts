// The gradient table: one rule per op type. The built-in rules are one explicit table
// (GRADIENTS, assembled in rules/index.ts from each rule file's `rules`); registerGradient is
// the extension point for ops of a user's own, and a reason is on record for every op that
// has no gradient on purpose (NOT_DIFFERENTIABLE).
import type { Node } from '../graph/ir.js';
import { CodedError } from '../errors.js';
import { GRADIENTS, NOT_DIFFERENTIABLE } from './rules/index.js';
import { MissingGradientError, type GradRule } from './rule.js';

const extensions = new Map<string, GradRule>();
const extraNotDifferentiable = new Map<string, string>();

/** Adds a rule for an op type that has none. Throws E_GRADIENT_TWICE if one exists. */
export function registerGradient(opType: string, rule: GradRule): void {
  if (Object.hasOwn(GRADIENTS, opType) || extensions.has(opType)) {
    throw new CodedError('E_GRADIENT_TWICE', 'GradientRegistrationError', `gradient rule for ${opType} registered twice`);
  }
  extensions.set(opType, rule);
}

/** Records why an op has no gradient (comparisons, Shape, ...): explicit, never silent. */
export function registerNotDifferentiable(opType: string, reason: string): void {
  extraNotDifferentiable.set(opType, reason);
}

/** The rule for `node`'s op type; throws MissingGradientError (E_NO_GRADIENT) naming the node. */
export function ruleFor(node: Node): GradRule {
  const rule = Object.hasOwn(GRADIENTS, node.opType) ? GRADIENTS[node.opType] : extensions.get(node.opType);
  if (rule) return rule;
  throw new MissingGradientError(node.opType, node.name, notDifferentiableReason(node.opType));
}

function notDifferentiableReason(opType: string): string | undefined {
  return extraNotDifferentiable.get(opType) ?? (Object.hasOwn(NOT_DIFFERENTIABLE, opType) ? NOT_DIFFERENTIABLE[opType] : undefined);
}

export function isNotDifferentiable(opType: string): boolean {
  return notDifferentiableReason(opType) !== undefined;
}

/** Op types that have a gradient rule (built-in or registered), sorted. */
export function registeredOps(): string[] {
  return [...Object.keys(GRADIENTS), ...extensions.keys()].sort();
}
