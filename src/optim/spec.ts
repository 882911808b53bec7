// Optimizer specifications (JSON-serialisable, stored in artifact.json) and the state
// tensors each optimizer keeps per parameter. Learning rate and step are not part of the
// spec: they are graph inputs, so schedules live in TypeScript and a step is pure.
import { CodedError } from '../errors.js';

/** torch.optim.SGD (dampening 0): `buf = momentum·buf + g`, `p -= lr·(nesterov ? g + momentum·buf : buf)`. */
export interface SgdSpec {
  kind: 'sgd';
  /** Default 0 (no momentum buffer). */
  momentum?: number;
  /** Default false; needs momentum > 0, as in torch. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, default 0. */
  weightDecay?: number;
  /** Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_); off when absent. */
  clipNorm?: number;
}

/**
 * torch.optim.Adam ('adam': weight decay is L2 added to the gradient, default 0) or
 * torch.optim.AdamW ('adamw': decoupled decay `p *= 1 − lr·wd`, default 0.01).
 */
export interface AdamSpec {
  kind: 'adam' | 'adamw';
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v̂), default 1e-8. */
  eps?: number;
  weightDecay?: number;
  clipNorm?: number;
  /**
   * How the embedding table ('embedding.weight') is updated. 'dense' (default): Adam over the
   * whole table every step, as torch.optim.Adam does. 'lazy': torch.optim.SparseAdam over an
   * Embedding(sparse=True): only the rows the batch looks up (padding excluded) move, with their
   * moments, by SparseAdam's rule p −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + eps); every other
   * parameter stays on dense Adam. Needs kind 'adam' and weightDecay 0 (SparseAdam has no decay).
   */
  embeddingUpdate?: 'dense' | 'lazy';
}

export type OptimizerSpec = SgdSpec | AdamSpec;

/** A spec with every default filled in. */
export type ResolvedSpec =
  | { kind: 'sgd'; momentum: number; nesterov: boolean; weightDecay: number; clipNorm: number | null }
  | { kind: 'adam' | 'adamw'; beta1: number; beta2: number; eps: number; weightDecay: number; clipNorm: number | null; embeddingUpdate: 'dense' | 'lazy' };

/** An optimizer spec that torch would also reject (or that makes no sense here). */
export class OptimizerSpecError extends CodedError {
  constructor(message: string) {
    super('E_OPTIMIZER_SPEC', 'OptimizerSpecError', message);
  }
}

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new OptimizerSpecError(`invalid optimizer setting: ${what} (got ${JSON.stringify(value)})`);
}

const finite = (x: number): boolean => typeof x === 'number' && Number.isFinite(x);

/** Fill in defaults and validate the ranges torch validates. */
export function resolveSpec(spec: OptimizerSpec): ResolvedSpec {
  const clipNorm = spec.clipNorm ?? null;
  if (clipNorm !== null) check(finite(clipNorm) && clipNorm > 0, 'clipNorm must be a finite number > 0', clipNorm);
  const weightDecayDefault = spec.kind === 'adamw' ? 0.01 : 0;
  const weightDecay = spec.weightDecay ?? weightDecayDefault;
  check(finite(weightDecay) && weightDecay >= 0, 'weightDecay must be a finite number >= 0', weightDecay);
  switch (spec.kind) {
    case 'sgd': {
      const momentum = spec.momentum ?? 0;
      const nesterov = spec.nesterov ?? false;
      check(finite(momentum) && momentum >= 0, 'momentum must be a finite number >= 0', momentum);
      check(typeof nesterov === 'boolean', 'nesterov must be a boolean', nesterov);
      check(!nesterov || momentum > 0, 'nesterov momentum requires momentum > 0', momentum);
      return { kind: 'sgd', momentum, nesterov, weightDecay, clipNorm };
    }
    case 'adam':
    case 'adamw': {
      const beta1 = spec.beta1 ?? 0.9;
      const beta2 = spec.beta2 ?? 0.999;
      const eps = spec.eps ?? 1e-8;
      check(finite(beta1) && beta1 >= 0 && beta1 < 1, 'beta1 must be in [0, 1)', beta1);
      check(finite(beta2) && beta2 >= 0 && beta2 < 1, 'beta2 must be in [0, 1)', beta2);
      check(finite(eps) && eps >= 0, 'eps must be a finite number >= 0', eps);
      const embeddingUpdate = spec.embeddingUpdate ?? 'dense';
      check(embeddingUpdate === 'dense' || embeddingUpdate === 'lazy', "embeddingUpdate must be 'dense' or 'lazy'", embeddingUpdate);
      check(embeddingUpdate === 'dense' || (spec.kind === 'adam' && weightDecay === 0), "embeddingUpdate 'lazy' (SparseAdam) needs kind 'adam' with weightDecay 0", { kind: spec.kind, weightDecay });
      return { kind: spec.kind, beta1, beta2, eps, weightDecay, clipNorm, embeddingUpdate };
    }
    default:
      throw new OptimizerSpecError(`unknown optimizer kind ${JSON.stringify((spec as { kind: unknown }).kind)}: expected 'sgd', 'adam' or 'adamw'`);
  }
}

export interface StateSpec {
  name: string;
  dims: number[];
  init: 'zeros';
}

/** The per-parameter state slots, as name prefixes, in the order they appear per parameter. */
export function stateSlots(spec: OptimizerSpec): string[] {
  const r = resolveSpec(spec);
  if (r.kind === 'sgd') return r.momentum > 0 ? ['sgd.momentum'] : [];
  return [`${r.kind}.m`, `${r.kind}.v`];
}

/**
 * The optimizer's state tensors, grouped by parameter in parameter order
 * (Adam: `adam.m.<p0>`, `adam.v.<p0>`, `adam.m.<p1>`, …; AdamW the same under `adamw.`;
 * SGD with momentum: `sgd.momentum.<p>`; plain SGD: none). All start at zero: with
 * dampening 0, torch's first-step `buf = clone(g)` equals `momentum·0 + g`.
 */
export function optimizerState(spec: OptimizerSpec, params: readonly { name: string; dims: readonly number[] }[]): StateSpec[] {
  const slots = stateSlots(spec);
  return params.flatMap((p) => slots.map((s) => ({ name: `${s}.${p.name}`, dims: [...p.dims], init: 'zeros' as const })));
}
