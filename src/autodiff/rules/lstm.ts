// Gradient of the ONNX LSTM (gates i, o, f, c; sequence_lens; all directions): the
// recurrence transposed into one reversed Scan, everything else batched around it.
//
// Before (the forward: one LSTM node; per direction, processing step t visits x̃_t):
//
//   X [T,B,I] ─► LSTM(W, R, B, lens, h0, c0) ─► Y [T,D,B,H], Y_h [D,B,H], Y_c [D,B,H]
//                  h_t, c_t = cell(x̃_t, h_{t−1}, c_{t−1})      (a padding step keeps h, c)
//
// After (all directions in processing order, graph/lstm-layout.ts: the reverse direction
// is each sequence reversed within its length, so step t of every direction is its t-th
// step, padding stays at the end and one mask serves all; D is one more batch dim):
//
//   X̃ = [X, ReverseSequence(X)]   Ỹ = Y in processing order             no Scan
//   H_prev = [h0; Ỹ_0 … Ỹ_{T−2}]
//   G = X̃·Wᵀ + H_prev·Rᵀ + Wb + Rb   two MatMuls on [D, T·B, ·] rows, then [T,D,B,4H]
//   i, o, f = σ(G_iof);  c̃ = tanh(G_c)
//
//   Scan lstm_grad_cell (forward), 3 nodes:
//     state   c                                  [D,B,H]    init c0
//     inputs  keep_t = f_t (1 at padding), add_t = i_t⊙c̃_t (0 at padding)
//     output  c_t                                → C [T,D,B,H];  C_prev = [c0; C_0 … C_{T−2}]
//
//   batched, from i, o, f, c̃, C, C_prev, mask (0 at padding steps):
//     hToC  = o⊙(1 − tanh²C)                                      [T,D,B,H]
//     scale = [c̃·σ'_i, tanh C·σ'_o, C_prev·σ'_f, i·(1 − c̃²)]      [T,D,B,4H]
//     dỸ    = dY in processing order ⊙ mask
//
//   Scan lstm_grad (reversed: scan_input_directions = scan_output_directions = 1), 8 nodes:
//     state   dh, dc                             [D,B,H]    init dY_h, dY_c (or 0)
//     inputs  hToC_t, scale_t, keep_t, mask_t, dỸ_t         read at t = T−1 … 0
//     body    dh′ = dh + dỸ_t;   dc′ = dc + dh′⊙hToC_t
//             dG_t = [dc′, dh′, dc′, dc′] ⊙ scale_t           [D,B,4H]
//             dh ← mask_t ? dG_t·R : dh′;   dc ← dc′⊙keep_t
//     output  dG_t                               → dG [T,D,B,4H], written at t = T−1 … 0
//     final   dh, dc                             → d initial_h, d initial_c
//
//   dW = Σ_t dG_tᵀ·X̃_t,  dR = Σ_t dG_tᵀ·H_prev_t   (one MatMul each over [D, T·B, ·] rows)
//   dB = [Σ dG, Σ dG]  (Wb and Rb enter as a sum)
//   dX = Σ_d dG_d·W_d, the reverse direction's put back in time order
//
// Fused (ctx.fuse: the driver's GradientsOptions.fuse, the default; the same bits either way):
//   lstm_grad_cell's body is Mul, Add — it emits keep_t ⊙ c_{t−1} and the Add with add_t runs once
//   over all steps after it — instead of Mul, Add, Identity;
//   without a Y_h gradient, lstm_grad drops mask_t and its select (7 nodes): the reversed Scan meets
//   each sequence's padding before its valid steps, where dỸ, hToC and the gate scales are masked to
//   ±0, so from dh = 0 both dh′ and dG·R are +0 there (a product of zeros summed from +0).
import { refuse, type GradContext, type GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';
import { directionOf, lstmLengths, numDirections, rowsPerDirection, stackDirections, sumDirections, swapOrder, unflattenRows, zeroState } from '../../graph/lstm-layout.js';
import { backwardScan, cellStates, cellStatesLean, recomputeGates, sumOuter } from '../lstm/backward.js';

function checkSupported(ctx: GradContext): void {
  const n = ctx.node;
  if (n.inputs[7]) refuse(n, 'peephole weights (input P) are not supported by the LSTM gradient');
  if (n.attrs.activations) refuse(n, 'only the default activations (Sigmoid, Tanh, Tanh) are supported');
  if (n.attrs.clip) refuse(n, 'the clip attribute is not supported');
  if (n.attrInt('input_forget', 0) !== 0) refuse(n, 'input_forget=1 is not supported');
  if (n.attrInt('layout', 0) !== 0) refuse(n, 'only layout=0 is supported');
}

export function lstmGradient(ctx: GradContext): (Value | null)[] {
  checkSupported(ctx);
  const { node, gradOutputs, needsInputGrad } = ctx;
  const input = (k: number): Value | null => node.inputs[k] ?? null;
  const [x, w, r, b, seqLens, h0, c0] = [0, 1, 2, 3, 4, 5, 6].map(input);
  const grads: (Value | null)[] = node.inputs.map(() => null);
  const want = (k: number): boolean => !!input(k) && !!needsInputGrad[k];
  if (![0, 1, 2, 3, 5, 6].some(want) || gradOutputs.every((g) => !g)) return grads;

  const H = node.attrInt('hidden_size', 0);
  if (H <= 0) refuse(node, 'the hidden_size attribute is required');
  const dir = directionOf(node.attrString('direction', 'forward'));
  const D = numDirections(dir);
  const y = node.outputs[0]!;
  const [dY, dYh, dYc] = [0, 1, 2].map((k) => gradOutputs[k] ?? null);
  const { lens, mask, maskF } = lstmLengths(x!, seqLens);
  const masked = (v: Value): Value => (maskF ? op.mul(v, maskF) : v);

  // Forward values, recomputed in bulk from the forward's own Y.
  const I = w!.shape?.[2];
  if (typeof I !== 'number' || w!.shape?.[0] !== D) {
    refuse(node, `W '${w!.name}' needs a static shape [${D}, ${4 * H}, I], found [${w!.shape?.join(', ') ?? '…'}]`);
  }
  const xs = op.reshape(stackDirections(x!, dir, lens, 0), [D, -1, I]); // [D, T·B, I]
  const ys = swapOrder(y, dir, lens);
  const h0s = h0 ?? zeroState(x!, D, H);
  const hPrev = rowsPerDirection(op.concat([op.unsqueeze(h0s, [0]), op.slice(ys, [0], [-1], [0])], 0), D, H);
  const a = recomputeGates(xs, hPrev, w!, r!, b, H, x!, D);
  const keep = mask ? op.where(mask, a.f, 1) : a.f;
  const c0s = c0 ?? zeroState(x!, D, H);
  const cs = (ctx.fuse ? cellStatesLean : cellStates)(c0s, keep, masked(op.mul(a.i, a.ct)));
  const cPrev = op.concat([op.unsqueeze(c0s, [0]), op.slice(cs, [0], [-1], [0])], 0);
  const tc = op.tanh(cs);

  // Per-step factors of the backward, so the Scan body is left with the recurrence only.
  const dAct = op.concat([op.mul(a.s, op.sub(1, a.s)), op.sub(1, op.mul(a.ct, a.ct))], 3);
  const gateScale = masked(op.mul(op.concat([a.ct, tc, cPrev, a.i], 3), dAct));
  const hToC = masked(op.mul(a.o, op.sub(1, op.mul(tc, tc))));
  const dy = dY ? masked(swapOrder(dY, dir, lens)) : null;

  const { dG, dh, dc } = backwardScan(
    { dy, hToC, gateScale, keep, mask: dYh || !ctx.fuse ? mask : null },
    r!,
    dYh ?? zeroState(x!, D, H),
    dYc ?? zeroState(x!, D, H),
  );

  const dGr = rowsPerDirection(dG, D, 4 * H); // [D, T·B, 4H]
  if (want(0)) grads[0] = sumDirections(unflattenRows(op.matMul(dGr, w!), x!, D, I), dir, lens, 0);
  if (want(1)) grads[1] = sumOuter(dGr, xs);
  if (want(2)) grads[2] = sumOuter(dGr, hPrev);
  if (want(3)) {
    const db = op.reduceSum(dGr, [1]);
    grads[3] = op.concat([db, db], 1);
  }
  if (want(5)) grads[5] = dh;
  if (want(6)) grads[6] = dc;
  return grads;
}

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  LSTM: lstmGradient,
};
