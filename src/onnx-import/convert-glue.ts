// Converters for the glue exporters wrap around the model: shape arithmetic, views,
// gathers, casts and comparisons. Typed constructors where the builder has one; a generic
// node (the op as it is, output shapes worked out here) for integer-only glue that no
// gradient ever flows through (TopK over lengths, ScatterElements of a permutation, …).
import { op, type Dim, type Shape, type Value } from '../graph/index.js';
import { broadcastShapes, normAxis, UNKNOWN } from '../graph/shape.js';
import type { OutputSpec } from '../graph/ir.js';
import type { DType } from '../onnx/tensor.js';
import { dtypeOfElem, type Ctx } from './context.js';
import { reductionAxes, type Converter } from './convert-math.js';

function generic(c: Ctx, outputs: OutputSpec[]): Value[] {
  return c.g.addNode(c.opType, c.ins, c.attrs, outputs);
}

const sameShape: Converter = (c) => generic(c, [{ dtype: c.input(0).dtype, shape: c.input(0).shape }]);

const compare = (f: (a: Value, b: Value) => Value): Converter => (c) => [f(c.input(0), c.input(1))];

/** Identity and inference-mode Dropout: the output is the input itself (no node). */
const passThrough: Converter = (c) => {
  const outs = c.node.output ?? [];
  if (c.opType === 'Dropout') {
    const training = c.opt(2);
    if (training && !(training.constValue && (training.constValue.data as Uint8Array)[0] === 0)) {
      c.fail('training_mode must be absent or a constant false: imported models are fine-tuned without dropout');
    }
    if (outs[1]) c.fail('the mask output is not supported');
  }
  return [c.input(0)];
};

const cast: Converter = (c) => {
  const x = c.input(0);
  const to = dtypeOfElem(c.int('to', 0), `${c.label}: Cast 'to'`);
  return [to === x.dtype ? x : op.cast(x, to)];
};

/**
 * Gather. A constant negative index is made non-negative, so the gradient's ScatterND never
 * sees one: with the axis size when it is static, else as `index + Shape(data)[axis]` computed
 * in the graph (`out[:, -1, :]` on a batch-first output whose time axis is symbolic).
 */
const gather: Converter = (c) => {
  const data = c.input(0);
  let indices = c.input(1);
  const axis = c.int('axis', 0);
  const idx = c.constInts(1);
  if (idx && idx.some((i) => i < 0) && data.rank !== null) {
    const a = normAxis('Gather', axis, data.rank);
    const n = data.shape![a];
    const dims = [...indices.staticShape()];
    if (typeof n === 'number') {
      indices = c.g.vector(idx.map((i) => (i < 0 ? i + n : i)), 'int64', dims);
    } else {
      // Only the negative entries get the size added: index + (index < 0) · size.
      const size = op.squeeze(op.shapeOf(data, { start: a, end: a + 1 }), [0]);
      const negative = c.g.vector(idx.map((i) => (i < 0 ? 1 : 0)), 'int64', dims);
      indices = op.add(c.g.vector(idx, 'int64', dims), op.mul(negative, size));
    }
  }
  return [op.gather(data, indices, axis)];
};

const shape: Converter = (c) => {
  const start = c.attrs.start ? c.int('start', 0) : undefined;
  const end = c.attrs.end ? c.int('end', 0) : undefined;
  return [op.shapeOf(c.input(0), { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) })];
};

function axesOf(c: Ctx, what: string): number[] | null {
  if (c.opset < 13) return c.ints('axes') ?? null;
  return c.opt(1) ? c.requireInts(1, what) : null;
}

const squeeze: Converter = (c) => {
  const x = c.input(0);
  let axes = axesOf(c, 'axes');
  if (!axes) {
    // No axes: every dim of size 1, which must then be known statically.
    if (!x.shape || x.shape.some((d) => typeof d !== 'number')) return generic(c, [{ dtype: x.dtype, shape: null }]);
    axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  }
  return [op.squeeze(x, axes)];
};

const unsqueeze: Converter = (c) => {
  const axes = axesOf(c, 'axes');
  if (!axes) c.fail('axes are required');
  return [op.unsqueeze(c.input(0), axes!)];
};

/**
 * Reshape. A constant target's −1 is resolved when the dims it stands for are static once the
 * copied (0) dims cancel: [T, B, 2, H] → [0, 0, −1] becomes [0, 0, 2H], so the width stays
 * known downstream (Linear weights' gradients need it), whatever T and B are.
 */
const reshape: Converter = (c) => {
  const x = c.input(0);
  let target = c.constInts(1);
  if (c.int('allowzero', 0) === 1 && (!target || target.includes(0))) c.fail('allowzero=1 with a zero (or computed) target dim is not supported');
  const neg = target ? target.indexOf(-1) : -1;
  if (target && neg >= 0 && x.shape) {
    const rest = x.shape.filter((_, i) => !(target![i] === 0 && i < target!.length));
    const known = target.filter((d, i) => i !== neg && d !== 0);
    if (rest.every((d) => typeof d === 'number') && known.every((d) => d > 0)) {
      const num = (rest as number[]).reduce((a, b) => a * b, 1);
      const den = known.reduce((a, b) => a * b, 1);
      if (den > 0 && num % den === 0) target = target.map((d, i) => (i === neg ? num / den : d));
    }
  }
  return [op.reshape(x, target ?? c.input(1))];
};

const split: Converter = (c) => {
  const x = c.input(0);
  const axis = c.int('axis', 0);
  const n = c.outputCount;
  let sizes = c.opset >= 13 ? (c.opt(1) ? c.requireInts(1, 'split') : null) : c.ints('split') ?? null;
  if (!sizes && x.rank !== null) {
    const d = x.shape![normAxis('Split', axis, x.rank)];
    if (typeof d === 'number') {
      const parts = c.int('num_outputs', n);
      const chunk = Math.ceil(d / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
    }
  }
  if (sizes) return op.split(x, sizes, axis);
  const shapes: Shape[] = Array.from({ length: n }, () => (x.shape ? x.shape.map((d, i) => (i === normAxis('Split', axis, x.rank!) ? UNKNOWN : d)) : null));
  return generic(c, shapes.map((s) => ({ dtype: x.dtype, shape: s })));
};

const slice: Converter = (c) => {
  const x = c.input(0);
  const starts = c.constInts(1);
  const ends = c.constInts(2);
  const axes = c.opt(3) ? c.constInts(3) : undefined;
  const steps = c.opt(4) ? c.constInts(4) : undefined;
  if (starts && ends && axes !== null && steps !== null) return [op.slice(x, starts, ends, axes, steps)];
  // Computed bounds: the node as it is, rank kept (its gradient needs constant bounds).
  return generic(c, [{ dtype: x.dtype, shape: x.shape ? x.shape.map(() => UNKNOWN) : null }]);
};

const constantOfShape: Converter = (c) => {
  const value = c.tensor('value') ?? { dtype: 'float32' as const, dims: [1], data: new Float32Array(1) };
  return [op.constantOfShape(c.input(0), value)];
};

const topK: Converter = (c) => {
  const x = c.input(0);
  const k = c.constInts(1);
  const a = x.rank === null ? null : normAxis('TopK', c.int('axis', -1), x.rank);
  const s: Shape = x.shape && a !== null ? x.shape.map((d, i): Dim => (i === a ? (k ? k[0]! : UNKNOWN) : d)) : null;
  return generic(c, [{ dtype: x.dtype, shape: s }, { dtype: 'int64', shape: s }]);
};

/** ReduceProd and the other reductions without a typed constructor (integer shape glue). */
const genericReduce: Converter = (c) => {
  const x = c.input(0);
  const axes = reductionAxes(c);
  const keep = c.int('keepdims', 1) === 1;
  let s: Shape = null;
  if (x.shape) {
    const all = !axes || axes.length === 0;
    const norm = all ? x.shape.map((_, i) => i) : axes.map((a) => normAxis(c.opType, a, x.rank!));
    s = keep ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  }
  const attrs = { ...c.attrs };
  if (axes && !attrs.axes) attrs.axes = { type: 'ints', value: axes };
  return c.g.addNode(c.opType, [x], attrs, [{ dtype: x.dtype, shape: s }]);
};

const pad: Converter = (c) => {
  const x = c.input(0);
  const pads = c.opset >= 11 ? c.constInts(1) : c.ints('pads') ?? null;
  let s: Shape = x.shape ? x.shape.map(() => UNKNOWN) : null;
  if (x.shape && pads && !c.opt(3)) {
    const r = x.rank!;
    s = x.shape.map((d, i) => (typeof d === 'number' ? d + pads[i]! + pads[i + r]! : pads[i] === 0 && pads[i + r] === 0 ? d : UNKNOWN));
  }
  return generic(c, [{ dtype: x.dtype, shape: s }]);
};

const broadcastGeneric = (dtype?: DType): Converter => (c) => {
  const [a, b] = [c.input(0), c.input(1)];
  return generic(c, [{ dtype: dtype ?? a.dtype, shape: broadcastShapes(c.opType, a.shape, b.shape) }]);
};

export const GLUE_CONVERTERS: Record<string, Converter> = {
  Identity: passThrough,
  Dropout: passThrough,
  Cast: cast,
  Shape: shape,
  Size: (c) => [op.size(c.input(0))],
  Gather: gather,
  GatherElements: (c) => [op.gatherElements(c.input(0), c.input(1), c.int('axis', 0))],
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: (c) => [op.concat(c.ins.filter((v): v is Value => v !== null), c.int('axis', 0))],
  Split: split,
  Slice: slice,
  Transpose: (c) => [op.transpose(c.input(0), c.ints('perm'))],
  Reshape: reshape,
  Flatten: (c) => [op.flatten(c.input(0), c.int('axis', 1))],
  Expand: (c) => [op.expand(c.input(0), c.input(1))],
  Tile: (c) => [op.tile(c.input(0), c.input(1))],
  ConstantOfShape: constantOfShape,
  Range: (c) => [op.range(c.input(0), c.input(1), c.input(2))],
  OneHot: (c) => [op.oneHot(c.input(0), c.input(1), c.input(2), c.int('axis', -1))],
  Equal: compare(op.equal),
  Less: compare(op.less),
  Greater: compare(op.greater),
  LessOrEqual: compare(op.lessOrEqual),
  GreaterOrEqual: compare(op.greaterOrEqual),
  And: compare(op.and),
  Or: compare(op.or),
  Xor: broadcastGeneric('bool'),
  Mod: broadcastGeneric(),
  Not: (c) => [op.not(c.input(0))],
  Sign: sameShape,
  Floor: sameShape,
  Ceil: sameShape,
  Round: sameShape,
  CumSum: sameShape,
  TopK: topK,
  NonZero: (c) => generic(c, [{ dtype: 'int64', shape: [c.input(0).rank ?? UNKNOWN, UNKNOWN] }]),
  ScatterElements: (c) => generic(c, [{ dtype: c.input(0).dtype, shape: c.input(0).shape }]),
  ScatterND: (c) => generic(c, [{ dtype: c.input(0).dtype, shape: c.input(0).shape }]),
  ReduceProd: genericReduce,
  ReduceL1: genericReduce,
  ReduceL2: genericReduce,
  ReduceLogSumExp: genericReduce,
  Pad: pad,
};
