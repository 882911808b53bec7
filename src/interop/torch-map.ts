/**
 * PyTorch twin state_dict (scripts/torch/twin.py, HighwayBiLSTMClassifier) ↔ our parameters.
 *
 *   ours (ONNX layout)             torch key (PyTorch layout)
 *   embedding.weight   [V, E]      embedding.weight                      [V, E]
 *   layer{k}.bilstm.W  [2, 4H, In] layer{k}.bilstm.weight_ih_l0[_reverse]  [4H, In]   per direction
 *   layer{k}.bilstm.R  [2, 4H, H]  layer{k}.bilstm.weight_hh_l0[_reverse]  [4H, H]
 *   layer{k}.bilstm.B  [2, 8H]     layer{k}.bilstm.bias_ih_l0[_reverse] ++ bias_hh_l0[_reverse]
 *   layer{k}.gate.*, layer1.carry.*, output.*: Linear weights transposed ([In, Out] ↔ [Out, In])
 *
 * Along every 4H axis ONNX orders the gates i, o, f, c and PyTorch i, f, g, o. The maps are
 * linear (permutations, transposes, a split), so they convert gradients too.
 */
import { resolveConfig, type CarryMode, type ModelConfig } from '../models/config.js';
import { paramSpecs } from '../models/init.js';
import type { ParamLayout } from '../nn/index.js';
import type { Tensor } from '../onnx/tensor.js';
import { InteropError } from '../formats/errors.js';
import { bf16ToF32, f16ToF32, type NamedTensor } from '../formats/types.js';

const CODE = 'E_TORCH_MAP';

/** Block k of the ONNX layout (i, o, f, c) is block TORCH_TO_ONNX_GATES[k] of torch's (i, f, g, o). */
export const TORCH_TO_ONNX_GATES = [0, 3, 1, 2] as const;
/** Block k of the torch layout (i, f, g, o) is block ONNX_TO_TORCH_GATES[k] of ONNX's (i, o, f, c). */
export const ONNX_TO_TORCH_GATES = [0, 2, 3, 1] as const;

const DIRECTIONS = ['_l0', '_l0_reverse'] as const;

export interface TorchKeySpec {
  key: string;
  dims: number[];
  /** Our parameter the entry comes from, and how that parameter is laid out. */
  param: string;
  layout: ParamLayout;
  /** LSTM entries: which PyTorch tensor of the direction (nn.LSTM's names) and the direction (0 forward). */
  lstm?: { part: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh'; direction: 0 | 1 };
}

/**
 * The twin's state_dict keys and shapes, in `state_dict()` order (module registration order:
 * embedding, layer1 {bilstm, gate, carry}, …, output; nn.LSTM lists per direction
 * weight_ih, weight_hh, bias_ih, bias_hh).
 */
export function torchStateDictSpec(config: ModelConfig): TorchKeySpec[] {
  const out: TorchKeySpec[] = [];
  const specs = paramSpecs(config);
  for (const s of specs) {
    if (s.layout === 'lstm-W') {
      const prefix = s.name.slice(0, s.name.lastIndexOf('.'));
      const [, fourH, inWidth] = s.dims as [number, number, number];
      const H = fourH / 4;
      const R = specs.find((r) => r.name === `${prefix}.R` && r.layout === 'lstm-R')!;
      const B = specs.find((b) => b.name === `${prefix}.B` && b.layout === 'lstm-B')!;
      DIRECTIONS.forEach((d, direction) => {
        const entry = (part: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh', dims: number[], from: typeof s): TorchKeySpec =>
          ({ key: `${prefix}.${part}${d}`, dims, param: from.name, layout: from.layout, lstm: { part, direction: direction as 0 | 1 } });
        out.push(entry('weight_ih', [4 * H, inWidth], s), entry('weight_hh', [4 * H, H], R), entry('bias_ih', [4 * H], B), entry('bias_hh', [4 * H], B));
      });
    } else if (s.layout === 'lstm-R' || s.layout === 'lstm-B') {
      continue; // listed with their W, in nn.LSTM's order
    } else if (s.layout === 'linear-weight') {
      out.push({ key: s.name, dims: [s.dims[1]!, s.dims[0]!], param: s.name, layout: s.layout });
    } else {
      out.push({ key: s.name, dims: [...s.dims], param: s.name, layout: s.layout });
    }
  }
  return out;
}

/** Permute the four gate blocks along axis 0 of a row-major [4H, cols] (or [4H]) array. */
export function permuteGates(src: Float32Array, cols: number, order: readonly number[]): Float32Array {
  const block = src.length / 4;
  if (!Number.isInteger(block) || block % cols !== 0) {
    throw new InteropError(CODE, `gate blocks: ${src.length} values do not split into 4 blocks of ${cols}-wide rows`);
  }
  const out = new Float32Array(src.length);
  for (let k = 0; k < 4; k++) out.set(src.subarray(order[k]! * block, (order[k]! + 1) * block), k * block);
  return out;
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/** A float tensor of any float dtype as float32 (F64 rounds, F16/BF16 widen exactly). */
export function toFloat32(key: string, t: NamedTensor): Float32Array {
  switch (t.dtype) {
    case 'F32': return t.data as Float32Array;
    case 'F64': return Float32Array.from(t.data as Float64Array);
    case 'F16': return f16ToF32(t.data as Uint16Array);
    case 'BF16': return bf16ToF32(t.data as Uint16Array);
    default:
      throw new InteropError(CODE, `'${key}' is ${t.dtype}; a parameter must be a float tensor (F32, F64, F16 or BF16)`);
  }
}

export interface TorchMapOptions {
  /** Strip this prefix from every key first (e.g. 'module.' from DataParallel, 'model.'). */
  stripPrefix?: string;
  /** Ignore keys the twin does not have instead of failing (load_state_dict strict=False). */
  allowUnexpected?: boolean;
}

/** Keys a twin state dict always has (the rest depend on the config). */
const TWIN_CORE_KEYS = ['embedding.weight', 'layer1.bilstm.weight_ih_l0', 'output.weight'];

/**
 * True when state dict keys are the twin's (scripts/torch/twin.py), possibly under one shared
 * prefix ('module.', 'model.') or `opts.stripPrefix`: the test that picks the state dict out of
 * a checkpoint (readWeightsFile's `fits`). Keys only; shapes are checked by torchToParams.
 */
export function fitsTwinKeys(keys: readonly string[], opts: TorchMapOptions = {}): boolean {
  const p = opts.stripPrefix;
  const stripped = p ? keys.map((k) => (k.startsWith(p) ? k.slice(p.length) : k)) : keys;
  const has = new Set(stripped);
  if (TWIN_CORE_KEYS.every((k) => has.has(k))) return true;
  const hit = stripped.find((k) => k.endsWith(`.${TWIN_CORE_KEYS[0]}`));
  if (!hit) return false;
  const prefix = hit.slice(0, hit.length - TWIN_CORE_KEYS[0]!.length);
  return stripped.every((k) => k.startsWith(prefix)) && TWIN_CORE_KEYS.every((k) => has.has(prefix + k));
}

/** Keys with the prefix removed; a single shared prefix ('module.') is detected when no key matches as is. */
function normaliseKeys(tensors: Map<string, NamedTensor>, expected: Set<string>, opts: TorchMapOptions): Map<string, NamedTensor> {
  let prefix = opts.stripPrefix;
  if (prefix === undefined && ![...tensors.keys()].some((k) => expected.has(k))) {
    for (const want of expected) {
      const hit = [...tensors.keys()].find((k) => k.endsWith(`.${want}`));
      if (hit) {
        const p = hit.slice(0, hit.length - want.length);
        if ([...tensors.keys()].every((k) => k.startsWith(p))) prefix = p;
        break;
      }
    }
  }
  if (!prefix) return tensors;
  const out = new Map<string, NamedTensor>();
  for (const [k, v] of tensors) out.set(k.startsWith(prefix) ? k.slice(prefix.length) : k, v);
  return out;
}

/** "tensor 'key' [shape] holds N NaN and M infinite value(s) (first at flat index i)", or null when all are finite. */
function describeNonFinite(key: string, shape: readonly number[], v: Float32Array): string | null {
  let nan = 0;
  let inf = 0;
  let first = -1;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x - x !== 0) { // NaN for NaN and ±Infinity alike: one comparison in the common case
      if (Number.isNaN(x)) nan++;
      else inf++;
      if (first < 0) first = i;
    }
  }
  if (first < 0) return null;
  const what = [nan ? `${nan} NaN` : '', inf ? `${inf} infinite` : ''].filter(Boolean).join(' and ');
  return `tensor '${key}' [${shape.join(', ')}] holds ${what} value(s) (first at flat index ${first})`;
}

/**
 * A twin state_dict (any float dtype) → our parameters (float32, ONNX layout), for `config`.
 * Every problem is reported at once: missing keys (with the shape expected), unexpected keys,
 * shapes that differ (expected vs found), plus the config the weights themselves suggest.
 * A NaN or ±Infinity in any weight is refused too, naming the tensor (E_TORCH_MAP).
 */
export function torchToParams(config: ModelConfig, tensors: Map<string, NamedTensor>, opts: TorchMapOptions = {}): Map<string, Tensor> {
  const cfg = resolveConfig(config);
  const spec = torchStateDictSpec(cfg);
  const expected = new Set(spec.map((s) => s.key));
  const sd = normaliseKeys(tensors, expected, opts);
  const problems: string[] = [];
  for (const s of spec) {
    const t = sd.get(s.key);
    if (!t) problems.push(`missing '${s.key}' (expected [${s.dims.join(', ')}])`);
    else if (t.shape.join() !== s.dims.join()) problems.push(`'${s.key}': expected shape [${s.dims.join(', ')}], found [${t.shape.join(', ')}]`);
    else if (!['F32', 'F64', 'F16', 'BF16'].includes(t.dtype)) problems.push(`'${s.key}': expected a float tensor, found ${t.dtype}`);
  }
  if (!opts.allowUnexpected) {
    for (const k of sd.keys()) if (!expected.has(k)) problems.push(`unexpected key '${k}' [${sd.get(k)!.shape.join(', ')}]`);
  }
  if (problems.length > 0) {
    let hint = '';
    try {
      const inferred = inferConfigFromTorch(sd);
      const diffs = (Object.keys(inferred) as (keyof ModelConfig)[])
        .filter((k) => inferred[k] !== undefined && inferred[k] !== cfg[k])
        .map((k) => `${k} ${JSON.stringify(cfg[k])} → ${JSON.stringify(inferred[k])}`);
      if (diffs.length > 0) hint = `\n  the weights look like a config with: ${diffs.join(', ')}`;
    } catch {
      // the weights are not a twin state_dict at all: no hint
    }
    throw new InteropError(CODE,
      `state_dict does not fit the ${cfg.kind} classifier config (layers ${cfg.layers}, vocabSize ${cfg.vocabSize}, embedDim ${cfg.embedDim}, hidden ${cfg.hidden}, classes ${cfg.classes}${cfg.kind === 'highway' ? `, carry ${cfg.carry}` : ''}): ${problems.length} problem(s)\n  ${problems.join('\n  ')}${hint}`);
  }

  const f32 = (key: string): Float32Array => toFloat32(key, sd.get(key)!);
  const nonFinite = spec.map((s) => describeNonFinite(s.key, sd.get(s.key)!.shape, f32(s.key))).filter((d): d is string => d !== null);
  if (nonFinite.length > 0) {
    throw new InteropError(CODE,
      `state_dict ${nonFinite[0]}${nonFinite.length > 1 ? ` (and ${nonFinite.length - 1} more tensor(s): ${nonFinite.slice(1).map((d) => d.split(' ')[1]).join(', ')})` : ''}; a model with non-finite weights predicts NaN, so nothing was written. Export the weights from a checkpoint taken before training diverged`);
  }
  const out = new Map<string, Tensor>();
  for (const p of paramSpecs(cfg)) {
    if (p.layout === 'lstm-W' || p.layout === 'lstm-R' || p.layout === 'lstm-B') {
      const prefix = p.name.slice(0, p.name.lastIndexOf('.'));
      const data = new Float32Array(p.dims.reduce((a, b) => a * b, 1));
      const half = data.length / 2;
      DIRECTIONS.forEach((d, di) => {
        if (p.layout !== 'lstm-B') {
          const key = `${prefix}.${p.layout === 'lstm-W' ? 'weight_ih' : 'weight_hh'}${d}`;
          data.set(permuteGates(f32(key), p.dims[2]!, TORCH_TO_ONNX_GATES), di * half);
        } else {
          const ih = permuteGates(f32(`${prefix}.bias_ih${d}`), 1, TORCH_TO_ONNX_GATES);
          data.set(ih, di * half);
          data.set(permuteGates(f32(`${prefix}.bias_hh${d}`), 1, TORCH_TO_ONNX_GATES), di * half + ih.length);
        }
      });
      out.set(p.name, { dtype: 'float32', dims: [...p.dims], data });
    } else if (p.layout === 'linear-weight') {
      out.set(p.name, { dtype: 'float32', dims: [...p.dims], data: transpose2d(f32(p.name), p.dims[1]!, p.dims[0]!) });
    } else {
      out.set(p.name, { dtype: 'float32', dims: [...p.dims], data: Float32Array.from(f32(p.name)) });
    }
  }
  return out;
}

/**
 * Our parameters (or their gradients: same names, same layout) → a twin state_dict (F32, in
 * `state_dict()` order), the exact inverse of torchToParams.
 */
export function paramsToTorch(config: ModelConfig, params: Map<string, Tensor>): Map<string, NamedTensor> {
  const cfg = resolveConfig(config);
  const problems: string[] = [];
  const specs = paramSpecs(cfg);
  for (const s of specs) {
    const t = params.get(s.name);
    if (!t) problems.push(`missing '${s.name}' (expected [${s.dims.join(', ')}])`);
    else if (t.dims.join() !== s.dims.join()) problems.push(`'${s.name}': expected shape [${s.dims.join(', ')}], found [${t.dims.join(', ')}]`);
    else if (t.dtype !== 'float32') problems.push(`'${s.name}': expected float32, found ${t.dtype}`);
  }
  const known = new Set(specs.map((s) => s.name));
  for (const k of params.keys()) if (!known.has(k)) problems.push(`unexpected parameter '${k}'`);
  if (problems.length > 0) {
    throw new InteropError(CODE, `parameters do not fit the ${cfg.kind} classifier config (layers ${cfg.layers}, hidden ${cfg.hidden}):\n  ${problems.join('\n  ')}`);
  }
  const get = (name: string): Float32Array => params.get(name)!.data as Float32Array;
  const out = new Map<string, NamedTensor>();
  for (const s of torchStateDictSpec(cfg)) {
    let data: Float32Array;
    if (s.lstm) {
      const { part, direction: d } = s.lstm;
      const H = s.dims[0]! / 4;
      const src = get(s.param);
      if (part === 'bias_ih' || part === 'bias_hh') {
        const start = d * 8 * H + (part === 'bias_ih' ? 0 : 4 * H);
        data = permuteGates(src.subarray(start, start + 4 * H), 1, ONNX_TO_TORCH_GATES);
      } else {
        const n = 4 * H * s.dims[1]!;
        data = permuteGates(src.subarray(d * n, (d + 1) * n), s.dims[1]!, ONNX_TO_TORCH_GATES);
      }
    } else if (s.layout === 'linear-weight') {
      data = transpose2d(get(s.param), s.dims[1]!, s.dims[0]!);
    } else {
      data = Float32Array.from(get(s.param));
    }
    out.set(s.key, { dtype: 'F32', shape: [...s.dims], data });
  }
  return out;
}

/**
 * The config a twin state_dict implies (what shapes alone can tell): kind, layers, vocabSize,
 * embedDim, hidden, classes, carry. Identity vs zero-pad is told apart by the widths.
 */
export function inferConfigFromTorch(tensors: Map<string, NamedTensor>): Partial<ModelConfig> {
  const shape = (k: string): number[] => {
    const t = tensors.get(k);
    if (!t) throw new InteropError(CODE, `cannot infer a config: '${k}' is missing`);
    return t.shape;
  };
  const [vocabSize, embedDim] = shape('embedding.weight') as [number, number];
  const [classes] = shape('output.weight') as [number];
  const hidden = shape('layer1.bilstm.weight_hh_l0')[1]!;
  let layers = 0;
  while (tensors.has(`layer${layers + 1}.bilstm.weight_ih_l0`)) layers++;
  const kind = tensors.has('layer1.gate.weight') ? 'highway' : 'plain';
  let carry: CarryMode = 'projection';
  if (kind === 'highway' && !tensors.has('layer1.carry.weight')) carry = embedDim === 2 * hidden ? 'identity' : 'zero-pad';
  return { kind, layers, vocabSize, embedDim, hidden, classes, carry };
}

/**
 * The config for a twin state_dict: fields the file gives win (a wrong one is then reported by
 * torchToParams, expected vs found); the rest is inferred from the weights' shapes.
 */
export function configForWeights(tensors: Map<string, NamedTensor>, partial: Partial<ModelConfig> = {}, opts: TorchMapOptions = {}): ModelConfig {
  const sd = normaliseKeys(tensors, new Set(['embedding.weight', 'output.weight']), opts);
  let inferred: Partial<ModelConfig> = {};
  try {
    inferred = inferConfigFromTorch(sd);
  } catch (e) {
    if (Object.keys(partial).length === 0) throw e;
  }
  return resolveConfig({ ...inferred, dropout: 0, ...partial });
}
