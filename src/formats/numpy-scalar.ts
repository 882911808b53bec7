/**
 * NumPy scalars as checkpoints pickle them (`best_acc = np.float64(0.91)`):
 * `numpy.core.multiarray.scalar(numpy.dtype('f8', False, True) + BUILD (3, '<', …), bytes)`, the
 * bytes at protocol 2 as `_codecs.encode(str, 'latin1')`. Decoded as plain numbers, never by
 * running anything: only fixed-width bool/int/float dtypes are accepted.
 */
import { InteropError } from './errors.js';
import { pyTypeName, PyTuple, type PyGlobal } from './pickle.js';

function fail(message: string): never {
  throw new InteropError('E_PICKLE', `pickle: ${message}`);
}

/** A NumPy dtype: kind ('f', 'i', 'u', 'b') and width in bytes; byte order from BUILD ('<', '>', '|'). */
export class NumpyDType {
  order: '<' | '>' | '|' = '<';
  constructor(readonly kind: 'f' | 'i' | 'u' | 'b', readonly size: number) {}
}

const WIDTHS: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };

function dtype(args: readonly unknown[]): NumpyDType {
  const code = args[0];
  const m = typeof code === 'string' ? /^([fiub])(\d)$/.exec(code) : null;
  if (!m || !WIDTHS[m[1]!]!.includes(Number(m[2]))) fail(`numpy.dtype(${typeof code === 'string' ? JSON.stringify(code.slice(0, 20)) : pyTypeName(code)}) is not a fixed-width bool, int or float type`);
  return new NumpyDType(m![1] as NumpyDType['kind'], Number(m![2]));
}

function scalar(args: readonly unknown[]): number | bigint | boolean {
  const [dt, data] = args;
  if (!(dt instanceof NumpyDType) || !(data instanceof Uint8Array)) fail(`numpy scalar(dtype, bytes) expected, found (${pyTypeName(dt)}, ${pyTypeName(data)})`);
  const t = dt as NumpyDType;
  const bytes = data as Uint8Array;
  if (bytes.length !== t.size) fail(`numpy scalar of ${t.kind}${t.size} holds ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = t.order !== '>';
  if (t.kind === 'b') return bytes[0] !== 0;
  if (t.kind === 'f') return t.size === 8 ? dv.getFloat64(0, le) : t.size === 4 ? dv.getFloat32(0, le) : f16(dv.getUint16(0, le));
  if (t.size === 8) {
    const v = t.kind === 'i' ? dv.getBigInt64(0, le) : dv.getBigUint64(0, le);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  const get = { i: [0, dv.getInt8, dv.getInt16, 0, dv.getInt32], u: [0, dv.getUint8, dv.getUint16, 0, dv.getUint32] }[t.kind][t.size];
  return (get as (this: DataView, o: number, le?: boolean) => number).call(dv, 0, le);
}

function f16(h: number): number {
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function latin1(args: readonly unknown[]): Uint8Array {
  const [s, enc] = args;
  if (typeof s !== 'string' || enc !== 'latin1') fail(`_codecs.encode(str, 'latin1') expected, found (${pyTypeName(s)}, ${pyTypeName(enc)})`);
  const out = new Uint8Array((s as string).length);
  for (let i = 0; i < out.length; i++) {
    const c = (s as string).charCodeAt(i);
    if (c > 0xff) fail('_codecs.encode: a character outside latin-1');
    out[i] = c;
  }
  return out;
}

/** The globals above, by 'module.name'. */
export const NUMPY_GLOBALS: Readonly<Record<string, PyGlobal>> = {
  'numpy.dtype': { module: 'numpy', name: 'dtype', call: dtype },
  'numpy.core.multiarray.scalar': { module: 'numpy.core.multiarray', name: 'scalar', call: scalar },
  'numpy._core.multiarray.scalar': { module: 'numpy._core.multiarray', name: 'scalar', call: scalar },
  '_codecs.encode': { module: '_codecs', name: 'encode', call: latin1 },
};

/** BUILD on a dtype: its state tuple (version, byte order, …); only the byte order matters here. */
export function buildDType(obj: NumpyDType, state: unknown): NumpyDType {
  const order = state instanceof PyTuple ? state.items[1] : undefined;
  if (order !== '<' && order !== '>' && order !== '|') fail(`numpy dtype state must give the byte order '<', '>' or '|', found ${pyTypeName(order)}`);
  obj.order = order as NumpyDType['order'];
  return obj;
}
