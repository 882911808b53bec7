// Shape-manipulating ops. Constant shape/axes arguments are given as numbers and stored
// as int64 initializers, so shape inference can read them.
import { attr, type Dim, type Graph, type Shape, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { constInts, fmt, normAxis, UNKNOWN, broadcastShapes } from '../shape.js';
import { tensorOf, type Tensor } from '../../onnx/tensor.js';
import { addOp, one, type OpOptions } from './util.js';

const ints = (g: Graph, v: number[] | Value): Value => (Array.isArray(v) ? g.vector(v, 'int64') : v);

export function transpose(x: Value, perm?: number[], o?: OpOptions): Value {
  const rank = x.rank;
  const p = perm ?? (rank === null ? undefined : [...Array(rank).keys()].reverse());
  if (p && rank !== null && (p.length !== rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i))) {
    throw new GraphBuildError(`Transpose: perm [${p}] is not a permutation of rank ${rank} (${x.name} ${fmt(x.shape)})`);
  }
  const shape = x.shape && p ? p.map((i) => x.shape![i]!) : null;
  return one('Transpose', [x], p ? { perm: attr.ints(p) } : {}, x.dtype, shape, o);
}

/** Reshape; `shape` may contain 0 (copy dim) and one -1 (inferred). */
export function reshape(x: Value, shape: number[] | Value, o?: OpOptions): Value {
  const target = ints(x.graph, shape);
  const dims = constInts(target);
  let out: Shape = null;
  if (dims) {
    out = dims.map((d, i): Dim => (d === 0 ? (x.shape?.[i] ?? UNKNOWN) : d));
    const known = x.shape?.every((d) => typeof d === 'number');
    const neg = out.indexOf(-1);
    if (neg >= 0) {
      if (known && out.every((d, i) => i === neg || typeof d === 'number')) {
        const total = (x.shape as number[]).reduce((a, b) => a * b, 1);
        const rest = (out as number[]).reduce((a, b, i) => (i === neg ? a : a * b), 1);
        if (rest === 0 || total % rest !== 0) throw new GraphBuildError(`Reshape: cannot reshape ${fmt(x.shape)} to [${dims}]`);
        out[neg] = total / rest;
      } else out[neg] = UNKNOWN;
    } else if (known && out.every((d) => typeof d === 'number')) {
      const a = (x.shape as number[]).reduce((p, q) => p * q, 1);
      const b = (out as number[]).reduce((p, q) => p * q, 1);
      if (a !== b) throw new GraphBuildError(`Reshape: ${fmt(x.shape)} has ${a} elements, target [${dims}] has ${b}`);
    }
  } else if (target.shape && typeof target.shape[0] === 'number') {
    out = Array(target.shape[0]).fill(UNKNOWN);
  }
  return one('Reshape', [x, target], {}, x.dtype, out, o);
}

export function concat(xs: Value[], axis: number, o?: OpOptions): Value {
  if (xs.length === 0) throw new GraphBuildError('Concat: needs at least one input');
  const rank = xs[0]!.rank;
  let shape: Shape = null;
  if (rank !== null && xs.every((x) => x.rank === rank)) {
    const a = normAxis('Concat', axis, rank);
    shape = xs[0]!.shape!.map((d, i) => {
      if (i !== a) return d;
      const ds = xs.map((x) => x.shape![a]!);
      return ds.every((v) => typeof v === 'number') ? (ds as number[]).reduce((p, q) => p + q, 0) : UNKNOWN;
    });
    for (const x of xs) {
      x.shape!.forEach((d, i) => {
        const d0 = shape![i]!;
        if (i !== a && typeof d === 'number' && typeof d0 === 'number' && d !== d0) {
          throw new GraphBuildError(`Concat: ${xs.map((v) => fmt(v.shape)).join(', ')} differ outside axis ${axis}`);
        }
      });
      if (x.dtype !== xs[0]!.dtype) throw new GraphBuildError(`Concat: mixed dtypes ${xs.map((v) => v.dtype).join(', ')}`);
    }
  } else if (xs.some((x) => x.rank !== null && x.rank !== rank)) {
    throw new GraphBuildError(`Concat: inputs have different ranks: ${xs.map((v) => fmt(v.shape)).join(', ')}`);
  }
  return one('Concat', xs, { axis: attr.int(axis) }, xs[0]!.dtype, shape, o);
}

/** Split along `axis` into pieces of the given sizes. */
export function split(x: Value, sizes: number[], axis = 0, o: { names?: string[] } = {}): Value[] {
  const rank = x.rank;
  const a = rank === null ? axis : normAxis('Split', axis, rank);
  const d = x.shape?.[a];
  if (typeof d === 'number' && sizes.reduce((p, q) => p + q, 0) !== d) {
    throw new GraphBuildError(`Split: sizes [${sizes}] do not add up to dim ${a} of ${fmt(x.shape)}`);
  }
  const outs = sizes.map((s) => ({ dtype: x.dtype, shape: x.shape ? x.shape.map((v, i) => (i === a ? s : v)) : null }));
  return addOp('Split', [x, x.graph.vector(sizes, 'int64')], { axis: attr.int(axis) }, outs, o.names ? { outputNames: o.names } : {});
}

/** Slice with constant starts/ends/axes/steps (ends may be large to mean "to the end"). */
export function slice(x: Value, starts: number[], ends: number[], axes?: number[], steps?: number[], o?: OpOptions): Value {
  const g = x.graph;
  const ax = axes ?? starts.map((_, i) => i);
  const inputs: (Value | null)[] = [x, g.vector(starts), g.vector(ends), g.vector(ax)];
  if (steps) inputs.push(g.vector(steps));
  let shape: Shape = null;
  if (x.shape) {
    shape = [...x.shape];
    ax.forEach((axis, k) => {
      const a = normAxis('Slice', axis, x.rank!);
      const d = x.shape![a]!;
      const step = steps?.[k] ?? 1;
      if (typeof d !== 'number') {
        shape![a] = UNKNOWN;
        return;
      }
      const clampIdx = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
      if (step > 0) {
        const s = clampIdx(starts[k]!, 0, d);
        const e = clampIdx(ends[k]!, 0, d);
        shape![a] = Math.max(0, Math.ceil((e - s) / step));
      } else {
        // Negative step: start clamps to [0, d-1], end to [-1, d-1] (ONNX Slice-13).
        const s = clampIdx(starts[k]!, 0, d - 1);
        const e = clampIdx(ends[k]!, -1, d - 1);
        shape![a] = Math.max(0, Math.ceil((s - e) / -step));
      }
    });
  }
  return one('Slice', inputs, {}, x.dtype, shape, o);
}

export function squeeze(x: Value, axes: number[], o?: OpOptions): Value {
  const rank = x.rank;
  let shape: Shape = null;
  if (rank !== null) {
    const norm = axes.map((a) => normAxis('Squeeze', a, rank));
    for (const a of norm) {
      const d = x.shape![a];
      if (typeof d === 'number' && d !== 1) throw new GraphBuildError(`Squeeze: dim ${a} of ${fmt(x.shape)} is ${d}, not 1`);
    }
    shape = x.shape!.filter((_, i) => !norm.includes(i));
  }
  return one('Squeeze', [x, x.graph.vector(axes)], {}, x.dtype, shape, o);
}

export function unsqueeze(x: Value, axes: number[], o?: OpOptions): Value {
  let shape: Shape = null;
  if (x.shape) {
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => normAxis('Unsqueeze', a, rank)).sort((p, q) => p - q);
    shape = [...x.shape];
    for (const a of norm) shape.splice(a, 0, 1);
  }
  return one('Unsqueeze', [x, x.graph.vector(axes)], {}, x.dtype, shape, o);
}

export function shapeOf(x: Value, o: OpOptions & { start?: number; end?: number } = {}): Value {
  const attrs: Record<string, ReturnType<typeof attr.int>> = {};
  if (o.start !== undefined) attrs.start = attr.int(o.start);
  if (o.end !== undefined) attrs.end = attr.int(o.end);
  let len: Dim = UNKNOWN;
  if (x.rank !== null) {
    const r = x.rank;
    const s = o.start === undefined ? 0 : o.start < 0 ? Math.max(0, o.start + r) : Math.min(o.start, r);
    const e = o.end === undefined ? r : o.end < 0 ? Math.max(0, o.end + r) : Math.min(o.end, r);
    len = Math.max(0, e - s);
  }
  return one('Shape', [x], attrs, 'int64', [len], o);
}

export function expand(x: Value, shape: Value | number[], o?: OpOptions): Value {
  const s = ints(x.graph, shape);
  const dims = constInts(s);
  const out = dims ? broadcastShapes('Expand', x.shape, dims) : s.shape && typeof s.shape[0] === 'number' ? Array(s.shape[0]).fill(UNKNOWN) : null;
  return one('Expand', [x, s], {}, x.dtype, out, o);
}

/** Gather(data, indices, axis): the embedding lookup. */
export function gather(data: Value, indices: Value, axis = 0, o?: OpOptions): Value {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') {
    throw new GraphBuildError(`Gather: indices '${indices.name}' must be int32/int64, found ${indices.dtype}`);
  }
  let shape: Shape = null;
  if (data.shape && indices.shape) {
    const a = normAxis('Gather', axis, data.shape.length);
    shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  }
  return one('Gather', [data, indices], { axis: attr.int(axis) }, data.dtype, shape, o);
}

export function gatherElements(data: Value, indices: Value, axis: number, o?: OpOptions): Value {
  return one('GatherElements', [data, indices], { axis: attr.int(axis) }, data.dtype, indices.shape, o);
}

/** ScatterND(data, indices, updates), optionally reducing ('add' needs opset 16). */
export function scatterND(data: Value, indices: Value, updates: Value, reduction?: 'add' | 'mul', o?: OpOptions): Value {
  if (indices.dtype !== 'int64') throw new GraphBuildError(`ScatterND: indices must be int64, found ${indices.dtype}`);
  return one('ScatterND', [data, indices, updates], reduction ? { reduction: attr.string(reduction) } : {}, data.dtype, data.shape, o);
}

export function constantOfShape(shape: Value, value: Tensor, o?: OpOptions): Value {
  const dims = constInts(shape);
  const out: Shape = dims ?? (shape.shape && typeof shape.shape[0] === 'number' ? Array(shape.shape[0]).fill(UNKNOWN) : null);
  return one('ConstantOfShape', [shape], { value: attr.tensor(value) }, value.dtype, out, o);
}

export function range(start: Value, limit: Value, delta: Value, o?: OpOptions): Value {
  return one('Range', [start, limit, delta], {}, start.dtype, [UNKNOWN], o);
}

export function tile(x: Value, repeats: number[] | Value, o?: OpOptions): Value {
  const r = ints(x.graph, repeats);
  const reps = constInts(r);
  const shape = x.shape && reps ? x.shape.map((d, i) => (typeof d === 'number' ? d * reps[i]! : UNKNOWN)) : x.shape ? x.shape.map(() => UNKNOWN) : null;
  return one('Tile', [x, r], {}, x.dtype, shape, o);
}

export function flatten(x: Value, axis = 1, o?: OpOptions): Value {
  let shape: Shape = null;
  if (x.shape) {
    const prod = (ds: Dim[]): Dim => (ds.every((d) => typeof d === 'number') ? (ds as number[]).reduce((a, b) => a * b, 1) : UNKNOWN);
    shape = [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))];
  }
  return one('Flatten', [x], { axis: attr.int(axis) }, x.dtype, shape, o);
}

/** OneHot; `depth` is a number (an int64 scalar constant) or a scalar Value of any numeric dtype. */
export function oneHot(indices: Value, depth: number | Value, values: Value, axis = -1, o?: OpOptions): Value {
  const d = typeof depth === 'number' ? indices.graph.vector([depth], 'int64', []) : depth;
  const n: Dim = typeof depth === 'number' ? depth : (constInts(depth)?.[0] ?? UNKNOWN);
  const shape = indices.shape ? [...indices.shape] : null;
  if (shape) shape.splice(axis < 0 ? shape.length + 1 + axis : axis, 0, n);
  return one('OneHot', [indices, d, values], { axis: attr.int(axis) }, values.dtype, shape, o);
}

/** Pad with zeros (mode constant). `pads` = [begin_0 … begin_{r−1}, end_0 … end_{r−1}]. */
export function padZeros(x: Value, pads: number[], o?: OpOptions): Value {
  const rank = x.rank;
  if (rank === null || pads.length !== 2 * rank) throw new GraphBuildError(`Pad: ${pads.length} pads for '${x.name}' ${fmt(x.shape)}`);
  const shape = x.shape!.map((d, i): Dim => (typeof d === 'number' ? d + pads[i]! + pads[i + rank]! : pads[i] === 0 && pads[i + rank] === 0 ? d : UNKNOWN));
  return one('Pad', [x, x.graph.vector(pads, 'int64')], { mode: attr.string('constant') }, x.dtype, shape, o);
}

/** Split along `axis` by sizes computed at run time; `shapes` are the pieces' known shapes. */
export function splitDynamic(x: Value, sizes: Value, axis: number, shapes: Shape[], o: { names?: string[] } = {}): Value[] {
  if (sizes.dtype !== 'int64') throw new GraphBuildError(`Split: sizes '${sizes.name}' must be int64, found ${sizes.dtype}`);
  return addOp('Split', [x, sizes], { axis: attr.int(axis) }, shapes.map((shape) => ({ dtype: x.dtype, shape })), o.names ? { outputNames: o.names } : {});
}

/** Number of elements, an int64 scalar. */
export function size(x: Value, o?: OpOptions): Value {
  return one('Size', [x], {}, 'int64', [], o);
}

/**
 * ReverseSequence (opset 10): reverses each batch entry's first `lens[b]` steps along the
 * time axis and leaves the steps past its length where they are. Its own inverse.
 */
export function reverseSequence(
  x: Value,
  lens: Value,
  opts: OpOptions & { timeAxis?: 0 | 1; batchAxis?: 0 | 1 } = {},
): Value {
  const timeAxis = opts.timeAxis ?? 0;
  const batchAxis = opts.batchAxis ?? 1;
  if (timeAxis === batchAxis) throw new GraphBuildError(`ReverseSequence: time_axis and batch_axis are both ${timeAxis}`);
  if (lens.dtype !== 'int64') throw new GraphBuildError(`ReverseSequence: sequence_lens '${lens.name}' must be int64, found ${lens.dtype}`);
  if (x.rank !== null && x.rank < 2) throw new GraphBuildError(`ReverseSequence: '${x.name}' needs rank >= 2, found ${fmt(x.shape)}`);
  if (lens.rank !== null && lens.rank !== 1) throw new GraphBuildError(`ReverseSequence: sequence_lens '${lens.name}' must be 1-D, found ${fmt(lens.shape)}`);
  const attrs = { time_axis: attr.int(timeAxis), batch_axis: attr.int(batchAxis) };
  return one('ReverseSequence', [x, lens], attrs, x.dtype, x.shape, opts);
}

/**
 * Unique (opset 11) of a 1-D tensor, sorted ascending: `values` [U] (the distinct elements),
 * `inverse` int64 [N] (x[k] = values[inverse[k]]) and `counts` int64 [U]. U is known only at
 * run time. Throws GraphBuildError (E_GRAPH_BUILD) for an input that is not 1-D.
 */
export function unique(x: Value): { values: Value; inverse: Value; counts: Value } {
  if (x.rank !== null && x.rank !== 1) throw new GraphBuildError(`Unique: '${x.name}' must be 1-D here, found ${fmt(x.shape)}`);
  const [values, , inverse, counts] = addOp(
    'Unique',
    [x],
    { sorted: attr.int(1) },
    [
      { dtype: x.dtype, shape: [UNKNOWN] },
      { dtype: 'int64', shape: [UNKNOWN] },
      { dtype: 'int64', shape: x.shape },
      { dtype: 'int64', shape: [UNKNOWN] },
    ],
  ) as [Value, Value, Value, Value];
  return { values: values!, inverse: inverse!, counts: counts! };
}
