// Processing order: the LSTM's directions stacked as [T, D, B, k], each direction's steps in
// the order that direction visits them. Direction 0 (forward) is time itself; the reverse
// direction is each sequence reversed within its own length (ReverseSequence), so step t of
// every direction is "the t-th step taken", padding stays at the end, one mask serves all
// directions, and one Scan runs all directions at once (D is just another batch dim).
// Shared by the LSTM written as a Scan (nn/lstm-scan.ts) and the LSTM gradient rule.
import { GraphBuildError } from './errors.js';
import type { Value } from './ir.js';
import * as op from './ops/index.js';
import type { LstmDirection } from './ops/nn.js';
import { tensorOf } from '../onnx/tensor.js';

/** Dims [start, end) of x's shape as int64 (Shape + Slice: Shape's own start/end needs opset 15). */
export function dims(x: Value, start: number, end: number): Value {
  return op.slice(op.shapeOf(x), [start], [end], [0]);
}

export type { LstmDirection };

export function directionOf(s: string): LstmDirection {
  if (s === 'forward' || s === 'reverse' || s === 'bidirectional') return s;
  throw new GraphBuildError(`LSTM: unknown direction '${s}'`);
}

export const numDirections = (dir: LstmDirection): number => (dir === 'bidirectional' ? 2 : 1);

/** Per direction: is it processed back to front? */
export const reversedFlags = (dir: LstmDirection): boolean[] =>
  dir === 'bidirectional' ? [false, true] : [dir === 'reverse'];

export interface LstmLengths {
  /** int64 [B], or null when every sequence spans all T steps. */
  lens: Value | null;
  /** bool [T, 1, B, 1]: step t is within sequence b (null without lengths). */
  mask: Value | null;
  /** The same mask as 0/1 in the data dtype. */
  maskF: Value | null;
}

/** Lengths and step masks from the LSTM's optional int32 sequence_lens. */
export function lstmLengths(x: Value, sequenceLens: Value | null): LstmLengths {
  if (!sequenceLens) return { lens: null, mask: null, maskF: null };
  const g = x.graph;
  const lens = op.cast(sequenceLens, 'int64');
  const T = op.squeeze(dims(x, 0, 1), [0]);
  const steps = op.unsqueeze(op.range(g.scalar(0, 'int64'), T, g.scalar(1, 'int64')), [1, 2, 3]);
  const mask = op.less(steps, op.reshape(lens, [1, 1, -1, 1]));
  return { lens, mask, maskF: op.cast(mask, x.dtype) };
}

/** [T, B, k] with each sequence's valid steps reversed (the whole time axis without lengths). */
export function reverseTime(z: Value, lens: Value | null): Value {
  if (lens) return op.reverseSequence(z, lens, { timeAxis: 0, batchAxis: 1 });
  return op.slice(z, [-1], [Number.MIN_SAFE_INTEGER], [0], [-1]);
}

/**
 * An input [T, B, k] seen by every direction, in processing order, stacked on `axis`:
 * 1 gives [T, D, B, k]; 0 gives [D, T, B, k], the layout of the big MatMuls.
 */
export function stackDirections(x: Value, dir: LstmDirection, lens: Value | null, axis: 0 | 1 = 1): Value {
  const parts = reversedFlags(dir).map((rev) => op.unsqueeze(rev ? reverseTime(x, lens) : x, [axis]));
  return parts.length === 1 ? parts[0]! : op.concat(parts, axis);
}

/** Per-direction [T, D, B, k] (or [D, T, B, k] with axis 0) -> back to time order, summed over D. */
export function sumDirections(z: Value, dir: LstmDirection, lens: Value | null, axis: 0 | 1 = 1): Value {
  const flags = reversedFlags(dir);
  const parts = flags.length === 1 ? [op.squeeze(z, [axis])] : op.split(z, [1, 1], axis).map((p) => op.squeeze(p, [axis]));
  return op.sum(parts.map((p, d) => (flags[d] ? reverseTime(p, lens) : p)));
}

/**
 * [T, D, B, k] -> [D, T·B, k]: rows grouped per direction, so a product with a per-direction
 * weight is one GEMM per direction rather than one per (step, direction).
 */
export function rowsPerDirection(z: Value, D: number, k: number): Value {
  return op.reshape(D === 1 ? z : op.transpose(z, [1, 0, 2, 3]), [D, -1, k]);
}

/** [D, T·B, k] -> [D, T, B, k], with T and B read from x [T, B, ·] at run time. */
export function unflattenRows(z: Value, x: Value, D: number, k: number): Value {
  const g = x.graph;
  return op.reshape(z, op.concat([g.vector([D]), dims(x, 0, 2), g.vector([k])], 0));
}

/** [D, T·B, k] -> [T, D, B, k]. */
export function stepsFirst(z: Value, x: Value, D: number, k: number): Value {
  const g = x.graph;
  if (D > 1) return op.transpose(unflattenRows(z, x, D, k), [1, 0, 2, 3]);
  const t = dims(x, 0, 1);
  const b = dims(x, 1, 2);
  return op.reshape(z, op.concat([t, g.vector([1]), b, g.vector([k])], 0));
}

/**
 * A per-direction tensor [T, D, B, k] between time order and processing order (the map is
 * its own inverse: only the reverse direction's slice is reversed within each length).
 */
export function swapOrder(z: Value, dir: LstmDirection, lens: Value | null): Value {
  if (dir === 'forward') return z;
  if (dir === 'reverse') return op.unsqueeze(reverseTime(op.squeeze(z, [1]), lens), [1]);
  const [fwd, rev] = op.split(z, [1, 1], 1);
  return op.concat([fwd!, op.unsqueeze(reverseTime(op.squeeze(rev!, [1]), lens), [1])], 1);
}

/** Zeros [D, B, H] with B read from x [T, B, ·] at run time. */
export function zeroState(x: Value, D: number, H: number): Value {
  const g = x.graph;
  const shape = op.concat([g.vector([D]), dims(x, 1, 2), g.vector([H])], 0);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new GraphBuildError(`LSTM: '${x.name}' must be float32 or float64`);
  return op.constantOfShape(shape, tensorOf(x.dtype, [0], [1]));
}
