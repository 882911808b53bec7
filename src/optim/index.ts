export {
  optimizerState,
  resolveSpec,
  stateSlots,
  OptimizerSpecError,
  type OptimizerSpec,
  type SgdSpec,
  type AdamSpec,
  type ResolvedSpec,
  type StateSpec,
} from './spec.js';
export { buildOptimizerStep, oneMinusPow, CLIP_EPS, type OptimizerStepArgs, type OptimizerStepResult } from './step.js';
export { coalesceRows, isRowGradient, sparseAdamRows, scatterRows, type UpdatedRows, type RowGradient, type CoalescedRows, type SparseAdamArgs } from './lazy-rows.js';
