// The lazy (sparse) embedding update: torch.optim.SparseAdam as a graph fragment. A batch of
// ~800 tokens looks up a few hundred of the table's 16k+ rows, so the dense update (a
// [V, E] gradient scattered from zeros, its norm, ten element-wise passes of Adam over p, m
// and v) does ~50× the work it has to. Here only the looked-up rows are gathered, updated and
// scattered back.
//
//   Before (dense):  dRows [N, E] ─ScatterND(add) into zeros [V, E]→ Adam over [V, E] → p, m, v
//   After (lazy):    ids [N] ─Unique→ uniq [U], inverse [N]
//                    dRows [N, E] ─ScatterND(add) into zeros [U, E]→ g [U, E]  (duplicates summed)
//                    p[uniq], m[uniq], v[uniq] ─SparseAdam→ rows ─ScatterND→ p, m, v
import { GraphBuildError, op, type Value } from '../graph/index.js';

/**
 * A gradient given by rows: parameter row `ids[k]` receives `rows[k]`; repeated ids add up, as
 * an embedding's gradient does (torch: an Embedding(sparse=True) gradient before coalesce()).
 * Row `fixedId` (the padding row) never moves, nor do its moments, as torch leaves
 * `padding_idx` out of the sparse gradient.
 */
export interface RowGradient {
  kind: 'rows';
  /** int64 [N]: the looked-up row of each gradient row. */
  ids: Value;
  /** float32 [N, E]. */
  rows: Value;
  /** A row left out of the update (default: none). */
  fixedId?: number;
}

/** True when a gradient is given by rows (a RowGradient) rather than as a dense tensor. */
export function isRowGradient(x: Value | RowGradient): x is RowGradient {
  return (x as RowGradient).kind === 'rows';
}

/** A row gradient with each row once: `ids` int64 [U] ascending, `rows` [U, E] summed, `keep` bool [U, 1] (false for the fixed row). */
export interface CoalescedRows {
  ids: Value;
  rows: Value;
  keep: Value | null;
}

/**
 * Sum the rows of repeated ids (torch's coalesce()); the fixed row's gradient is zeroed, so norms
 * leave it out. Throws GraphBuildError (E_GRAPH_BUILD) when the rows' width is not static.
 */
export function coalesceRows(g: RowGradient): CoalescedRows {
  const width = g.rows.shape?.[1];
  if (typeof width !== 'number') throw new GraphBuildError(`coalesceRows: rows must be [N, E] with a static E, found ${g.rows.toString()}`);
  const { values: ids, inverse } = op.unique(g.ids);
  const dims = op.concat([op.shapeOf(ids), g.ids.graph.vector([width], 'int64')], 0);
  const zeros = op.zerosOfShape(dims, 'float32', [ids.shape![0]!, width]);
  let rows = op.scatterND(zeros, op.unsqueeze(inverse, [-1]), g.rows, 'add');
  let keep: Value | null = null;
  if (g.fixedId !== undefined) {
    keep = op.unsqueeze(op.not(op.equal(ids, g.ids.graph.scalar(g.fixedId, 'int64'))), [-1]);
    rows = op.where(keep, rows, 0);
  }
  return { ids, rows, keep };
}

export interface SparseAdamArgs {
  /** The full parameter [V, E] and its moments m, v [V, E]. */
  param: Value;
  m: Value;
  v: Value;
  grad: CoalescedRows;
  /** lr·√(1−β2ᵗ)/(1−β1ᵗ): float32 scalar. */
  stepSize: Value;
  beta1: number;
  beta2: number;
  eps: number;
}

/** The rows SparseAdam updated: `ids` int64 [U] (each once, ascending) and the new rows [U, E] of p, m, v. */
export interface UpdatedRows {
  ids: Value;
  param: Value;
  m: Value;
  v: Value;
}

/**
 * torch 1.13's sparse_adam on the rows in `grad` (operation by operation, so results agree to
 * float32 rounding): m += (1−β1)(g − m); v += (1−β2)(g² − v); p −= stepSize · m / (√v + eps).
 * Returns only the updated rows (UpdatedRows); the fixed (padding) row's entries are its old
 * values. scatterRows() writes them into the full tensors, or a runner does it outside the graph.
 */
export function sparseAdamRows(a: SparseAdamArgs): UpdatedRows {
  const { grad } = a;
  const m0 = op.gather(a.m, grad.ids, 0);
  const v0 = op.gather(a.v, grad.ids, 0);
  const p0 = op.gather(a.param, grad.ids, 0);
  const m1 = op.add(m0, op.mul(op.sub(grad.rows, m0), 1 - a.beta1));
  const v1 = op.add(v0, op.mul(op.sub(op.mul(grad.rows, grad.rows), v0), 1 - a.beta2));
  const denom = op.add(op.sqrt(v1), a.eps);
  const p1 = op.sub(p0, op.mul(op.div(m1, denom), a.stepSize));
  // The fixed (padding) row keeps its old values: scattering them back leaves it as it was.
  const pick = (fresh: Value, old: Value): Value => (grad.keep ? op.where(grad.keep, fresh, old) : fresh);
  return { ids: grad.ids, param: pick(p1, p0), m: pick(m1, m0), v: pick(v1, v0) };
}

/** `full` [V, E] with row `ids[k]` (int64 [U], unique) replaced by `rows[k]` ([U, E]); other rows pass through. */
export function scatterRows(full: Value, ids: Value, rows: Value): Value {
  return op.scatterND(full, op.unsqueeze(ids, [-1]), rows);
}
