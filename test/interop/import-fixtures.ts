// Loads test/fixtures/import/ (written by scripts/torch/make_import_fixtures.py; its docstring
// lists every file and key) and runs models in onnxruntime for the interchange tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readSafetensors } from '../../src/formats/safetensors.js';
import type { NamedTensor } from '../../src/formats/types.js';
import { resolveConfig, type ModelConfig } from '../../src/models/config.js';
import { decodeModel, encodeModel, type ModelProto } from '../../src/onnx/proto.js';
import { requireSystemDependency } from '../helpers/system-deps.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IMPORT_FIXTURES = join(ROOT, 'test', 'fixtures', 'import');
export const FIXTURE_SCRIPT = join(ROOT, 'scripts', 'torch', 'make_import_fixtures.py');
export const PYTHON = '/usr/bin/python3';

const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(IMPORT_FIXTURES, name)));
const refOf = (name: string): Map<string, NamedTensor> => readSafetensors(bytes(name)).tensors;

export interface TwinFixture {
  name: string;
  config: ModelConfig;
  /** File name of the weights (.pt or .safetensors) and its bytes. */
  weightsFile: string;
  weights: Uint8Array;
  keys: string[];
  batch: number;
  time: number;
  ids: number[][];
  lengths: number[];
  labels: number[];
  lr: number;
  ref: Map<string, NamedTensor>;
}

export function twinNames(): string[] {
  return readdirSync(IMPORT_FIXTURES).filter((f) => /^twin-.*\.json$/.test(f)).map((f) => f.slice(5, -5)).sort();
}

export function loadTwin(name: string): TwinFixture {
  const meta = JSON.parse(readFileSync(join(IMPORT_FIXTURES, `twin-${name}.json`), 'utf8'));
  return {
    name,
    config: resolveConfig(meta.config),
    weightsFile: join(IMPORT_FIXTURES, meta.weights),
    weights: bytes(meta.weights),
    keys: meta.keys,
    batch: meta.batch,
    time: meta.time,
    ids: meta.ids,
    lengths: meta.lengths,
    labels: meta.labels,
    lr: meta.lr,
    ref: refOf(`twin-${name}.ref.safetensors`),
  };
}

export interface OnnxFixture {
  name: string;
  path: string;
  model: ModelProto;
  opset: number;
  inputs: string[];
  outputs: string[];
  classes: number;
  batch: number;
  time: number;
  ids: number[][];
  lengths: number[];
  labels: number[];
  lr: number;
  /** Initializer name → the torch parameters it holds. */
  initializers: Record<string, string[]>;
  ref: Map<string, NamedTensor>;
}

export const ONNX_CASES = ['bilstm2-max', 'bilstm2-nofold', 'unilstm2-last', 'bilstm2-packed'] as const;

export function loadOnnx(name: string): OnnxFixture {
  const meta = JSON.parse(readFileSync(join(IMPORT_FIXTURES, `onnx-${name}.json`), 'utf8'));
  return {
    ...meta,
    name,
    path: join(IMPORT_FIXTURES, meta.model),
    model: decodeModel(bytes(meta.model)),
    ref: refOf(`onnx-${name}.ref.safetensors`),
  };
}

export function fixtureModel(file: string): ModelProto {
  return decodeModel(bytes(file));
}

export function refArray(ref: Map<string, NamedTensor>, key: string): Float64Array {
  const t = ref.get(key);
  if (!t) throw new Error(`reference '${key}' missing`);
  return Float64Array.from(t.data as ArrayLike<number>);
}

/** Feeds for a fixture batch: ids int64 [B, T] and, when asked, lengths (int64 or int32). */
export function feedsFor(f: { ids: number[][]; lengths: number[]; batch: number; time: number }, lengths: 'int64' | 'int32' | null): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = { ids: new ort.Tensor('int64', BigInt64Array.from(f.ids.flat(), (v) => BigInt(v)), [f.batch, f.time]) };
  if (lengths === 'int64') feeds.lengths = new ort.Tensor('int64', BigInt64Array.from(f.lengths, (v) => BigInt(v)), [f.batch]);
  if (lengths === 'int32') feeds.lengths = new ort.Tensor('int32', Int32Array.from(f.lengths), [f.batch]);
  return feeds;
}

export async function runModel(model: ModelProto | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(model instanceof Uint8Array ? model : encodeModel(model));
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** max |a − b| and max |a − b| / max(1, max |b|). */
export { diff as maxDiff } from '../helpers/torch-fixtures.js';

/**
 * The twin (float64) loaded with exported weights, on a batch, per [weights, batch.json] pair: logits [B·C] (one Python process).
 * @throws MissingSystemDependencyError (E_SYSTEM_DEPENDENCY) without Debian's python3-torch
 */
export function twinLogits(pairs: [weightsPath: string, batchJsonPath: string][]): number[][] {
  requireSystemDependency('python3-torch');
  const r = spawnSync(PYTHON, [FIXTURE_SCRIPT, 'twin-logits', ...pairs.flat()], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`twin-logits failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length !== pairs.length) throw new Error(`twin-logits printed ${lines.length} results for ${pairs.length} models: ${r.stdout}`);
  return lines.map((l) => (JSON.parse(l) as { logits: number[] }).logits);
}

/** Sentences whose tokens are the vocabulary entries of the fixture ids (so tokenize + vocab give the ids back). */
export function textsFor(ids: number[][], lengths: number[], vocab: string[]): string[] {
  return ids.map((row, b) => row.slice(0, lengths[b]).map((id) => vocab[id]!).join(' '));
}

/** A JSONL data folder `<root>/data-<name>` holding a fixture batch as text (train = dev = test). */
export function dataFolder(root: string, name: string, ids: number[][], lengths: number[], labels: number[], vocab: string[]): string {
  const d = join(root, `data-${name}`);
  mkdirSync(d, { recursive: true });
  const lines = textsFor(ids, lengths, vocab).map((text, i) => JSON.stringify({ text, label: labels[i] })).join('\n');
  for (const split of ['train', 'dev', 'test']) writeFileSync(join(d, `${split}.jsonl`), `${lines}\n`);
  return d;
}
