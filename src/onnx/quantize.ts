// Smaller weights for deployment, with standard ai.onnx ops only, so every onnxruntime (CPU,
// WASM, WebGPU) loads the result: the graph still computes in float32 (onnxruntime's CPU LSTM
// is float32-only); weights are *stored* smaller and widened once at the top of the graph.
//
//   fp16:  W (float32)                  →  W.fp16 (float16) → Cast(to=FLOAT) → W
//   int8:  E (float32 [V, D], a Gather  →  E.int8 (int8 [V, D]), E.scale (float32 [V]),
//          table, e.g. the embedding)       E.zero_point (int8 [V], zeros)
//                                           → DequantizeLinear(axis=0) → E
//          other weights: fp16 as above, or left float32.
//
// Per-row symmetric int8: scale_v = max_j |E[v,j]| / 127, q = round(E / scale) in [−127, 127]
// (round half to even, as onnxruntime's QuantizeLinear), so |E − q·scale| ≤ scale / 2.
import { DIGEST_KEY, stampDigest } from './digest.js';
import { CodedError } from '../errors.js';
import { writeMetadata } from './metadata.js';
import { AttributeType, DataLocation, toNumber, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { tensorFromProto } from './tensor.js';
import { ONNX_TYPE } from '../dtypes.js';

/** Storage precision of an exported model's weights. */
export type ExportDType = 'fp32' | 'fp16' | 'int8';
/** Every ExportDType, in the order the CLI lists them. */
export const EXPORT_DTYPES: readonly ExportDType[] = ['fp32', 'fp16', 'int8'];
/** The metadata key recording how an exported model's weights are stored ('fp16', 'int8 tables, fp16 weights', …). */
export const WEIGHTS_DTYPE_KEY = 'highway_onnx.weights_dtype';

/** A model the quantizer cannot convert (code E_QUANTIZE). */
export class QuantizeError extends CodedError {
  constructor(message: string) {
    super('E_QUANTIZE', 'QuantizeError', message);
  }
}

export interface QuantizeOptions {
  /** int8 only: how the weights that are not Gather tables are stored (default 'fp16'). */
  otherWeights?: 'fp16' | 'fp32';
  /** Float initializers with fewer elements stay float32 (constants, biases of a few values; default 64). */
  minElements?: number;
}

/** float32 values → IEEE half bit patterns, rounding to nearest even; overflow gives ±Infinity. */
export function f32ToF16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    let half: number;
    if (e >= 31) half = 0x7c00;
    else if (e <= 0) {
      // Subnormal half (or zero): the 24-bit significand shifted right by 14 − e.
      if (e < -10) half = 0;
      else {
        const m = mant | 0x800000;
        const shift = 14 - e;
        half = m >>> shift;
        const rem = m & ((1 << shift) - 1);
        const halfway = 1 << (shift - 1);
        if (rem > halfway || (rem === halfway && half & 1)) half++;
      }
    } else {
      half = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
      if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
    }
    out[i] = sign | half;
  }
  return out;
}

/** Round half to even (as onnxruntime's QuantizeLinear and NumPy's rint). */
const rint = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - Math.sign(x) : r;
};

/** Per-row symmetric int8 of a [rows, cols] matrix: q (int8) and one float32 scale per row. */
export function quantizeRowsInt8(values: Float32Array, rows: number, cols: number): { q: Int8Array; scale: Float32Array } {
  const q = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(values[r * cols + c]!));
    // An all-zero row (the padding embedding) dequantizes to zeros with any scale.
    const s = max === 0 ? 1 : Math.fround(max / 127);
    scale[r] = s;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, rint(values[r * cols + c]! / s)));
  }
  return { q, scale };
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

/**
 * A copy of `model` whose float32 weights are stored as `dtype` (see the file comment); 'fp32'
 * returns an unchanged copy. The model must have an ai.onnx opset ≥ 13 for int8 (per-axis
 * DequantizeLinear). Records the choice in metadata 'highway_onnx.weights_dtype'. Throws
 * QuantizeError (E_QUANTIZE) for external weights, a finite weight beyond float16's range
 * (±65504), or an opset too old.
 */
export function quantizeModel(model: ModelProto, dtype: ExportDType, opts: QuantizeOptions = {}): ModelProto {
  // A shallow copy: the input model is left as it was (protobufjs Long fields keep their class).
  if (!model.graph) throw new QuantizeError('the model has no graph');
  const graph = { ...model.graph };
  const copy: ModelProto = { ...model, graph, metadataProps: [...(model.metadataProps ?? [])] };
  if (dtype === 'fp32') return copy;
  const minElements = opts.minElements ?? 64;
  const opset = toNumber((copy.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (dtype === 'int8' && opset < 13) throw new QuantizeError(`int8 export needs ai.onnx opset ≥ 13 (per-axis DequantizeLinear); the model has opset ${opset}`);
  const nodes = graph.node ?? [];
  // Tables only ever read row by row: input 0 of Gather, and nothing else in the top graph.
  const uses = new Map<string, { gatherData: number; other: number }>();
  for (const n of nodes) {
    (n.input ?? []).forEach((name, i) => {
      const u = uses.get(name) ?? { gatherData: 0, other: 0 };
      if (n.opType === 'Gather' && (!n.domain || n.domain === 'ai.onnx') && i === 0) u.gatherData++;
      else u.other++;
      uses.set(name, u);
    });
  }
  const otherAs = dtype === 'int8' ? (opts.otherWeights ?? 'fp16') : 'fp16';
  const inits: TensorProto[] = [];
  const widen: NodeProto[] = [];
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? '';
    const dims = (t.dims ?? []).map((d) => toNumber(d));
    const n = dims.reduce((a, b) => a * b, 1);
    if (t.dataType !== ONNX_TYPE.FLOAT || n < minElements) {
      inits.push(t);
      continue;
    }
    if (t.dataLocation === DataLocation.EXTERNAL) throw new QuantizeError(`weight '${name}' is stored outside the file (external data): expected it inside the model`);
    const values = tensorFromProto(t).data as Float32Array;
    const u = uses.get(name);
    if (dtype === 'int8' && dims.length === 2 && u && u.gatherData > 0 && u.other === 0) {
      const { q, scale } = quantizeRowsInt8(values, dims[0]!, dims[1]!);
      inits.push(
        { name: `${name}.int8`, dims, dataType: ONNX_TYPE.INT8, rawData: bytesOf(q) },
        { name: `${name}.scale`, dims: [dims[0]!], dataType: ONNX_TYPE.FLOAT, rawData: bytesOf(scale) },
        { name: `${name}.zero_point`, dims: [dims[0]!], dataType: ONNX_TYPE.INT8, rawData: new Uint8Array(dims[0]!) },
      );
      widen.push({
        name: `${name}.dequantize`,
        opType: 'DequantizeLinear',
        domain: '',
        input: [`${name}.int8`, `${name}.scale`, `${name}.zero_point`],
        output: [name],
        attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }],
      });
      continue;
    }
    if (otherAs === 'fp32') {
      inits.push(t);
      continue;
    }
    const half = f32ToF16(values);
    for (let i = 0; i < half.length; i++) {
      if ((half[i]! & 0x7c00) === 0x7c00 && Number.isFinite(values[i]!)) {
        throw new QuantizeError(`weight '${name}' holds ${values[i]} at flat index ${i}: float16 holds at most ±65504; export it as fp32`);
      }
    }
    inits.push({ name: `${name}.fp16`, dims, dataType: ONNX_TYPE.FLOAT16, rawData: bytesOf(half) });
    widen.push({ name: `${name}.cast`, opType: 'Cast', domain: '', input: [`${name}.fp16`], output: [name], attribute: [{ name: 'to', type: AttributeType.INT, i: ONNX_TYPE.FLOAT }] });
  }
  graph.initializer = inits;
  graph.node = [...widen, ...nodes];
  // Older exporters list initializers as graph inputs too; a widened weight is computed now.
  const computed = new Set(widen.flatMap((n) => n.output ?? []));
  graph.input = (graph.input ?? []).filter((v) => !computed.has(v.name ?? ''));
  writeMetadata(copy, { [WEIGHTS_DTYPE_KEY]: dtype === 'int8' ? `int8 tables, ${otherAs} weights` : dtype });
  // A model that carried a digest (verified when it was read) gets one for its new content.
  return (model.metadataProps ?? []).some((p) => p.key === DIGEST_KEY) ? stampDigest(copy) : copy;
}
