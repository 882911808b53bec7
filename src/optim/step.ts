// The optimizer update as a graph fragment, fused into the train-step graph.
// Everything is float32 and standard ai.onnx ops; lr and step come in as graph inputs.
// The update rules follow torch 1.13's single-tensor paths (torch.optim.SGD/Adam/AdamW,
// torch.nn.utils.clip_grad_norm_) operation by operation, so results agree to float32
// rounding.
import { GraphBuildError, op, type Graph, type Value } from '../graph/index.js';
import { resolveSpec, stateSlots, type OptimizerSpec, type ResolvedSpec } from './spec.js';
import { coalesceRows, isRowGradient, scatterRows, sparseAdamRows, type CoalescedRows, type RowGradient } from './lazy-rows.js';

export interface OptimizerStepArgs {
  /** Current parameters (graph inputs, or parameters emitted as inputs). */
  params: Value[];
  /**
   * dLoss/dParam, same order and shapes as `params`; a RowGradient (rows of an embedding table)
   * only with an Adam spec whose embeddingUpdate is 'lazy', and that parameter is then updated
   * by SparseAdam's rule on the rows it names.
   */
  grads: (Value | RowGradient)[];
  spec: OptimizerSpec;
  /** Learning rate: float32 scalar input. */
  lr: Value;
  /** The 1-based number of this step (Adam's bias correction): float32 scalar input. */
  step: Value;
  /** Optimizer state inputs, in `optimizerState(spec, params)` order. */
  state: Value[];
  /**
   * Leave a row-updated (lazy) parameter and its moments unscattered: their entries in
   * `newParams` / `newState` are then the updated rows [U, E] only, at the ids in
   * `rowIds` (default false: full [V, E] tensors).
   */
  rowsOnly?: boolean;
}

export interface OptimizerStepResult {
  newParams: Value[];
  /** Same order as `state`. */
  newState: Value[];
  /** Global L2 norm of all gradients before clipping (float32 scalar). */
  gradNorm: Value;
  /** Per parameter: int64 [U] the rows its update touched (each once), or null for a dense update. */
  rowIds: (Value | null)[];
}

/** clip_grad_norm_'s guard against division by zero. */
export const CLIP_EPS = 1e-6;

export function buildOptimizerStep(g: Graph, args: OptimizerStepArgs): OptimizerStepResult {
  const spec = resolveSpec(args.spec);
  const { params, state, lr, step } = args;
  const slots = stateSlots(args.spec);
  checkArgs(args, slots.length);

  return g.scope('optim', () => {
    // Row gradients are coalesced first: norms and clipping see each row once, as a dense gradient has it.
    const coalesced = args.grads.map((x, i) => (isRowGradient(x) ? g.scope(params[i]!.name, () => coalesceRows(x)) : null));
    const grads = args.grads.map((x, i) => coalesced[i]?.rows ?? (x as Value));
    const gradNorm = g.scope('grad_norm', () => globalNorm(grads));
    const clipped = spec.clipNorm === null ? grads : g.scope('clip', () => clipByNorm(grads, gradNorm, spec.clipNorm!));
    const shared = g.scope(spec.kind, () => sharedScalars(g, spec, lr, step));
    const newParams: Value[] = [];
    const newState: Value[] = [];
    const rowIds: (Value | null)[] = [];
    params.forEach((p, i) => {
      const own = state.slice(i * slots.length, (i + 1) * slots.length);
      const rows = coalesced[i];
      const r = g.scope(p.name, () => (rows ? updateRows(g, spec, shared, p, { ...rows, rows: clipped[i]! }, own, args.rowsOnly ?? false) : updateOne(g, spec, shared, p, clipped[i]!, own)));
      newParams.push(r.param);
      newState.push(...r.state);
      rowIds.push(rows ? rows.ids : null);
    });
    return { newParams, newState, gradNorm, rowIds };
  });
}

function checkArgs(a: OptimizerStepArgs, slotsPerParam: number): void {
  const fail = (msg: string): never => {
    throw new GraphBuildError(`buildOptimizerStep: ${msg}`);
  };
  if (a.params.length === 0) fail('no parameters to update');
  if (a.grads.length !== a.params.length) fail(`${a.params.length} parameters but ${a.grads.length} gradients`);
  const wantState = a.params.length * slotsPerParam;
  if (a.state.length !== wantState) {
    fail(`${a.spec.kind} keeps ${slotsPerParam} state tensor(s) per parameter: expected ${wantState} state values, got ${a.state.length} (see optimizerState())`);
  }
  const scalar = (v: Value, what: string): void => {
    if (v.dtype !== 'float32' || v.shape === null || v.shape.length !== 0) fail(`${what} '${v.name}' must be a float32 scalar (shape []), found ${v}`);
  };
  scalar(a.lr, 'lr');
  scalar(a.step, 'step');
  const sameShape = (x: Value, p: Value, what: string): void => {
    if (x.dtype !== 'float32') fail(`${what} '${x.name}' must be float32, found ${x.dtype}`);
    if (x.shape === null || p.shape === null || x.shape.length !== p.shape.length || x.shape.some((d, k) => d !== p.shape![k])) {
      fail(`${what} '${x.name}' has shape [${x.shape?.join(', ') ?? '?'}], parameter '${p.name}' has [${p.shape?.join(', ') ?? '?'}]`);
    }
  };
  const spec = resolveSpec(a.spec);
  a.params.forEach((p, i) => {
    if (p.dtype !== 'float32') fail(`parameter '${p.name}' must be float32, found ${p.dtype}`);
    const grad = a.grads[i]!;
    if (isRowGradient(grad)) {
      if (spec.kind === 'sgd' || spec.embeddingUpdate !== 'lazy') fail(`the gradient of '${p.name}' is given by rows: that needs an Adam spec with embeddingUpdate 'lazy', found ${JSON.stringify(a.spec)}`);
      if (p.rank !== 2 || grad.rows.rank !== 2 || grad.rows.shape![1] !== p.shape![1]) fail(`row gradient '${grad.rows.name}' ${grad.rows.toString()} does not fit parameter '${p.name}' ${p.toString()}: expected [N, ${p.shape?.[1] ?? '?'}]`);
      if (grad.ids.dtype !== 'int64' || grad.ids.rank !== 1) fail(`row ids '${grad.ids.name}' must be int64 [N], found ${grad.ids.toString()}`);
    } else sameShape(grad, p, 'gradient');
    for (let s = 0; s < slotsPerParam; s++) sameShape(a.state[i * slotsPerParam + s]!, p, 'state');
  });
}

/** sqrt(Σ‖g_i‖²): the norm of all gradients viewed as one vector. */
function globalNorm(grads: Value[]): Value {
  const squares = grads.map((x) => op.reduceSumSquare(x));
  return op.sqrt(op.sum(squares));
}

/** g · min(1, maxNorm / (norm + 1e-6)), applied unconditionally as torch does. */
function clipByNorm(grads: Value[], norm: Value, maxNorm: number): Value[] {
  const coef = op.div(maxNorm, op.add(norm, CLIP_EPS));
  const scale = op.min(coef, 1);
  return grads.map((x) => op.mul(x, scale));
}

/** Scalars shared by every parameter's update, computed once. */
interface Shared {
  /** SGD: −lr. Adam: lr / (1 − β1^t). */
  stepSize: Value;
  /** Adam: sqrt(1 − β2^t). */
  bc2Sqrt?: Value;
  /** AdamW: 1 − lr·wd. */
  decay?: Value;
  /** SparseAdam (lazy embedding rows): lr·√(1 − β2^t) / (1 − β1^t). */
  sparseStepSize?: Value;
}

function sharedScalars(g: Graph, spec: ResolvedSpec, lr: Value, step: Value): Shared {
  if (spec.kind === 'sgd') return { stepSize: op.neg(lr) };
  const bc1 = g.scope('bias_correction1', () => oneMinusPow(spec.beta1, step));
  const bc2 = g.scope('bias_correction2', () => oneMinusPow(spec.beta2, step));
  const shared: Shared = {
    stepSize: bc1 === null ? lr : op.div(lr, bc1),
    bc2Sqrt: bc2 === null ? lr.graph.scalar(1) : op.sqrt(bc2),
  };
  if (spec.kind === 'adamw' && spec.weightDecay !== 0) shared.decay = op.sub(1, op.mul(lr, spec.weightDecay));
  if (spec.embeddingUpdate === 'lazy') shared.sparseStepSize = op.mul(shared.stepSize, shared.bc2Sqrt!);
  return shared;
}

/**
 * 1 − β^t for a float32 step t, to a few float32 ulps (measured ≤ 2e-7 relative for
 * t up to 1e7). torch evaluates it in float64; the naive float32 `1 − Pow(β, t)` is off
 * by ~2e-5 relative for β = 0.999 and ~2e-4 for 0.9999 (β itself is rounded, and the
 * subtraction cancels). Instead: x = t·ln β (ln β taken in float64) and 1 − β^t =
 * −expm1(x), with expm1 by Kahan's trick (u − 1)·x / log(u), u = e^x, while u is near 1,
 * and 1 − u once x < −1 where nothing cancels. Null when β = 0 (the result is 1).
 */
export function oneMinusPow(beta: number, t: Value): Value | null {
  if (beta === 0) return null;
  const x = op.mul(t, Math.log(beta));
  const u = op.exp(x);
  const uMinus1 = op.sub(u, 1);
  const kahan = op.neg(op.div(op.mul(uMinus1, x), op.log(u)));
  const nearOne = op.where(op.equal(u, 1), op.neg(x), kahan);
  return op.where(op.less(x, -1), op.neg(uMinus1), nearOne);
}

function updateOne(g: Graph, spec: ResolvedSpec, shared: Shared, p: Value, grad: Value, state: Value[]): { param: Value; state: Value[] } {
  if (spec.kind === 'sgd') {
    // d = g + wd·p; buf = momentum·buf + d; d = nesterov ? d + momentum·buf : buf; p -= lr·d
    let d = spec.weightDecay !== 0 ? op.add(grad, op.mul(p, spec.weightDecay)) : grad;
    const newState: Value[] = [];
    if (spec.momentum !== 0) {
      const buf = g.scope('momentum', () => op.add(op.mul(state[0]!, spec.momentum), d));
      newState.push(buf);
      d = spec.nesterov ? op.add(d, op.mul(buf, spec.momentum)) : buf;
    }
    return { param: op.add(p, op.mul(d, shared.stepSize)), state: newState };
  }
  // Adam: g += wd·p. AdamW: p *= 1 − lr·wd.
  const gr = spec.kind === 'adam' && spec.weightDecay !== 0 ? op.add(grad, op.mul(p, spec.weightDecay)) : grad;
  const p0 = shared.decay ? op.mul(p, shared.decay) : p;
  // m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g  (the 1−β constants rounded from float64, as torch does)
  const m = g.scope('m', () => op.add(op.mul(state[0]!, spec.beta1), op.mul(gr, 1 - spec.beta1)));
  const v = g.scope('v', () => op.add(op.mul(state[1]!, spec.beta2), op.mul(op.mul(gr, 1 - spec.beta2), gr)));
  // p −= (lr / bc1)·m / (sqrt(v) / sqrt(bc2) + eps)
  const denom = g.scope('denom', () => op.add(op.div(op.sqrt(v), shared.bc2Sqrt!), spec.eps));
  const param = op.sub(p0, op.div(op.mul(m, shared.stepSize), denom));
  return { param, state: [m, v] };
}

/**
 * A parameter whose gradient came as rows: SparseAdam on those rows (spec checked by checkArgs).
 * `rowsOnly`: return the updated rows [U, E] instead of scattering them into p, m, v [V, E].
 */
function updateRows(g: Graph, spec: ResolvedSpec, shared: Shared, p: Value, grad: CoalescedRows, state: Value[], rowsOnly: boolean): { param: Value; state: Value[] } {
  if (spec.kind === 'sgd' || !shared.sparseStepSize) throw new GraphBuildError(`buildOptimizerStep: row gradient for '${p.name}' without a lazy Adam spec`);
  return g.scope('sparse_adam', () => {
    const r = sparseAdamRows({ param: p, m: state[0]!, v: state[1]!, grad, stepSize: shared.sparseStepSize!, beta1: spec.beta1, beta2: spec.beta2, eps: spec.eps });
    if (rowsOnly) return { param: r.param, state: [r.m, r.v] };
    return { param: scatterRows(p, r.ids, r.param), state: [scatterRows(state[0]!, r.ids, r.m), scatterRows(state[1]!, r.ids, r.v)] };
  });
}
