// Tensors as TypedArrays, and their conversion to and from TensorProto.
// The dtype names follow onnxruntime-common's Tensor types so a Tensor maps onto an
// ort.Tensor without copying.
import { DataLocation, TensorDataType, toNumber, type TensorProto } from './proto.js';
import { OnnxFormatError } from './errors.js';
import { elementTypeNamed, elementTypeOfOnnx, type ElementType } from '../dtypes.js';

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';

export interface TensorDataMap {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  string: string[];
}
export type TensorData = TensorDataMap[DType];

export interface Tensor<D extends DType = DType> {
  dtype: D;
  dims: number[];
  data: TensorDataMap[D];
}

/** Every DType, in the order messages list them. */
export const TENSOR_DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'];

/** The dtype table's row of a DType (src/dtypes.ts: ONNX number, bytes, typed array). */
const row = (dtype: DType): ElementType => elementTypeNamed(dtype)!;

/** The ONNX TensorProto.DataType number of `dtype`. */
export function dtypeToElemType(dtype: DType): number {
  return row(dtype).onnx;
}

/** The DType of ONNX element type `elemType`; throws OnnxFormatError (E_ONNX_FORMAT) for other types. */
export function elemTypeToDType(elemType: number): DType {
  const name = elementTypeOfOnnx(elemType)?.name;
  if (name !== undefined && (TENSOR_DTYPES as readonly string[]).includes(name)) return name as DType;
  throw new OnnxFormatError(
    `unsupported tensor element type ${elemType} (${TensorDataType[elemType] ?? 'unknown'}); supported: ${TENSOR_DTYPES.join(', ')}`,
  );
}

export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function makeTensor<D extends DType>(dtype: D, dims: number[], data: TensorDataMap[D]): Tensor<D> {
  const n = sizeOf(dims);
  if (data.length !== n) {
    throw new RangeError(`tensor of shape [${dims.join(', ')}] needs ${n} elements, got ${data.length}`);
  }
  return { dtype, dims: [...dims], data };
}

export function allocate<D extends DType>(dtype: D, dims: number[]): Tensor<D> {
  const n = sizeOf(dims);
  const array = row(dtype).array;
  const data = (array ? new array(n) : new Array<string>(n).fill('')) as TensorDataMap[D];
  return { dtype, dims: [...dims], data };
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** A scalar or 1-D tensor from numbers, for constants. */
export function tensorOf(dtype: Exclude<DType, 'string'>, values: number | number[], dims?: number[]): Tensor {
  const list = typeof values === 'number' ? [values] : values;
  const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
  const t = allocate(dtype, shape);
  // A JS number near INT64_MAX (e.g. 2**63, "to the end" for Slice) would wrap to INT64_MIN: clamp.
  if (t.dtype === 'int64') list.forEach((v, i) => ((t.data as BigInt64Array)[i] = v >= 2 ** 63 ? INT64_MAX : v <= -(2 ** 63) ? INT64_MIN : BigInt(v)));
  else list.forEach((v, i) => ((t.data as Float32Array)[i] = v));
  return t;
}

function fromRaw(dtype: DType, raw: Uint8Array, n: number): TensorData {
  const { bytes: width, array } = row(dtype);
  if (width === null || array === null) throw new OnnxFormatError(`raw_data is not allowed for ${dtype} tensors`);
  if (raw.length !== n * width) {
    throw new OnnxFormatError(`raw_data holds ${raw.length} bytes, expected ${n * width} for ${n} ${dtype} values`);
  }
  // Copy into a fresh, aligned buffer: protobuf slices may start at any offset.
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  return new array(copy.buffer) as TensorData;
}

function fromFields(dtype: DType, p: TensorProto, n: number): TensorData {
  const pick = (arr: unknown[] | null | undefined, field: string): unknown[] => {
    const a = arr ?? [];
    if (a.length !== n) throw new OnnxFormatError(`${field} holds ${a.length} values, expected ${n}`);
    return a;
  };
  switch (dtype) {
    case 'float32': return Float32Array.from(pick(p.floatData, 'float_data') as number[]);
    case 'float64': return Float64Array.from(pick(p.doubleData, 'double_data') as number[]);
    case 'int32': return Int32Array.from(pick(p.int32Data, 'int32_data') as number[]);
    case 'bool': return Uint8Array.from(pick(p.int32Data, 'int32_data') as number[]);
    case 'int64':
      return BigInt64Array.from(
        pick(p.int64Data, 'int64_data') as (number | { toString(): string })[],
        (v) => BigInt(typeof v === 'number' ? v : v.toString()),
      );
    case 'string': {
      const dec = new TextDecoder();
      return (pick(p.stringData, 'string_data') as Uint8Array[]).map((s) => dec.decode(s));
    }
  }
}

/** TensorProto (raw_data or typed fields) -> Tensor. */
export function tensorFromProto(p: TensorProto): Tensor {
  const dtype = elemTypeToDType(p.dataType ?? 0);
  if (p.dataLocation === DataLocation.EXTERNAL) throw new OnnxFormatError(`tensor '${p.name ?? ''}' uses external data, which is not supported`);
  const dims = (p.dims ?? []).map((d) => toNumber(d));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new OnnxFormatError(`tensor '${p.name ?? ''}' has invalid dims [${dims}]`);
  const n = sizeOf(dims);
  const data = p.rawData && p.rawData.length > 0 ? fromRaw(dtype, p.rawData, n) : fromFields(dtype, p, n);
  return { dtype, dims, data } as Tensor;
}

/** Tensor -> TensorProto; numeric data as little-endian raw_data (compact, what exporters write). */
export function tensorToProto(t: Tensor, name = ''): TensorProto {
  const base: TensorProto = { name, dims: t.dims, dataType: dtypeToElemType(t.dtype) };
  if (t.dtype === 'string') {
    const enc = new TextEncoder();
    return { ...base, stringData: (t.data as string[]).map((s) => enc.encode(s)) };
  }
  const d = t.data as Exclude<TensorData, string[]>;
  return { ...base, rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice() };
}

/** Read a value as float64 numbers regardless of dtype (test and metric helper). */
export function toFloat64(t: Tensor): Float64Array {
  if (t.dtype === 'string') throw new TypeError('string tensor has no numeric value');
  const d = t.data as Exclude<TensorData, string[]>;
  return Float64Array.from(d as ArrayLike<number | bigint>, (v) => Number(v));
}
