// Every model and tensor of ONNX's conformance data survives our decode/encode, and every
// re-encoded model that onnxruntime can run reproduces the expected outputs.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor, encodeModel, modelToObject, type ModelProto } from './proto.js';
import { OnnxFormatError } from './errors.js';
import { tensorFromProto, tensorToProto, type Tensor } from './tensor.js';
import {
  DATA_ROOT,
  checkAgainstExpected,
  dataSetDirs,
  hasConformanceData, requireConformanceData,
  listAllModelDirs,
  loadCase,
  pbFiles,
  runtimeInputs,
  unsupportedReason,
} from '../../test/helpers/conformance.js';

interface KnownFailure {
  reason: string;
  /** The op draws unseeded random numbers: it may match by chance. */
  random?: boolean;
  /** A host facility without which onnxruntime fails ('locale:<name>'). */
  requires?: string;
}
const KNOWN = (JSON.parse(readFileSync(new URL('../../test/onnx/ort-known-failures.json', import.meta.url), 'utf8')) as { failures: Record<string, KnownFailure> }).failures;

const counts = {
  modelsDecoded: 0,
  modelsReencoded: 0,
  modelsByteIdentical: 0,
  tensorFiles: 0,
  tensorsConverted: 0,
  tensorsRawData: 0,
  tensorsTypedFields: 0,
  tensorsUnsupportedDType: 0,
  nonTensorValues: 0,
  modelsRun: 0,
  modelsPassing: 0,
  knownOrtFailures: 0,
  unsupportedCases: 0,
};

const keyOf = (dir: string): string => dir.slice(DATA_ROOT.length + 1);

function hasLocale(name: string): boolean {
  try {
    const norm = (s: string): string => s.toLowerCase().replace(/[-_.]/g, '');
    return execFileSync('locale', ['-a'], { encoding: 'utf8' }).split('\n').some((l) => norm(l) === norm(name));
  } catch {
    return false;
  }
}

/** Whether a listed case must fail here: null when either outcome is accepted. */
function mustFail(k: KnownFailure): boolean | null {
  if (k.random) return null;
  if (k.requires?.startsWith('locale:')) return !hasLocale(k.requires.slice('locale:'.length));
  return true;
}

function sameValues(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.dims.join() !== b.dims.join()) return false;
  if (a.dtype === 'string') return isDeepStrictEqual(a.data, b.data);
  // Byte equality: NaN payloads and -0 included.
  const bytes = (t: Tensor): Uint8Array => {
    const d = t.data as Exclude<Tensor['data'], string[]>;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  };
  return Buffer.compare(bytes(a), bytes(b)) === 0;
}

describe('ONNX conformance data (libonnx-testdata) round trip', () => {
  requireConformanceData();
  const dirs = listAllModelDirs();
  const models = new Map<string, ModelProto>();

  afterAll(() => {
    console.log(`conformance round trip: ${JSON.stringify(counts)}`);
  });

  it('every model.onnx decodes, re-encodes and decodes again to the same message', () => {
    const mismatched: string[] = [];
    const notIdempotent: string[] = [];
    for (const dir of dirs) {
      const bytes = new Uint8Array(readFileSync(`${dir}/model.onnx`));
      const model = decodeModel(bytes);
      counts.modelsDecoded++;
      models.set(dir, model);
      const again = encodeModel(model);
      const decoded = decodeModel(again);
      counts.modelsReencoded++;
      if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) === 0) counts.modelsByteIdentical++;
      if (!isDeepStrictEqual(modelToObject(decoded), modelToObject(model))) mismatched.push(keyOf(dir));
      if (Buffer.compare(Buffer.from(encodeModel(decoded)), Buffer.from(again)) !== 0) notIdempotent.push(keyOf(dir));
    }
    expect(mismatched).toEqual([]);
    expect(notIdempotent).toEqual([]);
    expect(counts.modelsDecoded).toBe(dirs.length);
    expect(dirs.length).toBeGreaterThan(900);
  });

  it('every input/output TensorProto of a supported dtype converts to a Tensor and back', () => {
    const wrong: string[] = [];
    for (const dir of dirs) {
      const model = models.get(dir) ?? decodeModel(readFileSync(`${dir}/model.onnx`));
      for (const set of dataSetDirs(dir)) {
        const groups = [
          [pbFiles(set, 'input'), runtimeInputs(model)],
          [pbFiles(set, 'output'), model.graph?.output ?? []],
        ] as const;
        for (const [files, infos] of groups) {
          files.forEach((file, i) => {
            counts.tensorFiles++;
            // Sequence/optional values are stored as SequenceProto/OptionalProto, not TensorProto.
            if (!infos[i]?.type?.tensorType) return void counts.nonTensorValues++;
            const proto = decodeTensor(readFileSync(file));
            let t: Tensor;
            try {
              t = tensorFromProto(proto);
            } catch (e) {
              if (e instanceof OnnxFormatError && /unsupported tensor element type/.test(e.message)) return void counts.tensorsUnsupportedDType++;
              throw e;
            }
            counts.tensorsConverted++;
            const raw = proto.rawData && proto.rawData.length > 0;
            if (raw) counts.tensorsRawData++;
            else counts.tensorsTypedFields++;
            const back = tensorToProto(t, proto.name ?? '');
            // Numeric tensors are written as raw_data: the exact bytes of a raw original.
            if (raw && Buffer.compare(Buffer.from(back.rawData!), Buffer.from(proto.rawData!)) !== 0) wrong.push(`${file}: raw_data bytes differ`);
            if (!sameValues(tensorFromProto(back), t)) wrong.push(`${file}: values differ after the round trip`);
          });
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(counts.tensorsConverted).toBeGreaterThan(2500);
  });

  it('re-encoded models reproduce the expected outputs in onnxruntime; the known onnxruntime failures are listed exactly', async () => {
    const ourFault: string[] = [];
    const unlisted: string[] = [];
    const nowPassing: string[] = [];
    for (const dir of dirs) {
      const key = keyOf(dir);
      const model = models.get(dir) ?? decodeModel(readFileSync(`${dir}/model.onnx`));
      // Every test whose values are tensors of the dtypes Tensor holds (sequences, float16, uint8… are not).
      if (unsupportedReason(model)) {
        counts.unsupportedCases++;
        continue;
      }
      const c = loadCase(dir);
      const reencoded = encodeModel(decodeModel(c.modelBytes));
      counts.modelsRun++;
      const problems = await checkAgainstExpected(reencoded, c);
      const listed = KNOWN[key];
      if (problems.length === 0) {
        counts.modelsPassing++;
        if (listed && mustFail(listed) === true) nowPassing.push(`${key}: listed (${listed.reason}) but passes now`);
        continue;
      }
      if (listed?.random) {
        // Unseeded random numbers: neither outcome says anything about our bytes.
        counts.knownOrtFailures++;
        continue;
      }
      // Judge the failure by the original bytes: if they fail too (the same way), it is onnxruntime's.
      const original = await checkAgainstExpected(c.modelBytes, c);
      if (original.length === 0 || !isDeepStrictEqual(original, problems)) {
        ourFault.push(`${key}: re-encoded: ${problems.join('; ')} | original: ${original.join('; ') || 'passes'}`);
      } else if (!listed) unlisted.push(`${key}: ${original.join('; ')}`);
      else if (mustFail(listed) === false) nowPassing.push(`${key}: expected to pass on this host (${listed.requires}) but fails`);
      else counts.knownOrtFailures++;
    }
    expect(ourFault, 'our re-encoding changed the result').toEqual([]);
    expect(unlisted, 'onnxruntime failures missing from ort-known-failures.json').toEqual([]);
    expect(nowPassing, 'ort-known-failures.json lists cases that pass: remove them').toEqual([]);
    const stale = Object.keys(KNOWN).filter((k) => !dirs.some((d) => keyOf(d) === k));
    expect(stale, 'ort-known-failures.json names cases that do not exist').toEqual([]);
    expect(counts.modelsRun).toBeGreaterThanOrEqual(150);
  }, 120_000);
});
