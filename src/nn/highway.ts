// The highway combination y = H·T + C·(1 − T), from Mul/Sub/Add only, so autodiff needs
// no rule of its own for it.
import { op, type Value } from '../graph/index.js';
import { linear } from './linear.js';

/** T(x) = σ(x·W_T + b_T). */
export function transformGate(x: Value, weight: Value, bias: Value): Value {
  return op.sigmoid(linear(x, weight, bias));
}

/** y = h·t + c·(1 − t). */
export function highwayCombine(h: Value, t: Value, c: Value): Value {
  return op.add(op.mul(h, t), op.mul(c, op.sub(1, t)));
}

export interface HighwayDenseParams {
  /** H(x) = relu(x·hWeight + hBias); hWeight [D, D]. */
  hWeight: Value;
  hBias: Value;
  /** T(x) = σ(x·gateWeight + gateBias); gateWeight [D, D]. */
  gateWeight: Value;
  gateBias: Value;
}

/** The paper's highway MLP layer (carry = identity, so input and output widths are equal). */
export function highwayDense(x: Value, p: HighwayDenseParams): { y: Value; gate: Value } {
  const h = op.relu(linear(x, p.hWeight, p.hBias));
  const gate = transformGate(x, p.gateWeight, p.gateBias);
  return { y: highwayCombine(h, gate, x), gate };
}
