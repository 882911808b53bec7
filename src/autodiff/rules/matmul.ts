// MatMul with numpy semantics: dA = dY·Bᵀ, dB = Aᵀ·dY on the last two axes, the driver
// summing over broadcast batch axes. A 1-D operand is promoted to a matrix (and the
// gradient squeezed back). The common x[…, K]·W[K, N] gets dW as ONE Gemm over the
// flattened rows instead of a batched MatMul followed by a ReduceSum.
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';
import { rankOf } from './util.js';

const swapLast = (v: Value): Value => {
  const r = v.rank!;
  return op.transpose(v, [...Array(r - 2).keys(), r - 1, r - 2]);
};

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  MatMul: ({ node, gradOutputs: [dy], needsInputGrad }) => {
    const [a, b] = node.inputs as [Value, Value];
    const ra = rankOf(node, a);
    const rb = rankOf(node, b);
    const g = dy!;
    if (ra === 1 && rb === 1) return [needsInputGrad[0] ? op.mul(g, b) : null, needsInputGrad[1] ? op.mul(g, a) : null];
    if (ra === 1) {
      // a [K] as [1, K]; y [..., N] as [..., 1, N]
      const g2 = op.unsqueeze(g, [-2]);
      return [
        needsInputGrad[0] ? op.squeeze(op.matMul(g2, swapLast(b)), [-2]) : null,
        needsInputGrad[1] ? op.matMul(op.unsqueeze(a, [1]), g2) : null,
      ];
    }
    if (rb === 1) {
      // b [K] as [K, 1]; y [..., M] as [..., M, 1]
      const g2 = op.unsqueeze(g, [-1]);
      return [needsInputGrad[0] ? op.mul(g2, b) : null, needsInputGrad[1] ? op.squeeze(op.matMul(swapLast(a), g2), [-1]) : null];
    }
    if (ra === 2 && rb === 2) {
      return [needsInputGrad[0] ? op.gemm(g, b, null, { transB: true }) : null, needsInputGrad[1] ? op.gemm(a, g, null, { transA: true }) : null];
    }
    const da = needsInputGrad[0] ? op.matMul(g, swapLast(b)) : null;
    let db: Value | null = null;
    if (needsInputGrad[1]) {
      const [k, n] = [b.shape![0], b.shape![1]];
      db = rb === 2 && typeof k === 'number' && typeof n === 'number'
        ? op.gemm(op.reshape(a, [-1, k]), op.reshape(g, [-1, n]), null, { transA: true })
        : op.matMul(swapLast(a), g);
    }
    return [da, db];
  },
};
