// Sizes a file fixes without holding the bytes: a 1 KB graph can ask onnxruntime for
// gigabytes through ConstantOfShape, Expand, Tile, Range or Random* with constant shapes,
// or through a sparse tensor with huge dims and no values. These checks compute each such
// output's size from the constants in the file and refuse it above a bound, before
// onnxruntime allocates anything (it would allocate again on every run).
import { DataLocation, toNumber, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './proto.js';
import { ELEMENT_TYPES, ONNX_TYPE } from '../dtypes.js';

/**
 * The largest tensor (bytes) a node may produce when its size is fixed by constants in the
 * file rather than by data in it: 64 MiB. Weights are stored as initializers, whose size is
 * bounded by the file itself; a generated constant this large is an attack or a bug.
 */
export const MAX_STATIC_TENSOR_BYTES = 64 * 1024 * 1024;

/** Bytes per element of each TensorProto.DataType (string counted as one byte per element). */
export const ELEM_BYTES: Readonly<Record<number, number>> = Object.fromEntries(ELEMENT_TYPES.map((t) => [t.onnx, t.bytes ?? 1]));
const { FLOAT, INT32, INT64, DOUBLE } = ONNX_TYPE;
/** Shape and range inputs are tiny; a "shape" tensor with more entries is not one. */
const MAX_SHAPE_RANK = 64;

/** What the checker knows statically about a value: its dims, and its numbers when small. */
interface Known {
  dims: number[] | null;
  elemType: number;
  values: number[] | null;
}

/** The numbers in a small int/float tensor, or null (too large, other type, external data). */
function numbersOf(t: TensorProto): number[] | null {
  const dims = (t.dims ?? []).map((d) => toNumber(d));
  const n = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === DataLocation.EXTERNAL || !(n <= MAX_SHAPE_RANK)) return null;
  const raw = t.rawData;
  const type = t.dataType ?? 0;
  if (raw && raw.length > 0) {
    const width = ELEM_BYTES[type];
    if (!width || raw.length !== n * width) return null;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      if (type === INT64) out.push(Number(dv.getBigInt64(8 * i, true)));
      else if (type === INT32) out.push(dv.getInt32(4 * i, true));
      else if (type === FLOAT) out.push(dv.getFloat32(4 * i, true));
      else if (type === DOUBLE) out.push(dv.getFloat64(8 * i, true));
      else return null;
    }
    return out;
  }
  const list = type === INT64 ? t.int64Data : type === INT32 ? t.int32Data : type === FLOAT ? t.floatData : type === DOUBLE ? t.doubleData : null;
  if (!list || list.length !== n) return null;
  return Array.from(list as ArrayLike<number | { toNumber(): number }>, (v) => toNumber(v));
}

function knownTensor(t: TensorProto): Known {
  return { dims: (t.dims ?? []).map((d) => toNumber(d)), elemType: t.dataType ?? 0, values: numbersOf(t) };
}

const attr = (n: NodeProto, name: string): AttributeProto | undefined => (n.attribute ?? []).find((a) => a.name === name);

function formatBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  return `${b} bytes`;
}

/** Dims that are all non-negative integers (a shape we can multiply), else null. */
function asDims(values: number[] | null): number[] | null {
  return values && values.every((v) => Number.isInteger(v) && v >= 0) ? values : null;
}

/**
 * The output size a node fixes statically, as [dims, bytes], or null when it depends on
 * data or is not one of the size-fixing ops. Where an input's dims are unknown the result
 * is a lower bound (Expand's output is at least its shape input), so a refusal is exact.
 */
function staticOutput(n: NodeProto, known: Map<string, Known>): { dims: number[]; bytes: number } | null {
  const input = (i: number): Known | undefined => known.get(n.input?.[i] ?? '');
  const sized = (dims: number[], elemType: number): { dims: number[]; bytes: number } => ({
    dims, bytes: dims.reduce((a, b) => a * b, 1) * (ELEM_BYTES[elemType] ?? 1),
  });
  switch (n.opType) {
    case 'ConstantOfShape': {
      const dims = asDims(input(0)?.values ?? null);
      return dims ? sized(dims, attr(n, 'value')?.t?.dataType ?? FLOAT) : null;
    }
    case 'Expand': {
      const shape = asDims(input(1)?.values ?? null);
      if (!shape) return null;
      const data = input(0);
      const d = data?.dims ?? [];
      const rank = Math.max(shape.length, d.length);
      const out = Array.from({ length: rank }, (_, i) => {
        const s = shape[i - (rank - shape.length)] ?? 1;
        const x = d[i - (rank - d.length)] ?? 1;
        return s === 1 ? x : s;
      });
      return sized(out, data?.elemType ?? 0);
    }
    case 'Tile': {
      const repeats = asDims(input(1)?.values ?? null);
      const data = input(0);
      if (!repeats || !data?.dims || data.dims.length !== repeats.length) return null;
      return sized(data.dims.map((d, i) => d * repeats[i]!), data.elemType);
    }
    case 'Range': {
      const [s, l, d] = [input(0), input(1), input(2)].map((k) => (k?.values?.length === 1 ? k.values[0]! : null));
      if (s === null || l === null || d === null || d === 0 || s === undefined || l === undefined || d === undefined) return null;
      return sized([Math.max(Math.ceil((l - s) / d), 0)], input(0)!.elemType);
    }
    case 'RandomNormal': case 'RandomUniform': {
      const shape = asDims((attr(n, 'shape')?.ints ?? []).map((v) => toNumber(v)));
      return shape ? sized(shape, toNumber(attr(n, 'dtype')?.i) || FLOAT) : null;
    }
    default:
      return null;
  }
}

/** A sparse tensor's dense size in bytes (what onnxruntime materialises for it). */
function sparseDenseBytes(dims: readonly (number | { toNumber(): number })[] | null | undefined, values: TensorProto | null | undefined): number {
  return (dims ?? []).map((d) => toNumber(d)).reduce((a, b) => a * b, 1) * (ELEM_BYTES[values?.dataType ?? 0] ?? 1);
}

/**
 * Problems with sizes fixed by the file in one graph (not its subgraphs): nodes whose
 * constant-shaped output, and sparse tensors whose dense form, exceed `limit` bytes.
 * Each names the graph, node index, name, op and the size; `report` receives them.
 */
export function checkStaticSizes(g: GraphProto, where: string, report: (problem: string) => void, limit = MAX_STATIC_TENSOR_BYTES): void {
  const known = new Map<string, Known>();
  for (const t of g.initializer ?? []) known.set(t.name ?? '', knownTensor(t));
  for (const v of [...(g.input ?? []), ...(g.valueInfo ?? [])]) {
    const tt = v.type?.tensorType;
    const dims = tt?.shape?.dim?.map((d) => (d.dimValue !== null && d.dimValue !== undefined && !d.dimParam ? toNumber(d.dimValue) : NaN));
    if (v.name && !known.has(v.name) && dims && dims.every((d) => Number.isInteger(d) && d >= 0)) {
      known.set(v.name, { dims, elemType: tt?.elemType ?? 0, values: null });
    }
  }
  const over = (bytes: number): boolean => !(bytes <= limit);
  const limitText = `the ${formatBytes(limit)} limit for tensors whose size the file fixes`;
  for (const s of g.sparseInitializer ?? []) {
    const bytes = sparseDenseBytes(s.dims, s.values);
    if (over(bytes)) {
      report(`${where}: sparse initializer '${s.values?.name ?? ''}' [${(s.dims ?? []).map((d) => toNumber(d))}] is ${formatBytes(bytes)} when dense, over ${limitText}`);
    }
  }
  (g.node ?? []).forEach((n, idx) => {
    const label = `${where}: node ${idx} '${n.name ?? ''}' (${n.opType})`;
    if (n.opType === 'Constant') {
      const value = attr(n, 'value')?.t;
      const sparse = attr(n, 'sparse_value')?.sparseTensor;
      if (sparse) {
        const bytes = sparseDenseBytes(sparse.dims, sparse.values);
        if (over(bytes)) report(`${label}: sparse value [${(sparse.dims ?? []).map((d) => toNumber(d))}] is ${formatBytes(bytes)} when dense, over ${limitText}`);
      }
      if (value && n.output?.[0]) known.set(n.output[0], knownTensor(value));
      return;
    }
    const out = staticOutput(n, known);
    if (out && over(out.bytes)) {
      report(`${label}: its output [${out.dims}] would take ${formatBytes(out.bytes)}, over ${limitText}`);
    }
  });
}
