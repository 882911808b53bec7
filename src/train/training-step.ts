// The training step as a graph pass, the same for our classifier and for imported models:
// gradients of the loss → optimizer state inputs → lr/step inputs → update → outputs
// `loss`, `correct`, `grad_norm` and `<name>.next` for every parameter and state tensor.
// The step runner (step-runner.ts) feeds each `<name>.next` back as the next step's `<name>`.
// With the lazy embedding update the table and its two moments are not output whole: only
// `<table>.rows_ids` (int64 [U]) and `<name>.next_rows` [U, E], which the runner scatters into
// its own copies (a row update moves U×E floats where a full output copies V×E three times).
import { gradients } from '../autodiff/index.js';
import { op, type Graph, type Value } from '../graph/index.js';
import { fixPadRow } from '../nn/embedding.js';
import { buildOptimizerStep, optimizerState, resolveSpec, type OptimizerSpec, type RowGradient } from '../optim/index.js';

/** A named float32 tensor of static shape (a parameter or an optimizer state slot). */
export interface TensorSpec {
  name: string;
  dims: number[];
}

/** The output holding a parameter's or state tensor's value after the step. */
export const nextName = (name: string): string => `${name}.next`;

/** The output holding a row-updated tensor's new rows [U, E] (lazy embedding update). */
export const nextRowsName = (name: string): string => `${name}.next_rows`;

/** The output holding a row-updated table's row ids, int64 [U] (unique). */
export const rowIdsName = (table: string): string => `${table}.rows_ids`;

/** Tensors the step updates by rows: `tensors` (a table and its moments) get `<name>.next_rows` at the ids in output `idsOutput`. */
export interface RowUpdateSpec {
  /** Output name of the row ids, int64 [U], each once. */
  idsOutput: string;
  /** Parameter / state tensors ([V, E]) returned as `<name>.next_rows` [U, E] instead of `<name>.next`. */
  tensors: string[];
}

/** What one training step reports (float32 scalars read back from the step's outputs). */
export interface StepResult {
  /** Mean loss over the batch (before the update). */
  loss: number;
  /** Examples of the batch whose argmax matched the label. */
  correct: number;
  /** Global L2 norm of the gradients, before clipping. */
  gradNorm: number;
}

/** The step graph's contract with a runner: which tensors go round, and the scalar inputs' names. */
export interface TrainingStepSpec {
  /** Parameters, fed as inputs and returned as `<name>.next`, in graph order. */
  params: TensorSpec[];
  /** Optimizer state, zeros at the start, fed and returned like the parameters. */
  state: TensorSpec[];
  /** Learning rate and 1-based step number inputs (float32 scalars; 'lr' and 'step' unless those names were taken). */
  lrInput: string;
  stepInput: string;
  /** With the lazy embedding update (row outputs): the tensors returned by rows; null when every tensor comes back whole. */
  rowUpdates?: RowUpdateSpec | null;
}

export interface TrainingStepArgs {
  /** Scalar float loss to minimise. */
  loss: Value;
  /** Scalar float count of correctly classified examples (reported, not differentiated). */
  correct: Value;
  /** The trainable parameters (graph parameters, emitted as inputs), each of static shape. */
  params: Value[];
  /** The update rule, built by src/optim as a graph fragment. */
  optimizer: OptimizerSpec;
  /** An embedding table whose row 0 (padding) must stay fixed, as with PyTorch's `padding_idx=0`. */
  padRow?: Value | null;
  /** Opset the gradient rules may use (default: autodiff's). */
  opset?: number;
  /**
   * The embedding lookup, for the lazy update (torch's SparseAdam), used when the optimizer says
   * `embeddingUpdate: 'lazy'`: `table` [V, E] (one of `params`), `ids` (int64, any shape) and `rows`
   * (`Gather(table, ids)`, shape ids × E). The table's gradient is then taken at `rows` and never
   * scattered into a dense [V, E] tensor; the optimizer updates the looked-up rows only.
   */
  lookup?: { table: Value; ids: Value; rows: Value } | null;
  /**
   * With the lazy update: 'rows' (default) outputs the table's and its moments' updated rows
   * only (RowUpdateSpec); 'full' outputs them whole as `<name>.next` like every other tensor.
   */
  lazyOutputs?: 'rows' | 'full';
  /**
   * Let the gradient rules restructure for speed, results unchanged bit for bit (autodiff's
   * GradientsOptions.fuse; default true). false: the unfused backward, the reference it is tested against.
   */
  fuse?: boolean;
}

/**
 * Add the backward pass, the optimizer update and the step's outputs to `g`, whose forward pass
 * already computes `loss` and `correct`. A gradient whose shape inference lost a dim is viewed
 * as its parameter's static shape (a no-op at run time; imported graphs need it).
 * @throws GradientError (autodiff) when an op on the path to the loss has no gradient rule.
 */
export function addTrainingStep(g: Graph, args: TrainingStepArgs): TrainingStepSpec {
  const { params, optimizer } = args;
  const lr = g.input('lr', 'float32', [], { unique: true });
  const step = g.input('step', 'float32', [], { unique: true });
  const resolved = resolveSpec(optimizer);
  const lazy = args.lookup && resolved.kind !== 'sgd' && resolved.embeddingUpdate === 'lazy' ? args.lookup : null;
  const targets = lazy ? params.map((p) => (p === lazy.table ? lazy.rows : p)) : params;
  const grads = gradients(g, args.loss, targets, { ...(args.opset !== undefined ? { opset: args.opset } : {}), ...(args.fuse !== undefined ? { fuse: args.fuse } : {}) });
  const gradList = params.map((p): Value | RowGradient => {
    if (lazy && p === lazy.table) {
      const width = p.staticShape()[1]!;
      const rows = op.reshape(grads.get(lazy.rows)!, [-1, width]);
      return { kind: 'rows', ids: op.reshape(lazy.ids, [-1]), rows, ...(p === args.padRow ? { fixedId: 0 } : {}) };
    }
    let d = grads.get(p)!;
    if (p === args.padRow) d = fixPadRow(d);
    const want = p.staticShape();
    return d.shape && d.shape.length === want.length && d.shape.every((x, i) => x === want[i]) ? d : op.reshape(d, want);
  });
  const paramSpecs = params.map((v) => ({ name: v.name, dims: v.staticShape() }));
  const stateSpecs = optimizerState(optimizer, paramSpecs).map((s) => ({ name: s.name, dims: s.dims }));
  const stateInputs = stateSpecs.map((s) => g.input(s.name, 'float32', s.dims));
  const rowsOnly = lazy !== null && (args.lazyOutputs ?? 'rows') === 'rows';
  const upd = buildOptimizerStep(g, { params, grads: gradList, spec: optimizer, lr, step, state: stateInputs, rowsOnly });
  g.output(args.loss, 'loss');
  g.output(args.correct, 'correct');
  g.output(upd.gradNorm, 'grad_norm');
  // Outputs in the order they always had (parameters, then state); a row-updated tensor gives its rows.
  const slots = paramSpecs.length === 0 ? 0 : stateSpecs.length / paramSpecs.length;
  const byRows = new Set<string>();
  let rowUpdates: RowUpdateSpec | null = null;
  paramSpecs.forEach((p, i) => {
    const ids = rowsOnly ? upd.rowIds[i] : null;
    if (!ids) return;
    const tensors = [p.name, ...stateSpecs.slice(i * slots, (i + 1) * slots).map((s) => s.name)];
    tensors.forEach((t) => byRows.add(t));
    rowUpdates = { idsOutput: rowIdsName(p.name), tensors };
    g.output(ids, rowUpdates.idsOutput);
  });
  const out = (value: Value, name: string): void => void g.output(value, byRows.has(name) ? nextRowsName(name) : nextName(name));
  paramSpecs.forEach((p, i) => out(upd.newParams[i]!, p.name));
  stateSpecs.forEach((s, i) => out(upd.newState[i]!, s.name));
  return { params: paramSpecs, state: stateSpecs, lrInput: lr.name, stepInput: step.name, rowUpdates };
}
