// Ops the importer rebuilds as glue (usually on integer shape or index values) but that have no
// gradient rule. Registered with a reason, so a model whose loss does depend on one through a
// float path fails with that reason naming the node, never silently (the autodiff's contract).
// Only ops without a rule or a reason of their own are registered: a rule added later wins.
import { isNotDifferentiable, registeredOps, registerNotDifferentiable } from '../../autodiff/index.js';

const PIECEWISE = 'piecewise constant: its gradient is zero almost everywhere, so the gradient path is cut here';
const GLUE = 'imported as glue (shape, index or bookkeeping values) and it has no gradient rule; training through it needs one in src/autodiff/rules/';

const REASONS: Record<string, string> = {
  Ceil: PIECEWISE,
  Floor: PIECEWISE,
  Round: PIECEWISE,
  Mod: PIECEWISE,
  CumSum: GLUE,
  GatherElements: GLUE,
  Pad: GLUE,
  ReduceL1: GLUE,
  ReduceL2: GLUE,
  ReduceLogSumExp: GLUE,
  ReduceProd: GLUE,
  ScatterElements: GLUE,
  ScatterND: GLUE,
  Tile: GLUE,
  TopK: `${GLUE} (torch exports pack_padded_sequence's sort as TopK over the lengths, which is integer)`,
};

const ruled = new Set(registeredOps());
for (const [opType, reason] of Object.entries(REASONS)) {
  if (!ruled.has(opType) && !isNotDifferentiable(opType)) registerNotDifferentiable(opType, reason);
}
