// ONNX's own conformance data (Debian libonnx-testdata 1.12: node tests with inputs and
// expected outputs) and a small runner over onnxruntime-node, shared by the onnx/ and
// graph/ test suites.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeModel, decodeTensor, encodeModel, toNumber, type ModelProto, type ValueInfoProto } from '../../src/onnx/proto.js';
import { tensorFromProto, type DType, type Tensor } from '../../src/onnx/tensor.js';
import { requireSystemDependency } from './system-deps.js';

export const DATA_ROOT = '/usr/share/libonnx-testdata/data';
export const NODE_ROOT = join(DATA_ROOT, 'node');
/** The data is a system package (.ci/run installs it); suites fail, never skip, without it. */
export const hasConformanceData = existsSync(NODE_ROOT);

/** Fails the suite unless the data is installed (the Debian package named, as for every system dependency). */
export function requireConformanceData(): void {
  requireSystemDependency('libonnx-testdata');
}

/** Names of the node tests (`test_abs`, `test_lstm_defaults`, …), sorted. */
export function listNodeTests(): string[] {
  if (!hasConformanceData) return [];
  return readdirSync(NODE_ROOT).filter((t) => existsSync(join(NODE_ROOT, t, 'model.onnx'))).sort();
}

/** Every test directory holding a model.onnx, across all categories (node, simple, pytorch-*, real). */
export function listAllModelDirs(): string[] {
  if (!existsSync(DATA_ROOT)) return [];
  const dirs: string[] = [];
  for (const kind of readdirSync(DATA_ROOT).sort()) {
    const base = join(DATA_ROOT, kind);
    for (const t of readdirSync(base).sort()) if (existsSync(join(base, t, 'model.onnx'))) dirs.push(join(base, t));
  }
  return dirs;
}

/** `test_data_set_*` directories of a test, sorted. */
export function dataSetDirs(testDir: string): string[] {
  return readdirSync(testDir).filter((f) => f.startsWith('test_data_set_')).sort().map((f) => join(testDir, f));
}

/** `input_<i>.pb` / `output_<i>.pb` files of a data set, in numeric order. */
export function pbFiles(setDir: string, prefix: 'input' | 'output'): string[] {
  return readdirSync(setDir)
    .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)))
    .map((f) => join(setDir, f));
}

/** The graph inputs that are fed at run time (those not backed by an initializer), in order. */
export function runtimeInputs(model: ModelProto): ValueInfoProto[] {
  const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return (model.graph?.input ?? []).filter((i) => !inits.has(i.name));
}

/** Why a value cannot be a plain Tensor here (sequence/optional/unsupported element type), or null. */
export function unsupportedValue(v: ValueInfoProto): string | null {
  const t = v.type;
  if (!t?.tensorType) return `'${v.name}' is not a tensor (${t?.sequenceType ? 'sequence' : t?.optionalType ? 'optional' : t?.mapType ? 'map' : 'unknown type'})`;
  const elem = t.tensorType.elemType ?? 0;
  if (!SUPPORTED_ELEM.has(elem)) return `'${v.name}' has element type ${elem}`;
  return null;
}
const SUPPORTED_ELEM = new Set([1, 6, 7, 8, 9, 11]);

export interface ConformanceCase {
  name: string;
  dir: string;
  modelBytes: Uint8Array;
  model: ModelProto;
  /** ai.onnx (default domain) opset the model declares. */
  opset: number;
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
  /** Graph input / output names in order. */
  inputNames: string[];
  outputNames: string[];
}

/** The ai.onnx opset a model imports (0 when none). */
export function defaultOpset(model: ModelProto): number {
  const o = (model.opsetImport ?? []).find((x) => (x.domain ?? '') === '' || x.domain === 'ai.onnx');
  return o ? toNumber(o.version as number) : 0;
}

/**
 * Load a node test (by name) or any test directory: the model and its first data set as Tensors.
 * Throws when a value is not a tensor of a supported dtype; `unsupportedReason` says so beforehand.
 */
export function loadCase(nameOrDir: string): ConformanceCase {
  const dir = nameOrDir.includes('/') ? nameOrDir : join(NODE_ROOT, nameOrDir);
  const modelBytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  const model = decodeModel(modelBytes);
  const ins = runtimeInputs(model);
  const outs = model.graph?.output ?? [];
  const set = dataSetDirs(dir)[0]!;
  const read = (files: string[], infos: ValueInfoProto[], what: string): Record<string, Tensor> => {
    if (files.length !== infos.length) throw new Error(`${dir}: ${files.length} ${what} files for ${infos.length} graph ${what}s`);
    const rec: Record<string, Tensor> = {};
    files.forEach((f, i) => (rec[infos[i]!.name!] = tensorFromProto(decodeTensor(readFileSync(f)))));
    return rec;
  };
  return {
    name: dir.split('/').pop()!,
    dir,
    modelBytes,
    model,
    opset: defaultOpset(model),
    inputs: read(pbFiles(set, 'input'), ins, 'input'),
    outputs: read(pbFiles(set, 'output'), outs, 'output'),
    inputNames: ins.map((i) => i.name!),
    outputNames: outs.map((o) => o.name!),
  };
}

/** Null when every graph input/output of the test is a tensor of a dtype Tensor supports. */
export function unsupportedReason(model: ModelProto): string | null {
  for (const v of [...runtimeInputs(model), ...(model.graph?.output ?? [])]) {
    const why = unsupportedValue(v);
    if (why) return why;
  }
  return null;
}

// --- onnxruntime ---------------------------------------------------------------------

export function toOrt(t: Tensor): ort.Tensor {
  // Tensor's data arrays are exactly the ones ort expects (int64: BigInt64Array, bool: Uint8Array).
  return new ort.Tensor(t.dtype, t.data as never, t.dims);
}

export function fromOrt(t: ort.Tensor): Tensor {
  const dtype = t.type as DType;
  if (!['float32', 'float64', 'int32', 'int64', 'bool', 'string'].includes(dtype)) {
    throw new Error(`onnxruntime returned a ${t.type} tensor, which Tensor does not represent`);
  }
  return { dtype, dims: [...t.dims], data: t.data as Tensor['data'] } as Tensor;
}

const sessionOptions: ort.InferenceSession.SessionOptions = { logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Run a model (bytes or ModelProto) on onnxruntime-node's CPU provider. */
export async function runModel(model: Uint8Array | ModelProto, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const session = await ort.InferenceSession.create(bytes, sessionOptions);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
    const res = await session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(res)) out[k] = fromOrt(v);
    return out;
  } finally {
    await session.release();
  }
}

// --- comparison ----------------------------------------------------------------------

export interface Tolerance {
  rtol: number;
  atol: number;
}
/** ONNX's backend test runner: |a − e| ≤ atol + rtol·|e| for floats; ints and bools exactly. */
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

/** Null when `actual` matches `expected` (same dtype, dims, values; NaN equals NaN), else why not. */
export function compareTensor(actual: Tensor, expected: Tensor, tol: Tolerance = DEFAULT_TOLERANCE): string | null {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.dims.join() !== expected.dims.join() || actual.dims.length !== expected.dims.length) {
    return `shape [${actual.dims}], expected [${expected.dims}]`;
  }
  const a = actual.data as ArrayLike<number | bigint | string>;
  const e = expected.data as ArrayLike<number | bigint | string>;
  if (a.length !== e.length) return `${a.length} values, expected ${e.length}`;
  const float = actual.dtype === 'float32' || actual.dtype === 'float64';
  let bad = 0;
  let first = '';
  let worst = 0;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    let ok: boolean;
    if (float) {
      const xf = x as number;
      const yf = y as number;
      if (Number.isNaN(yf) || Number.isNaN(xf)) ok = Number.isNaN(yf) && Number.isNaN(xf);
      else if (!Number.isFinite(yf) || !Number.isFinite(xf)) ok = xf === yf;
      else {
        const d = Math.abs(xf - yf);
        ok = d <= tol.atol + tol.rtol * Math.abs(yf);
        if (!ok) worst = Math.max(worst, d);
      }
    } else ok = x === y;
    if (!ok) {
      if (bad === 0) first = `at ${i}: ${String(x)} vs expected ${String(y)}`;
      bad++;
    }
  }
  if (bad === 0) return null;
  return `${bad}/${e.length} values differ (first ${first}${float ? `; max |diff| ${worst.toPrecision(3)}` : ''})`;
}

/** Mismatches between two named sets of outputs (every expected name must be present). */
export function compareOutputs(actual: Record<string, Tensor>, expected: Record<string, Tensor>, tol: Tolerance = DEFAULT_TOLERANCE): string[] {
  const problems: string[] = [];
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    if (!a) {
      problems.push(`output '${name}' is missing (got ${Object.keys(actual).join(', ')})`);
      continue;
    }
    const why = compareTensor(a, e, tol);
    if (why) problems.push(`output '${name}': ${why}`);
  }
  return problems;
}

/** Run a model on the case's inputs and compare with its expected outputs: [] when it reproduces them. */
export async function checkAgainstExpected(model: Uint8Array | ModelProto, c: ConformanceCase, tol?: Tolerance): Promise<string[]> {
  let actual: Record<string, Tensor>;
  try {
    actual = await runModel(model, c.inputs);
  } catch (e) {
    return [`onnxruntime: ${firstLine((e as Error).message)}`];
  }
  return compareOutputs(actual, c.outputs, tol);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}
