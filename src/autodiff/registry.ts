// The gradient table: one rule per op type. A rule is only the math; the driver
// (gradients.ts) decides which nodes to visit, sums fan-in and undoes broadcasting.
import type { Graph } from '../graph/graph.js';
import type { Node, Value } from '../graph/ir.js';

export interface GradContext {
  /** The forward node being differentiated. */
  node: Node;
  /** Where backward nodes go (the forward node's graph). */
  graph: Graph;
  /** dLoss/dOutput per forward output; null where that output does not reach the loss. */
  gradOutputs: (Value | null)[];
  /** Per forward input: does the driver want its gradient? Rules may skip work for false. */
  wants: boolean[];
  /** The ai.onnx opset the graph will be emitted at (absent: DEFAULT_OPSET, 17). Rules whose
   *  backward ops need a newer opset (ScatterND reduction="add": 16) check it. */
  opset?: number;
}

/**
 * Returns dLoss/dInput per forward input (null = no gradient). A gradient may have the
 * *broadcast* shape (the output's); the driver reduces it to the input's shape.
 */
export type GradRule = (ctx: GradContext) => (Value | null)[];

export class MissingGradientError extends Error {
  readonly code = 'E_NO_GRADIENT';
  constructor(readonly opType: string, readonly nodeName: string, reason?: string) {
    super(
      reason
        ? `op ${opType} (node '${nodeName}') is not differentiable: ${reason}`
        : `no gradient rule for op ${opType} (node '${nodeName}'); register one in src/autodiff/rules/`,
    );
    this.name = 'MissingGradientError';
  }
}

const rules = new Map<string, GradRule>();
const notDifferentiable = new Map<string, string>();

export function registerGradient(opType: string, rule: GradRule): void {
  if (rules.has(opType)) throw new Error(`gradient rule for ${opType} registered twice`);
  rules.set(opType, rule);
}

/** Ops with no gradient through their outputs (comparisons, Shape, ...): explicit, never silent. */
export function registerNotDifferentiable(opType: string, reason: string): void {
  notDifferentiable.set(opType, reason);
}

export function ruleFor(node: Node): GradRule {
  const rule = rules.get(node.opType);
  if (rule) return rule;
  throw new MissingGradientError(node.opType, node.name, notDifferentiable.get(node.opType));
}

export function isNotDifferentiable(opType: string): boolean {
  return notDifferentiable.has(opType);
}

export function registeredOps(): string[] {
  return [...rules.keys()].sort();
}
