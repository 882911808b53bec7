// The one vocabulary of tensor element types. ONNX numbers them (TensorProto.DataType),
// onnxruntime names them ('float32'), safetensors abbreviates them ('F32'), PyTorch's legacy
// pickles name a storage class per type ('FloatStorage'); every module that meets a dtype in
// one of these spellings translates it through this table, so a type is spelled in one place.
// It sits on the ground floor because both the ONNX layer and the byte formats read it.

/** A typed-array class that holds one element type's values (bit patterns for float16/bfloat16). */
export type ElementArrayClass =
  | Float32ArrayConstructor | Float64ArrayConstructor
  | Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** onnxruntime's name of each element type ('float32', …), plus the complex types ONNX adds. */
export type ElementTypeName =
  | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64' | 'string' | 'bool'
  | 'float16' | 'float64' | 'uint32' | 'uint64' | 'complex64' | 'complex128' | 'bfloat16';

/** safetensors' spelling of the element types this project reads and writes in byte formats. */
export type SafetensorsDType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

/** One element type in every spelling the project meets. */
export interface ElementType {
  /** ONNX TensorProto.DataType number (1 = FLOAT, 7 = INT64, …). */
  readonly onnx: number;
  /** onnxruntime's Tensor type name, also the builder IR's dtype name. */
  readonly name: ElementTypeName;
  /** ONNX's own name, lower case: 'float', 'double', 'float16', … (TensorProto.DataType's names). */
  readonly onnxName: string;
  /** Bytes per element in raw data; null for strings (variable length). */
  readonly bytes: number | null;
  /** The typed array holding the values; null for strings and complex numbers. */
  readonly array: ElementArrayClass | null;
  /** safetensors' name, for the types the byte formats support; null otherwise. */
  readonly safetensors: SafetensorsDType | null;
  /** PyTorch's legacy storage class ('torch.FloatStorage' without 'torch.'); null where none. */
  readonly torchStorage: string | null;
}

/** Every ONNX element type up to BFLOAT16 (16), by ONNX number. */
export const ELEMENT_TYPES: readonly ElementType[] = [
  { onnx: 1, name: 'float32', onnxName: 'float', bytes: 4, array: Float32Array, safetensors: 'F32', torchStorage: 'FloatStorage' },
  { onnx: 2, name: 'uint8', onnxName: 'uint8', bytes: 1, array: Uint8Array, safetensors: 'U8', torchStorage: 'ByteStorage' },
  { onnx: 3, name: 'int8', onnxName: 'int8', bytes: 1, array: Int8Array, safetensors: null, torchStorage: null },
  { onnx: 4, name: 'uint16', onnxName: 'uint16', bytes: 2, array: Uint16Array, safetensors: null, torchStorage: null },
  { onnx: 5, name: 'int16', onnxName: 'int16', bytes: 2, array: Int16Array, safetensors: null, torchStorage: null },
  { onnx: 6, name: 'int32', onnxName: 'int32', bytes: 4, array: Int32Array, safetensors: 'I32', torchStorage: 'IntStorage' },
  { onnx: 7, name: 'int64', onnxName: 'int64', bytes: 8, array: BigInt64Array, safetensors: 'I64', torchStorage: 'LongStorage' },
  { onnx: 8, name: 'string', onnxName: 'string', bytes: null, array: null, safetensors: null, torchStorage: null },
  { onnx: 9, name: 'bool', onnxName: 'bool', bytes: 1, array: Uint8Array, safetensors: 'BOOL', torchStorage: 'BoolStorage' },
  { onnx: 10, name: 'float16', onnxName: 'float16', bytes: 2, array: Uint16Array, safetensors: 'F16', torchStorage: 'HalfStorage' },
  { onnx: 11, name: 'float64', onnxName: 'double', bytes: 8, array: Float64Array, safetensors: 'F64', torchStorage: 'DoubleStorage' },
  { onnx: 12, name: 'uint32', onnxName: 'uint32', bytes: 4, array: Uint32Array, safetensors: null, torchStorage: null },
  { onnx: 13, name: 'uint64', onnxName: 'uint64', bytes: 8, array: BigUint64Array, safetensors: null, torchStorage: null },
  { onnx: 14, name: 'complex64', onnxName: 'complex64', bytes: 8, array: null, safetensors: null, torchStorage: null },
  { onnx: 15, name: 'complex128', onnxName: 'complex128', bytes: 16, array: null, safetensors: null, torchStorage: null },
  { onnx: 16, name: 'bfloat16', onnxName: 'bfloat16', bytes: 2, array: Uint16Array, safetensors: 'BF16', torchStorage: 'BFloat16Storage' },
];

/**
 * The ONNX element-type numbers this project names in code, so that no module writes a bare
 * `1` or `10`: the same numbers as onnx's TensorProto.DataType (and the generated
 * TensorDataType enum in onnx/proto-types.generated.ts).
 */
export const ONNX_TYPE = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

const byOnnx = new Map(ELEMENT_TYPES.map((t) => [t.onnx, t]));
const byName = new Map<string, ElementType>(ELEMENT_TYPES.map((t) => [t.name, t]));
const bySafetensors = new Map<string, ElementType>(ELEMENT_TYPES.flatMap((t) => (t.safetensors ? [[t.safetensors, t] as const] : [])));

/** The element type with ONNX number `n`; undefined for 0 (UNDEFINED) and numbers past 16. */
export function elementTypeOfOnnx(n: number | null | undefined): ElementType | undefined {
  return byOnnx.get(n ?? 0);
}

/** The element type onnxruntime calls `name` ('float32', …); undefined for other strings. */
export function elementTypeNamed(name: string): ElementType | undefined {
  return byName.get(name);
}

/** The element type safetensors spells `dtype` ('F32', …); undefined for unsupported spellings. */
export function elementTypeOfSafetensors(dtype: string): ElementType | undefined {
  return bySafetensors.get(dtype);
}

/** Every safetensors spelling the byte formats support, in the order messages list them (floats first). */
export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = ['F32', 'F64', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL'];
