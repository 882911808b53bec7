// Plain float64 TypeScript versions of the optimizer updates, written from torch 1.13's
// single-tensor code paths (torch.optim.SGD/Adam/AdamW, torch.nn.utils.clip_grad_norm_).
// Independent of src/optim on purpose: defaults and state layout are restated here.
import type { OptimizerSpec } from '../../src/optim/index.js';

export interface RefStepResult {
  params: Float64Array[];
  /** Per parameter: SGD with momentum [buf]; Adam/AdamW [m, v]; plain SGD []. */
  state: Float64Array[];
  /** Global norm before clipping. */
  gradNorm: number;
}

/** Number of state tensors per parameter. */
export function refSlots(spec: OptimizerSpec): number {
  if (spec.kind === 'sgd') return (spec.momentum ?? 0) > 0 ? 1 : 0;
  return 2;
}

/** Zero state in the layout optimizerState() documents: grouped by parameter. */
export function refInitState(spec: OptimizerSpec, params: Float64Array[]): Float64Array[] {
  return params.flatMap((p) => Array.from({ length: refSlots(spec) }, () => new Float64Array(p.length)));
}

/** One optimizer step; `step` is 1-based. Inputs are not modified. */
export function refStep(spec: OptimizerSpec, params: Float64Array[], grads: Float64Array[], state: Float64Array[], lr: number, step: number): RefStepResult {
  let total = 0;
  for (const g of grads) for (const x of g) total += x * x;
  const gradNorm = Math.sqrt(total);
  let gs = grads;
  if (spec.clipNorm !== undefined) {
    const scale = Math.min(1, spec.clipNorm / (gradNorm + 1e-6));
    gs = grads.map((g) => g.map((x) => x * scale));
  }
  const slots = refSlots(spec);
  const newParams: Float64Array[] = [];
  const newState: Float64Array[] = [];
  params.forEach((p0, i) => {
    const g = gs[i]!;
    const p = Float64Array.from(p0);
    const st = state.slice(i * slots, (i + 1) * slots).map((s) => Float64Array.from(s));
    if (spec.kind === 'sgd') {
      const wd = spec.weightDecay ?? 0;
      const mom = spec.momentum ?? 0;
      for (let k = 0; k < p.length; k++) {
        let d = g[k]! + wd * p0[k]!;
        if (mom > 0) {
          const buf = mom * st[0]![k]! + d;
          st[0]![k] = buf;
          d = spec.nesterov ? d + mom * buf : buf;
        }
        p[k] = p0[k]! - lr * d;
      }
    } else {
      const b1 = spec.beta1 ?? 0.9;
      const b2 = spec.beta2 ?? 0.999;
      const eps = spec.eps ?? 1e-8;
      const wd = spec.weightDecay ?? (spec.kind === 'adamw' ? 0.01 : 0);
      const bc1 = 1 - b1 ** step;
      const bc2 = 1 - b2 ** step;
      const stepSize = lr / bc1;
      for (let k = 0; k < p.length; k++) {
        let gk = g[k]!;
        let pk = p0[k]!;
        if (spec.kind === 'adam') gk += wd * pk;
        else pk *= 1 - lr * wd;
        const m = b1 * st[0]![k]! + (1 - b1) * gk;
        const v = b2 * st[1]![k]! + (1 - b2) * gk * gk;
        st[0]![k] = m;
        st[1]![k] = v;
        p[k] = pk - (stepSize * m) / (Math.sqrt(v) / Math.sqrt(bc2) + eps);
      }
    }
    newParams.push(p);
    newState.push(...st);
  });
  return { params: newParams, state: newState, gradNorm };
}
