// `export --dtype fp16|int8`: float16 rounding against NumPy, the int8 error bound, and the
// converted models against an independent reference — the float32 model whose weights are
// replaced by the values the converted file stores (decoded here in TypeScript), run by plain
// onnxruntime — in onnxruntime-node and onnxruntime-web (WASM); onnx.checker accepts them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { f32ToF16, quantizeModel, quantizeRowsInt8 } from './quantize.js';
import { decodeModel, encodeModel, toNumber, type ModelProto, type TensorProto } from './proto.js';
import { tensorFromProto } from './tensor.js';
import { loadModel } from '../runtime/node.js';
import * as ortWeb from 'onnxruntime-web';
import { modelInfoFromBytes } from '../web/index.js';
import { Predictor, type SessionLike, type TensorCtor } from '../runtime/predictor.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { Rng } from '../data/rng.js';
import { Vocabulary } from '../data/vocab.js';
import { tokenize } from '../data/tokenizer.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hw-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXTS = ['a gripping and moving film', 'not good at all', 'the plot is dull but the acting is great', 'wonderful', 'an unknown word here'];
const vocab = Vocabulary.build(TEXTS.map(tokenize));
const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 80, hidden: 8, seed: 3 });
const fp32 = classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() });
const fp32Bytes = encodeModel(fp32);

/** IEEE half bit patterns → numbers, written out here from the format's definition. */
function f16ToF32(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, (h) => {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) return sign * mant * 2 ** -24;
    if (exp === 31) return mant ? NaN : sign * Infinity;
    return sign * (1 + mant / 1024) * 2 ** (exp - 15);
  });
}

/** The float32 model with each weight replaced by what `converted` stores for it, widened in TypeScript. */
function referenceFor(converted: ModelProto): Uint8Array {
  const stored = new Map((converted.graph!.initializer ?? []).map((t) => [t.name!, t]));
  const widened = (fp32.graph!.initializer ?? []).map((t): TensorProto => {
    const name = t.name!;
    const half = stored.get(`${name}.fp16`);
    const q = stored.get(`${name}.int8`);
    if (half) {
      const raw = half.rawData!;
      const values = f16ToF32(new Uint16Array(new Uint8Array(raw).buffer));
      return { ...t, rawData: new Uint8Array(values.buffer), floatData: [] };
    }
    if (q) {
      const ints = new Int8Array(new Uint8Array(q.rawData!).buffer);
      const scale = tensorFromProto(stored.get(`${name}.scale`)!).data as Float32Array;
      const cols = toNumber(t.dims![1]);
      const values = Float32Array.from(ints, (v, i) => v * scale[Math.floor(i / cols)]!);
      return { ...t, rawData: new Uint8Array(values.buffer), floatData: [] };
    }
    return t;
  });
  return encodeModel({ ...fp32, graph: { ...fp32.graph, initializer: widened } });
}

async function rawProbs(bytes: Uint8Array, ids: number[][]): Promise<Float32Array> {
  const T = Math.max(...ids.map((r) => r.length));
  const flat = ids.flatMap((r) => [...r, ...new Array<number>(T - r.length).fill(0)]);
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ ids: new ort.Tensor('int64', BigInt64Array.from(flat.map(BigInt)), [ids.length, T]), lengths: new ort.Tensor('int32', Int32Array.from(ids.map((r) => r.length)), [ids.length]) });
  await s.release();
  return out.probs!.data as Float32Array;
}

describe('f32ToF16', () => {
  it('rounds exactly as NumPy’s astype(float16): normals, subnormals, ties, overflow, ±0, ±Inf, NaN', () => {
    const rng = new Rng(11);
    const specials = [0, -0, 1, -1, 65504, 65505, 65520, 70000, -1e6, 6.1e-5, 6.0e-8, 5.96e-8, 2.98e-8, 2.99e-8, 1e-10, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity, NaN];
    const random = Array.from({ length: 3000 }, (_, i) => (rng.nextFloat() - 0.5) * 10 ** ((i % 14) - 9));
    const values = Float32Array.from([...specials, ...random]);
    const ours = Array.from(f32ToF16(values));
    requireSystemDependency('python3-numpy');
    const numpy = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', 'import sys, json, numpy as np; v = np.array(json.load(sys.stdin), dtype=np.float32); print(json.dumps(v.astype(np.float16).view(np.uint16).tolist()))'], {
        input: JSON.stringify(Array.from(values, (v) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0.0' : v))),
        encoding: 'utf8',
      }),
    ) as number[];
    // NaN payloads may differ; both must be NaN.
    ours.forEach((h, i) => {
      if (Number.isNaN(values[i]!)) expect([(h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0, (numpy[i]! & 0x7c00) === 0x7c00 && (numpy[i]! & 0x3ff) !== 0]).toEqual([true, true]);
      else expect(h, `value ${values[i]}`).toBe(numpy[i]);
    });
  });
});

describe('quantizeRowsInt8', () => {
  it('keeps every value within half a step of its row scale; zero rows stay zero', () => {
    const rng = new Rng(2);
    const rows = 50;
    const cols = 30;
    const w = Float32Array.from({ length: rows * cols }, (_, i) => (Math.floor(i / cols) === 7 ? 0 : rng.normal() * (1 + (i % 5))));
    const { q, scale } = quantizeRowsInt8(w, rows, cols);
    for (let i = 0; i < w.length; i++) {
      const s = scale[Math.floor(i / cols)]!;
      expect(Math.abs(w[i]! - q[i]! * s)).toBeLessThanOrEqual(s / 2 + 1e-7);
      expect(Math.abs(q[i]!)).toBeLessThanOrEqual(127);
    }
    expect(Array.from(q.subarray(7 * cols, 8 * cols)).every((v) => v === 0)).toBe(true);
  });
});

describe('quantizeModel', () => {
  const ids = [[2, 3, 4, 5], [6, 1], [7, 8, 9, 10, 11, 12, 2]];

  for (const dtype of ['fp16', 'int8'] as const) {
    it(`${dtype}: standard ops only, smaller, and the same outputs as its float32 reference in onnxruntime-node and -web`, async () => {
      const converted = quantizeModel(fp32, dtype);
      const bytes = encodeModel(converted);
      // fp16 halves the weights; int8 stores the embedding in a quarter on top of that.
      expect(bytes.length).toBeLessThan(fp32Bytes.length * 0.6);
      if (dtype === 'int8') expect(bytes.length).toBeLessThan(encodeModel(quantizeModel(fp32, 'fp16')).length);
      const domains = new Set((converted.graph!.node ?? []).map((n) => n.domain ?? ''));
      expect([...domains].every((d) => d === '' || d === 'ai.onnx')).toBe(true);
      // The input model is untouched.
      expect(encodeModel(fp32)).toEqual(fp32Bytes);

      const reference = await rawProbs(referenceFor(converted), ids);
      const ours = await rawProbs(bytes, ids);
      ours.forEach((p, i) => expect(p).toBeCloseTo(reference[i]!, 6));
      // Close to the float32 model too: the stored values moved only a little.
      const original = await rawProbs(fp32Bytes, ids);
      ours.forEach((p, i) => expect(Math.abs(p - original[i]!)).toBeLessThan(dtype === 'int8' ? 2e-2 : 2e-3));

      // The project's loader vets and runs it in Node; the browser entry's vetting with
      // onnxruntime-web's WASM backend (its main entry: the /wasm build the browser loader
      // imports needs a bundler) gives the same predictions.
      const node = await loadModel(bytes, { device: 'cpu' });
      const web = new Predictor((await ortWeb.InferenceSession.create(bytes)) as unknown as SessionLike, ortWeb.Tensor as unknown as TensorCtor, modelInfoFromBytes(bytes));
      const [a, b] = [await node.predict(TEXTS), await web.predict(TEXTS)];
      await node.release();
      await web.session.release?.();
      a.forEach((p, i) => p.probs.forEach((x, c) => expect(b[i]!.probs[c]!).toBeCloseTo(x, 5)));

      // And an independent checker: onnx.checker.check_model(full_check=True).
      const file = join(dir, `m.${dtype}.onnx`);
      writeFileSync(file, bytes);
      requireSystemDependency('python3-onnx');
      const check = spawnSync('/usr/bin/python3', [join(ROOT, 'scripts/check_onnx.py'), file], { encoding: 'utf8' });
      expect(check.stdout).toMatch(/^ok +/);
      expect(check.status).toBe(0);
    });
  }

  it('refuses what it cannot convert: int8 below opset 13, a weight beyond float16’s range', () => {
    const old = { ...fp32, opsetImport: [{ domain: '', version: 12 }] };
    expect(() => quantizeModel(old, 'int8')).toThrow(expect.objectContaining({ code: 'E_QUANTIZE', message: expect.stringMatching(/opset ≥ 13.*has opset 12/) }));
    const big = decodeModel(fp32Bytes);
    const t = big.graph!.initializer!.find((x) => x.name === 'layer1.bilstm.W')!;
    const f = new Float32Array(new Uint8Array(t.rawData!).buffer);
    f[5] = 1e5;
    t.rawData = new Uint8Array(f.buffer);
    expect(() => quantizeModel(big, 'fp16')).toThrow(/weight 'layer1\.bilstm\.W' holds 100000 at flat index 5: float16 holds at most ±65504/);
  });
});

describe('highway-onnx export', () => {
  it('writes the converted model and reports the sizes; --dtype is required', () => {
    const src = join(dir, 'model.onnx');
    writeFileSync(src, fp32Bytes);
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const r = cli('export', '-m', src, '--dtype', 'int8', '--out', join(dir, 'out.onnx'));
    expect(r.status).toBe(0);
    const line = JSON.parse(r.stdout) as { bytesIn: number; bytesOut: number };
    expect(line.bytesIn).toBe(fp32Bytes.length);
    expect(line.bytesOut).toBe(readFileSync(join(dir, 'out.onnx')).length);
    const missing = cli('export', '-m', src, '--out', join(dir, 'x.onnx'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/\[E_USAGE\] required option '--dtype <dtype>' not specified/);
  });
});
