// Pow(a, b). With a constant scalar exponent p (the usual case) the base's gradient is
// dy·p·a^(p−1) with p−1 folded; p = 1 and p = 2 need no Pow at all. A computed exponent
// gets dy·b·a^(b−1) and, when wanted, dy·y·ln(a) (defined for a > 0 only).
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

/** A fixed scalar exponent (a parameter's stored value is not fixed: it trains). */
function constScalar(v: Value): number | null {
  const t = v.graph.params.has(v) ? undefined : v.constValue;
  if (!t || t.data.length !== 1 || t.dtype === 'string') return null;
  return Number((t.data as ArrayLike<number | bigint>)[0]);
}

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Pow: ({ node, gradOutputs: [dy], needsInputGrad }) => {
    const [a, b] = node.inputs as [Value, Value];
    const p = constScalar(b);
    let da: Value | null = null;
    if (needsInputGrad[0]) {
      if (p === 1) da = dy!;
      else if (p === 2) da = op.mul(dy!, op.mul(a, 2));
      else if (p !== null) da = op.mul(dy!, op.mul(op.pow(a, p - 1), p));
      else da = op.mul(dy!, op.mul(b, op.pow(a, op.sub(b, 1))));
    }
    const db = needsInputGrad[1] ? op.mul(dy!, op.mul(node.outputs[0]!, op.log(a))) : null;
    return [da, db];
  },
};
