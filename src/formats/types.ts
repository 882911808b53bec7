import { InteropError } from './errors.js';
import { SAFETENSORS_DTYPES, elementTypeOfSafetensors, type ElementArrayClass, type ElementType, type SafetensorsDType } from '../dtypes.js';

/** Tensor element types understood by the byte formats (safetensors spellings; see src/dtypes.ts). */
export type DType = SafetensorsDType;

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

/**
 * A named tensor's value: row-major, contiguous, `data.length === product(shape)`.
 * F16 and BF16 hold raw bit patterns (Uint16Array; see f16ToF32/bf16ToF32), BOOL holds 0/1 bytes.
 */
export interface NamedTensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

/** The dtype table's row of a supported spelling (every DType has one with bytes and array). */
const row = (dtype: DType): ElementType & { bytes: number; array: ElementArrayClass } =>
  elementTypeOfSafetensors(dtype) as ElementType & { bytes: number; array: ElementArrayClass };

/** Bytes per element of each DType. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = Object.fromEntries(SAFETENSORS_DTYPES.map((d) => [d, row(d).bytes])) as Record<DType, number>;

/** Every supported DType, in the order error messages list them. */
export const DTYPES: readonly DType[] = SAFETENSORS_DTYPES;

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && elementTypeOfSafetensors(s) !== undefined;
}

/** Whether `data` is an instance of the typed array class that holds `dtype`. */
export function arrayMatchesDType(dtype: DType, data: unknown): boolean {
  return data instanceof row(dtype).array;
}

/** The name of the typed array class that holds `dtype` ('Float32Array', …), for messages. */
export function arrayClassName(dtype: DType): string {
  return row(dtype).array.name;
}

/** Product of a shape's dimensions; throws when it is not a safe integer. */
export function numelOf(shape: readonly number[], code: string, what: string): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) {
    throw new InteropError(code, `${what}: shape [${shape.join(', ')}] has too many elements (${n})`);
  }
  return n;
}

/** Typed arrays use the host's byte order; files are little-endian, so a big-endian host swaps. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Builds a typed array over `bytes` (a fresh, aligned buffer owned by the result), reversing each
 * element's bytes in place when the file order differs from the host order.
 */
export function typedArrayFromBytes(dtype: DType, bytes: Uint8Array, fileLittleEndian = true): TensorData {
  const size = DTYPE_SIZE[dtype];
  if (size > 1 && fileLittleEndian !== HOST_LITTLE_ENDIAN) swapBytesInPlace(bytes, size);
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  const n = bytes.byteLength / size;
  return new (row(dtype).array as Float32ArrayConstructor)(buf, off, n) as TensorData;
}

/** The bytes of a typed array in little-endian order (a view when the host is little-endian). */
export function littleEndianBytes(data: TensorData, elementSize: number): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN || elementSize === 1) return view;
  const copy = view.slice();
  swapBytesInPlace(copy, elementSize);
  return copy;
}

function swapBytesInPlace(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Allocates `n` bytes, reporting an impossible allocation as an InteropError. */
export function allocBytes(n: number, code: string, what: string): Uint8Array {
  try {
    return new Uint8Array(n);
  } catch {
    throw new InteropError(code, `${what}: cannot allocate ${n} bytes`);
  }
}

/** IEEE half-precision bit patterns to float32 values (NaN payloads are not kept). */
export function f16ToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) out[i] = sign * mant * 2 ** -24;
    else if (exp === 31) out[i] = mant ? NaN : sign * Infinity;
    else out[i] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** bfloat16 bit patterns to float32 values (exact: bf16 is the top half of a float32). */
export function bf16ToF32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}
