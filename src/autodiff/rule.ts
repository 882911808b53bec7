// What a gradient rule is: its context, its signature, and the one way it refuses a node.
// A rule is only the math; the driver (gradients.ts) decides which nodes to visit, sums
// fan-in and undoes broadcasting; the table of rules lives in registry.ts.
import type { Graph, Node, Value } from '../graph/ir.js';
import { CodedError } from '../errors.js';

export interface GradContext {
  /** The forward node being differentiated. */
  node: Node;
  /** Where backward nodes go (the forward node's graph). */
  graph: Graph;
  /** Cotangent per forward output (dLoss/dOutput); null where that output does not reach the loss. */
  gradOutputs: (Value | null)[];
  /** Per forward input: does the driver want its gradient (PyTorch's `needs_input_grad`)?
   *  Rules may skip work for false. */
  needsInputGrad: boolean[];
  /** The ai.onnx opset the graph will be emitted at (absent: DEFAULT_OPSET, 17). Rules whose
   *  backward ops need a newer opset (ScatterND reduction="add": 16) check it. */
  opset?: number;
  /**
   * The driver's GradientsOptions.fuse (absent: false): a rule may build a leaner graph whose
   * results are the same bits (the LSTM rule's Scan bodies).
   */
  fuse?: boolean;
}

/**
 * Returns dLoss/dInput per forward input (null = no gradient). A gradient may have the
 * *broadcast* shape (the output's); the driver reduces it to the input's shape. A rule that
 * cannot differentiate the node it was given calls `refuse` (E_NO_GRADIENT).
 */
export type GradRule = (ctx: GradContext) => (Value | null)[];

/** Gradient rules by ONNX op type. */
export type GradientTable = Readonly<Record<string, GradRule>>;

/** Thrown (code E_NO_GRADIENT) when an op on the path to the loss has no rule, is registered
 *  not differentiable, or its rule refuses this particular node (an unsupported attribute). */
export class MissingGradientError extends CodedError {
  constructor(readonly opType: string, readonly nodeName: string, reason?: string) {
    super(
      'E_NO_GRADIENT',
      'MissingGradientError',
      reason
        ? `op ${opType} (node '${nodeName}') is not differentiable: ${reason}`
        : `no gradient rule for op ${opType} (node '${nodeName}'); register one in src/autodiff/rules/`,
    );
  }
}

/** The one way a rule refuses a node: throws MissingGradientError (E_NO_GRADIENT) saying why. */
export function refuse(node: Node, why: string): never {
  throw new MissingGradientError(node.opType, node.name, why);
}
