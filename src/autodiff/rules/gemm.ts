// Gemm: Y = α·A′·B′ + β·C with A′ = transA ? Aᵀ : A (B′ likewise). Each gradient is one
// Gemm whose trans flags absorb every transpose:
//   dA′ = α·dY·B′ᵀ, dA = transA ? dA′ᵀ : dA′;   dB′ = α·A′ᵀ·dY, dB = transB ? dB′ᵀ : dB′.
// α and β are float attributes (float32): β·dY uses the same float32-rounded β as the forward.
import type { GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Gemm: ({ node, gradOutputs: [dy], needsInputGrad }) => {
    const [a, b, c] = node.inputs as [Value, Value, Value | null];
    const tA = node.attrInt('transA', 0) === 1;
    const tB = node.attrInt('transB', 0) === 1;
    const alpha = node.attrFloat('alpha', 1);
    const beta = node.attrFloat('beta', 1);
    const g = dy!;
    const gemm = (x: Value, y: Value, transA: boolean, transB: boolean): Value =>
      op.gemm(x, y, null, { transA, transB, ...(alpha !== 1 ? { alpha } : {}) });
    const da = !needsInputGrad[0] ? null : tA ? gemm(b, g, tB, true) : gemm(g, b, false, !tB);
    const db = !needsInputGrad[1] ? null : tB ? gemm(g, a, true, tA) : gemm(a, g, !tA, false);
    const dc = needsInputGrad[2] && c ? (beta === 1 ? g : op.mul(g, Math.fround(beta))) : null;
    return [da, db, dc];
  },
};
