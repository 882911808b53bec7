// Shared plumbing for op constructors.
import type { DType } from '../../onnx/tensor.js';
import { graphOf, type Attr, type Graph, type OutputSpec, type Shape, type Value } from '../ir.js';

/** A value, or a plain number turned into a scalar constant of the partner's dtype. */
export type Operand = Value | number;

export function operands(op: string, a: Operand, b: Operand): [Value, Value] {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: at least one operand must be a Value`);
  const av = typeof a === 'number' ? scalarLike(b as Value, a) : a;
  const bv = typeof b === 'number' ? scalarLike(av, b) : b;
  return [av, bv];
}

export function scalarLike(v: Value, x: number): Value {
  if (v.dtype === 'string' || v.dtype === 'bool') throw new Error(`no numeric scalar of dtype ${v.dtype}`);
  return v.graph.scalar(x, v.dtype as Exclude<DType, 'string' | 'bool'>);
}

export interface OpOptions {
  /** Name for the (single) output value. */
  name?: string;
}

/** Add a node to the innermost graph of its inputs and return its outputs. */
export function addOp(
  opType: string,
  inputs: (Value | null)[],
  attrs: Record<string, Attr>,
  outputs: OutputSpec[],
  opts: OpOptions & { graph?: Graph; outputNames?: string[] } = {},
): Value[] {
  const g = opts.graph ?? graphOf(...inputs);
  const outputNames = opts.outputNames ?? (opts.name !== undefined ? [opts.name] : undefined);
  return g.addNode(opType, inputs, attrs, outputs, outputNames ? { outputNames } : {});
}

export function one(opType: string, inputs: (Value | null)[], attrs: Record<string, Attr>, dtype: DType, shape: Shape, opts: OpOptions = {}): Value {
  return addOp(opType, inputs, attrs, [{ dtype, shape }], opts)[0]!;
}
