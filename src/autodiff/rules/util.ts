// Small helpers shared by the gradient rules.
import type { Node, Value } from '../../graph/ir.js';
import { refuse } from '../rule.js';
import { constInts, normAxis } from '../../graph/shape.js';
import * as op from '../../graph/ops/index.js';

/** The input's rank, or an error naming the rule that needs it. */
export function rankOf(node: Node, v: Value): number {
  if (v.rank === null) refuse(node, `its gradient needs the rank of '${v.name}'`);
  return v.rank;
}

/** Static integer contents of input `i` (shape/axes/starts), or an error naming the node. */
export function constInput(node: Node, i: number, what: string): number[] {
  const ints = constInts(node.inputs[i]);
  if (!ints) refuse(node, `its gradient needs constant ${what}`);
  return ints;
}

/** A reduction's axes (attribute, or constant second input), normalised and sorted; all axes when absent. */
export function reduceAxes(node: Node, rank: number): number[] {
  const given = node.attrInts('axes') ?? (node.inputs[1] ? constInput(node, 1, 'axes') : undefined);
  if (!given || given.length === 0) {
    return given && node.attrInt('noop_with_empty_axes', 0) === 1 ? [] : [...Array(rank).keys()];
  }
  return given.map((a) => normAxis(node.opType, a, rank)).sort((p, q) => p - q);
}

/** A reduction's output (or its gradient) made to broadcast against the input: the reduced
 *  axes put back as 1s, unless they lead (broadcasting aligns on the right: no node). */
export function keepDims(node: Node, v: Value, axes: number[]): Value {
  if (node.attrInt('keepdims', 1) === 1 || axes.every((a, i) => a === i)) return v;
  return op.unsqueeze(v, axes);
}

/** Elements of `x` reduced into each element of the reduction's output `y`: a number when
 *  static, else Size(x)/Size(y) cast to x's dtype. */
export function reducedCount(x: Value, y: Value, axes: number[]): Value | number {
  const dims = axes.map((a) => x.shape![a]);
  if (dims.every((d) => typeof d === 'number')) return (dims as number[]).reduce((p, q) => p * q, 1);
  return op.cast(op.div(op.size(x), op.size(y)), x.dtype);
}
