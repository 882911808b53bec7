// The LSTM backward pass as graph fragments; the rule (rules/lstm.ts) wires them up.
// Shapes: [T, D, B, ·] in processing order (layout.ts), gates in ONNX order i, o, f, c.
import type { Value } from '../../graph/ir.js';
import * as op from '../../graph/ops/index.js';
import { stepsFirst } from '../../graph/lstm-layout.js';

export interface Activations {
  /** σ of the i, o, f pre-activations [T, D, B, 3H], and its parts. */
  s: Value;
  i: Value;
  o: Value;
  f: Value;
  /** tanh of the c pre-activation (c̃) [T, D, B, H]. */
  ct: Value;
}

/**
 * All gate activations at once from the saved hidden states: two MatMuls on rows grouped per
 * direction (xs [D, T·B, I], hPrev [D, T·B, H]), then back to steps-first [T, D, B, ·].
 */
export function recomputeGates(xs: Value, hPrev: Value, w: Value, r: Value, b: Value | null, H: number, x: Value, D: number): Activations {
  let g = op.add(op.matMul(xs, op.transpose(w, [0, 2, 1])), op.matMul(hPrev, op.transpose(r, [0, 2, 1])));
  if (b) {
    const [wb, rb] = op.split(b, [4 * H, 4 * H], 1);
    g = op.add(g, op.unsqueeze(op.add(wb!, rb!), [1]));
  }
  const [sPre, cPre] = op.split(stepsFirst(g, x, D, 4 * H), [3 * H, H], 3);
  const s = op.sigmoid(sPre!);
  const [i, o, f] = op.split(s, [H, H, H], 3);
  return { s, i: i!, o: o!, f: f!, ct: op.tanh(cPre!) };
}

/**
 * The cell states c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t, the one part of the forward that Y does
 * not keep. `keep` is f with 1 at padding steps, `add` is i ⊙ c̃ with 0 there, so a padding
 * step carries c unchanged. Returns c_t [T, D, B, H] (a 3-node Scan body).
 */
export function cellStates(c0: Value, keep: Value, add: Value): Value {
  const { outputs } = op.scan({
    name: 'lstm_grad_cell',
    initialStates: [c0],
    scanInputs: [keep, add],
    body: ([c], [k, a]) => {
      const cNew = op.add(op.mul(k!, c!), a!);
      return { states: [cNew], outputs: [cNew] };
    },
  });
  return outputs[0]!;
}

/**
 * The same c_t with a 2-node Scan body: the Scan emits keep_t ⊙ c_{t−1} and the sum with add_t
 * is taken once over all steps outside it (the same float addition, so the same bits), where
 * cellStates' body copies c_t into its output through an Identity at every step.
 */
export function cellStatesLean(c0: Value, keep: Value, add: Value): Value {
  const { outputs } = op.scan({
    name: 'lstm_grad_cell',
    initialStates: [c0],
    scanInputs: [keep, add],
    body: ([c], [k, a]) => {
      const kept = op.mul(k!, c!);
      return { states: [op.add(kept, a!)], outputs: [kept] };
    },
  });
  return op.add(outputs[0]!, add);
}

export interface StepTerms {
  /** dY_t masked to the valid steps, or null when Y does not reach the loss. */
  dy: Value | null;
  /** ∂c_t/∂h_t through h = o ⊙ tanh(c): o ⊙ (1 − tanh²c_t), 0 at padding. */
  hToC: Value;
  /** Per gate, d(pre-activation) per unit of (dc, dh, dc, dc): [T, D, B, 4H], 0 at padding. */
  gateScale: Value;
  /** f_t, 1 at padding: dc_{t−1} = dc_t ⊙ keep_t. */
  keep: Value;
  /** bool [T, 1, B, 1], or null without sequence lengths. */
  mask: Value | null;
}

/**
 * The reversed Scan: carries (dh, dc), emits dG_t (gate pre-activation gradients), with
 * dh_{t−1} = dG_t·R its only MatMul. Padding steps (all terms 0, keep 1, mask false) pass
 * dh and dc through and emit dG = 0, so dY_h / dY_c seeded into the state reach each
 * sequence's last valid step. Returns dG [T, D, B, 4H] and the final (dh_0, dc_0).
 */
export function backwardScan(t: StepTerms, r: Value, dh0: Value, dc0: Value): { dG: Value; dh: Value; dc: Value } {
  const scanInputs = [t.hToC, t.gateScale, t.keep, ...(t.mask ? [t.mask] : []), ...(t.dy ? [t.dy] : [])];
  const { states, outputs } = op.scan({
    name: 'lstm_grad',
    initialStates: [dh0, dc0],
    scanInputs,
    scanInputDirections: scanInputs.map(() => 1),
    scanOutputDirections: [1],
    body: ([dh, dc], [hToC, scale, keep, ...rest]) => {
      const m = t.mask ? rest[0]! : null;
      const dy = t.dy ? rest[rest.length - 1]! : null;
      const dhT = dy ? op.add(dh!, dy) : dh!;
      const dcT = op.add(dc!, op.mul(dhT, hToC!));
      const dG = op.mul(op.concat([dcT, dhT, dcT, dcT], -1), scale!); // [D, B, 4H]
      const dhR = op.matMul(dG, r); // [D, B, H]
      return { states: [m ? op.where(m, dhR, dhT) : dhR, op.mul(dcT, keep!)], outputs: [dG] };
    },
  });
  return { dG: outputs[0]!, dh: states[0]!, dc: states[1]! };
}

/** Σ over rows of aᵀ·b for a [D, N, m], b [D, N, n] -> [D, m, n] (the Transpose fuses into the MatMul). */
export function sumOuter(a: Value, b: Value): Value {
  return op.matMul(op.transpose(a, [0, 2, 1]), b);
}
