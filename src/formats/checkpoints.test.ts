// The .pt files people actually have (test/interop/make_checkpoint_fixtures.py, real PyTorch):
// checkpoints wrapping the state dict at any depth, Lightning's layout, two state dicts (model
// and EMA), the legacy (pre-1.6) layout and DEFLATE-compressed zips. Each import is run in
// onnxruntime and compared with PyTorch's logits for the same weights; hostile and damaged
// variants are refused with typed errors.
import { readFileSync } from 'node:fs';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InteropError } from './errors.js';
import { unpickleAt } from './pickle.js';
import { describeTorchObject, stateDictCandidates } from './torch-checkpoint.js';
import { readLegacyTorchFile } from './torch-legacy.js';
import { readTorchCheckpoint, readTorchFile } from './torch-pt.js';
import { readWeightsFile } from './weights-file.js';
import { readZipEntries } from './zip.js';
import { torchToClassifierModel } from '../interop/export.js';
import { fitsTwinKeys } from '../interop/torch-map.js';
import { formatReport, inspectPath } from '../inspect/index.js';
import type { ModelConfig } from '../models/config.js';
import { runCliIn } from '../../test/security/cli-process.js';
import { concat, expectOnlyInteropError, rng } from '../../test/interop/helpers.js';
import { IMPORT_FIXTURES, feedsFor, maxDiff, runModel } from '../../test/interop/import-fixtures.js';
import { op, pk, ptZip } from '../../test/interop/pickle-builder.js';

const DIR = join(IMPORT_FIXTURES, 'checkpoints');
const ref = JSON.parse(readFileSync(join(DIR, 'checkpoints.json'), 'utf8')) as {
  config: ModelConfig; ids: number[][]; lengths: number[]; keys: string[];
  logits: { model: number[]; ema: number[] }; cases: Record<string, string | null>;
};
const batch = { ids: ref.ids, lengths: ref.lengths, batch: ref.ids.length, time: ref.ids[0]!.length };
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));
const fits = (keys: readonly string[]): boolean => fitsTwinKeys(keys);
const TOL = 1e-5;

/** Our logits for a state dict, through the whole import (config from the file) and onnxruntime. */
async function logitsOf(tensors: Parameters<typeof torchToClassifierModel>[0]): Promise<Float32Array> {
  const { model } = torchToClassifierModel(tensors, { config: ref.config });
  return (await runModel(model, feedsFor(batch, 'int32'))).logits!.data as Float32Array;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InteropError);
    return `${(e as InteropError).code}: ${(e as Error).message}`;
  }
  return 'ok';
}

describe('checkpoints that wrap the state dict', () => {
  // ema.pt holds two state dicts that fit: its own test below.
  for (const [name, key] of Object.entries(ref.cases).filter(([n]) => n !== 'ema.pt')) {
    it(`${name}: the state dict at ${JSON.stringify(key)} scores as in PyTorch`, async () => {
      const w = await readWeightsFile(join(DIR, name), { fits });
      expect(w.torch).toEqual({ layout: name.startsWith('legacy') ? 'legacy' : 'zip', key });
      expect([...w.tensors.keys()].map((k) => k.replace(/^model\./, ''))).toEqual(ref.keys);
      const d = maxDiff(await logitsOf(w.tensors), Float64Array.from(ref.logits.model)).abs;
      console.log(`checkpoint ${name} (key ${key ?? '(top level)'}): logits vs PyTorch max |Δ| ${d.toExponential(2)}`);
      expect(d).toBeLessThan(TOL);
    });
  }

  it('two state dicts that fit (model and EMA): refused without --key, each chosen with it', async () => {
    const bytes = file('ema.pt');
    expect(codeOf(() => readTorchCheckpoint(bytes, { fits }))).toMatch(/^E_TORCH_KEY: torch: several state dicts fit the model: 'model' \(25 tensors\), 'ema' \(25 tensors\); choose one with --key/);
    for (const which of ['model', 'ema'] as const) {
      const c = readTorchCheckpoint(bytes, { key: which, fits });
      expect(c.key).toBe(which);
      const d = maxDiff(await logitsOf(c.tensors), Float64Array.from(ref.logits[which])).abs;
      console.log(`checkpoint ema.pt --key ${which}: logits vs PyTorch max |Δ| ${d.toExponential(2)}`);
      expect(d).toBeLessThan(TOL);
    }
    expect(codeOf(() => readTorchCheckpoint(bytes, { key: 'state_dict' }))).toMatch(/^E_TORCH_KEY: torch: no state dict \(a dict of tensors\) at key 'state_dict'; the dicts of tensors in this file: 'model' \(25 tensors\), 'ema' \(25 tensors\)$/);
  });

  it('optimizer state is set aside: never chosen, counted (not listed) in messages', () => {
    const { root } = readTorchFile(file('wrapped.pt'));
    const candidates = stateDictCandidates(root);
    expect(candidates.filter((c) => !c.optimizer).map((c) => c.key)).toEqual(['state_dict']);
    const optim = candidates.filter((c) => c.optimizer);
    expect(optim).toHaveLength(25); // Adam: {step, exp_avg, exp_avg_sq} per parameter
    expect(optim.every((c) => c.key.startsWith('optimizer.state.'))).toBe(true);
    // Without a model to fit, the one dict that is not optimizer state is the state dict.
    expect(readTorchCheckpoint(file('wrapped.pt')).key).toBe('state_dict');
    expect(codeOf(() => readTorchCheckpoint(file('wrapped.pt'), { fits: () => false })))
      .toMatch(/^E_TORCH_KEY: .*none of the dicts of tensors in the file fits the model: 'state_dict' \(25 tensors\), 25 optimizer state dict\(s\); choose one with --key/);
  });
});

describe('NumPy scalars beside the weights (np.float64 accuracies, np.int64 steps)', () => {
  it('decode as plain values, never by running anything', () => {
    const meta = describeTorchObject(readTorchFile(file('nested.pt')).root).filter((e) => e.key.startsWith('meta.'));
    expect(Object.fromEntries(meta.map((e) => [e.key, `${e.type} ${e.value ?? ''}`]))).toMatchObject({
      'meta.acc': 'float 0.8125', 'meta.loss': 'float 0.25', 'meta.steps': 'int 120', 'meta.big': 'int 1152921504606846977', 'meta.done': 'bool true',
    });
  });

  it('refuses object dtypes and encodings other than latin-1 (E_PICKLE)', () => {
    const wrap = (...inner: Parameters<typeof pk>) => ptZip(pk(op.proto, op.emptyDict, op.str('x'), ...inner, op.setitem, op.stop));
    const dtype = (code: string): Parameters<typeof pk> => [op.global('numpy', 'dtype'), op.str(code), op.false, [0x88], [0x87], op.reduce];
    expect(codeOf(() => readTorchFile(wrap(...dtype('O8'))))).toMatch(/^E_PICKLE: pickle: numpy\.dtype\("O8"\) is not a fixed-width bool, int or float type/);
    expect(codeOf(() => readTorchFile(wrap(op.global('_codecs', 'encode'), op.str('abc'), op.str('utf8'), [0x86], op.reduce))))
      .toMatch(/^E_PICKLE: pickle: _codecs\.encode\(str, 'latin1'\) expected, found \(str, str\)/);
    expect(codeOf(() => readTorchFile(wrap(op.global('numpy', 'load'), op.str('x.npy'), op.tuple1, op.reduce)))).toMatch(/^E_PICKLE: pickle: refusing global 'numpy\.load'/);
  });
});

describe('import-torch and inspect on checkpoints, as a user runs them', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'hwy-ckpt-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('import-torch says which key it used; --key chooses; inspect describes the wrapper and a legacy file', async () => {
    const [wrapped, ema, emaKey, inspectWrapped, inspectLegacy] = await Promise.all([
      runCliIn(cwd, ['import-torch', '--weights', join(DIR, 'legacy-wrapped.pt'), '--out', 'w.onnx']),
      runCliIn(cwd, ['import-torch', '--weights', join(DIR, 'ema.pt'), '--out', 'e.onnx']),
      runCliIn(cwd, ['import-torch', '--weights', join(DIR, 'ema.pt'), '--key', 'ema', '--out', 'e.onnx']),
      runCliIn(cwd, ['inspect', join(DIR, 'wrapped.pt')]),
      runCliIn(cwd, ['inspect', '--json', join(DIR, 'legacy.pt')]),
    ]);
    expect(wrapped.code, wrapped.stderr).toBe(0);
    expect(JSON.parse(wrapped.stdout)).toMatchObject({ from: 'pt', layout: 'legacy', key: 'state_dict', kind: 'highway', layers: 2, classes: 3, labels: ['class0', 'class1', 'class2'] });
    // No --config: the class names are the default ones, and it says so.
    expect(wrapped.stderr.trim()).toBe('highway-onnx: note: no labels given (a --config with "labels"), so the 3 classes are named class0, class1, class2');
    expect(ema.code).toBe(1);
    expect(ema.stderr.trim()).toBe("highway-onnx: [E_TORCH_KEY] torch: several state dicts fit the model: 'model' (25 tensors), 'ema' (25 tensors); choose one with --key (API: key)");
    expect(emaKey.code, emaKey.stderr).toBe(0);
    expect(JSON.parse(emaKey.stdout)).toMatchObject({ key: 'ema' });
    expect(inspectWrapped.code, inspectWrapped.stderr).toBe(0);
    for (const line of [
      /format {6}pt \(torch\.save zip\), 34,041 bytes, 25 tensor\(s\), 719 values/,
      /state dict {2}key 'state_dict', listed below \(--key chooses; dicts of tensors: 'state_dict' \(25\), 25 of optimizer state, ignored\)/,
      /^ {4}epoch: int = 7$/m, /^ {4}optimizer: dict \(2 entries, 75 tensor\(s\)\)$/m, /^ {4}best_acc: float = 0\.8125$/m,
      /^ {4}args: argparse\.Namespace \(4 entries\)$/m, /^ {6}data: str = "data\/sst"$/m, /^ {4}embedding\.weight F32 \[16, 5\]$/m,
    ]) expect(inspectWrapped.stdout).toMatch(line);
    expect(inspectLegacy.code, inspectLegacy.stderr).toBe(0);
    const legacy = JSON.parse(inspectLegacy.stdout);
    expect(legacy).toMatchObject({ kind: 'weights', format: 'pt', elements: 719, torch: { layout: 'legacy', key: null, structure: [], problem: null } });
    expect(legacy.tensors).toHaveLength(25);
  }, 120_000);

  it('inspect on a file where two state dicts fit: says none was chosen, and does not count zero tensors', async () => {
    const text = formatReport(await inspectPath(join(DIR, 'ema.pt')));
    expect(text).toMatch(/format {6}pt \(torch\.save zip\), [\d,]+ bytes, tensors not listed \(no state dict chosen, see below\)/);
    expect(text).toMatch(/state dict +NONE LISTED: .*'model' \(25 tensors\), 'ema' \(25 tensors\)/);
    expect(text).not.toMatch(/0 tensor\(s\)/);
  });

  it('inspect knows a legacy file by its content whatever its name (not "not a valid ONNX model")', async () => {
    const path = join(cwd, 'old-checkpoint.bin');
    copyFileSync(join(DIR, 'legacy-wrapped.pt'), path);
    const r = await inspectPath(path);
    expect(r).toMatchObject({ kind: 'weights', format: 'pt', torch: { layout: 'legacy', key: 'state_dict', problem: null } });
    expect(formatReport(r)).toMatch(/format {6}pt \(legacy torch\.save, before 1\.6\), [\d,]+ bytes, 25 tensor\(s\), 719 values/);
  });
});

/** The byte offsets where each of a legacy file's five pickles ends. */
function legacyPickleEnds(bytes: Uint8Array): number[] {
  const ends: number[] = [];
  let pos = 0;
  const lenient = {
    findGlobal: (module: string, name: string) => ({ module, name, call: () => new Map(), newObj: () => new Map() }),
    persistentLoad: () => null, build: (o: unknown) => o,
  };
  for (let i = 0; i < 5; i++) {
    pos = unpickleAt(bytes, pos, lenient).end;
    ends.push(pos);
  }
  return ends;
}

describe('legacy torch.save: hostile and damaged files', () => {
  const legacy = file('legacy.pt');
  const ends = legacyPickleEnds(legacy);

  it('refuses arbitrary globals in the object pickle and in the header pickles (E_PICKLE)', () => {
    const evil = pk(op.proto, op.global('os', 'system'), op.str('echo pwned'), op.tuple1, op.reduce, op.stop);
    const emptyKeys = pk(op.proto, op.emptyList, op.stop);
    const inObject = concat([legacy.subarray(0, ends[2]), evil, emptyKeys]);
    expect(codeOf(() => readTorchFile(inObject))).toMatch(/^E_PICKLE: pickle: refusing global 'os\.system': not on the allow-list/);
    // The header pickles may hold plain values only: even torch's own globals are refused there.
    const inSysInfo = concat([legacy.subarray(0, ends[1]), pk(op.proto, op.global('torch', 'FloatStorage'), op.stop), legacy.subarray(ends[2])]);
    expect(codeOf(() => readTorchFile(inSysInfo))).toMatch(/^E_PICKLE: pickle: refusing global 'torch\.FloatStorage'/);
  });

  it('refuses a wrong magic number, a wrong protocol version and trailing bytes (E_TORCH)', () => {
    const wrongMagic = concat([pk(op.proto, op.int(7), op.stop), legacy.subarray(ends[0])]);
    expect(codeOf(() => readTorchFile(wrongMagic))).toMatch(/^E_TORCH: torch: expected a PyTorch zip archive starting with 'PK' or a legacy torch\.save file \(a pickled magic number\), found bytes 80 02 4a 07/);
    expect(codeOf(() => readLegacyTorchFile(wrongMagic))).toMatch(/^E_TORCH: torch: expected the legacy torch\.save magic number 0x1950a86a20f9469cfc6c as the first pickle, found int 7/);
    const wrongVersion = concat([legacy.subarray(0, ends[0]), pk(op.proto, op.int(1000), op.stop), legacy.subarray(ends[1])]);
    expect(codeOf(() => readTorchFile(wrongVersion))).toMatch(/^E_TORCH: torch: expected legacy torch\.save protocol version 1001, found int 1000/);
    expect(codeOf(() => readTorchFile(concat([legacy, new Uint8Array([0])])))).toMatch(/^E_TORCH: torch: 1 unexpected bytes after the last storage/);
  });

  it('refuses an element count that disagrees with the declaration, and one that claims gigabytes', () => {
    const bad = legacy.slice();
    const dv = new DataView(bad.buffer);
    dv.setBigUint64(ends[4]!, 2n ** 40n, true); // the first storage's element count
    expect(codeOf(() => readTorchFile(bad))).toMatch(/^E_TORCH: torch: storage '\d+' \(F32\) was declared with \d+ elements but its data says 1099511627776/);
  });

  it('truncated anywhere: a typed error, never a crash or a partial result', () => {
    const cuts = new Set<number>([0, 1, 2, 5, 13, 14, ...ends.map((e) => e - 1), ...ends, legacy.length - 1]);
    for (let c = 0; c < legacy.length; c += 97) cuts.add(c);
    for (const c of cuts) {
      if (c >= legacy.length) continue;
      expect(codeOf(() => readTorchFile(legacy.subarray(0, c))), `cut at ${c}`).toMatch(/^E_(TORCH|PICKLE|FORMAT)/);
    }
  });

  it('random byte flips: a result or a typed error (InteropError), nothing else', () => {
    const r = rng(11);
    let errors = 0;
    for (let i = 0; i < 300; i++) {
      const b = legacy.slice();
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      if (expectOnlyInteropError(() => readTorchCheckpoint(b), `flip ${i}`) === 'error') errors++;
    }
    expect(errors).toBeGreaterThan(0);
  });
});

/** A one-entry zip whose entry is DEFLATE-compressed, declaring `declared` bytes inflated. */
function deflateZip(name: string, data: Uint8Array, declared = data.length, crc?: number): Uint8Array {
  const deflated = new Uint8Array(deflateRawSync(data));
  const n = new TextEncoder().encode(name);
  const sum = crc ?? crc32Of(data);
  const local = new Uint8Array(30 + n.length);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(8, 8, true);
  lv.setUint32(14, sum, true);
  lv.setUint32(18, deflated.length, true);
  lv.setUint32(22, declared, true);
  lv.setUint16(26, n.length, true);
  local.set(n, 30);
  const central = new Uint8Array(46 + n.length);
  const cv = new DataView(central.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(10, 8, true);
  cv.setUint32(16, sum, true);
  cv.setUint32(20, deflated.length, true);
  cv.setUint32(24, declared, true);
  cv.setUint16(28, n.length, true);
  central.set(n, 46);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, central.length, true);
  ev.setUint32(16, local.length + deflated.length, true);
  return concat([local, deflated, central, eocd]);
}

const crc32Of = (data: Uint8Array): number => crc32(data); // Node's zlib, independent of ours

describe('DEFLATE zip entries', () => {
  it('a re-zipped checkpoint reads as the stored one, byte for byte', () => {
    const stored = readTorchCheckpoint(file('wrapped.pt'));
    const deflated = readTorchCheckpoint(file('deflated.pt'));
    expect([...deflated.tensors.keys()]).toEqual([...stored.tensors.keys()]);
    for (const [k, t] of stored.tensors) expect(deflated.tensors.get(k)!.data, k).toEqual(t.data);
  });

  it('zip bombs: a size DEFLATE cannot reach, sizes over the limit, a stream longer than declared', () => {
    const zeros = new Uint8Array(1 << 20); // 1 MiB of zeros deflate to about 1 KiB
    expect(readZipEntries(deflateZip('z', zeros)).get('z')!.length).toBe(zeros.length);
    const lie = deflateZip('z', new Uint8Array(100), 2 ** 31 - 2);
    expect(codeOf(() => readZipEntries(lie))).toMatch(/^E_ZIP: zip: entry 'z' claims to inflate \d+ bytes to 2147483646, more than DEFLATE's 1032:1 maximum/);
    expect(codeOf(() => readZipEntries(deflateZip('z', zeros), { maxInflatedBytes: 1 << 19 }))).toMatch(/^E_ZIP: zip: entries inflate to more than 524288 bytes in all \(at 'z', declared 1048576 bytes\)/);
    expect(codeOf(() => readZipEntries(deflateZip('z', zeros, 1000)))).toMatch(/^E_ZIP: zip: entry 'z' inflates to more than its declared 1000 bytes/);
    expect(codeOf(() => readZipEntries(deflateZip('z', zeros, zeros.length + 5)))).toMatch(/^E_ZIP: zip: entry 'z' inflates to 1048576 bytes, not its declared 1048581/);
    expect(codeOf(() => readZipEntries(deflateZip('z', zeros, zeros.length, 1234)))).toMatch(/^E_ZIP: zip: entry 'z' fails its CRC-32 check/);
  });
});
