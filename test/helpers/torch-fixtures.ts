// Loads the PyTorch reference fixtures written by scripts/torch/make_grad_fixtures.py
// (test/fixtures/torch/<case>.{json,safetensors}); the script's docstring lists the keys.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type NamedTensor } from '../../src/formats/safetensors.js';
import { resolveConfig, type ModelConfig } from '../../src/models/config.js';
import type { Tensor } from '../../src/onnx/tensor.js';

export const TORCH_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'torch');

export interface TorchFixture {
  name: string;
  config: ModelConfig;
  /** Our parameter names in graph order. */
  paramNames: string[];
  /** float32, our layout. */
  params: Map<string, Tensor>;
  batch: number;
  time: number;
  ids: BigInt64Array;
  lengths: Int32Array;
  labels: BigInt64Array;
  /** float64 references (the twin run in float64 on the float32 weights). */
  logits: Float64Array;
  probs: Float64Array;
  gates: Float64Array | null;
  loss: number;
  grads: Map<string, Float64Array>;
}

export function torchFixtureNames(): string[] {
  return readdirSync(TORCH_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadTorchFixture(name: string): TorchFixture {
  const meta = JSON.parse(readFileSync(join(TORCH_FIXTURES, `${name}.json`), 'utf8')) as {
    config: Partial<ModelConfig>;
    params: string[];
    batch: number;
    time: number;
  };
  const buf = readFileSync(join(TORCH_FIXTURES, `${name}.safetensors`));
  const { tensors } = readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  const get = (key: string, dtype: NamedTensor['dtype']): NamedTensor => {
    const t = tensors.get(key);
    if (!t) throw new Error(`fixture ${name}: '${key}' missing`);
    if (t.dtype !== dtype) throw new Error(`fixture ${name}: '${key}' is ${t.dtype}, expected ${dtype}`);
    return t;
  };
  const params = new Map<string, Tensor>();
  const grads = new Map<string, Float64Array>();
  for (const p of meta.params) {
    const t = get(`param/${p}`, 'F32');
    params.set(p, { dtype: 'float32', dims: [...t.shape], data: t.data as Float32Array });
    grads.set(p, get(`grad/${p}`, 'F64').data as Float64Array);
  }
  return {
    name,
    config: resolveConfig(meta.config),
    paramNames: meta.params,
    params,
    batch: meta.batch,
    time: meta.time,
    ids: get('ids', 'I64').data as BigInt64Array,
    lengths: get('lengths', 'I32').data as Int32Array,
    labels: get('labels', 'I64').data as BigInt64Array,
    logits: get('logits', 'F64').data as Float64Array,
    probs: get('probs', 'F64').data as Float64Array,
    gates: tensors.has('gates') ? (get('gates', 'F64').data as Float64Array) : null,
    loss: (get('loss', 'F64').data as Float64Array)[0]!,
    grads,
  };
}

/** max |a − b|, and the same relative to max(1, max |b|). */
export function diff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let abs = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { abs, rel: abs / scale };
}
