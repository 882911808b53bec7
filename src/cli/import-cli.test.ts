// The interchange commands end to end, as a user runs them:
//   PyTorch twin weights → import-torch → import-onnx → finetune (one SGD step) → export-torch
//   → PyTorch: the weights land where torch.optim.SGD put them, and the twin, loaded with them,
//   scores as our fine-tuned model does (live, with Debian's python3-torch, as in CI).
//   torch.onnx.export model → import-onnx → finetune → model.onnx (same names) = PyTorch's step.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportTorchCommand, finetuneCommand, importOnnxCommand, importTorchCommand, readVocabFile } from './interop.js';
import { readWeightsFile } from '../formats/weights-file.js';
import type { ImportRunInfo } from '../train/finetune/index.js';
import { paramSpecs } from '../models/init.js';
import { decodeModel } from '../onnx/proto.js';
import { spawnSync } from 'node:child_process';
import {
  dataFolder, feedsFor, IMPORT_FIXTURES, PYTHON, ROOT, loadOnnx, loadTwin, maxDiff, refArray, runModel, twinLogits,
} from '../../test/interop/import-fixtures.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const TOL = 1e-5;
let dir: string;
const vocabPath = join(IMPORT_FIXTURES, 'vocab.json');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hwy-interop-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const exportedForTwin: { name: string; weights: string; batch: string; ours: Float32Array }[] = [];
const FINETUNE = { optimizer: 'sgd' as const, clip: 0, epochs: 1, seed: 1, device: 'cpu' as const };

describe('PyTorch → toolkit → fine-tune → PyTorch', () => {
  for (const name of ['highway-1-projection', 'highway-2-zero-pad', 'plain-2']) {
    it(`${name}: import-torch, import-onnx, finetune (1 SGD step), export-torch`, async () => {
      const f = loadTwin(name);
      const vocab = await readVocabFile(vocabPath);
      const work = join(dir, name);
      const model = join(work, 'model.onnx');
      await importTorchCommand({ weights: f.weightsFile, config: JSON.stringify(f.config), vocab: vocabPath, out: model, opset: 17 });

      const run = join(work, 'run');
      await importOnnxCommand({ model, out: run });
      const info = JSON.parse(readFileSync(join(run, 'import.json'), 'utf8')) as ImportRunInfo;
      expect(info.binding).toEqual({ idsInput: 'ids', idsDType: 'int64', lengthsInput: 'lengths', lengthsDType: 'int32', timeMajor: false });
      expect(info.logitsOutput).toBe('logits');
      expect(info.params.map((p) => p.name)).toEqual(paramSpecs(f.config).map((s) => s.name));
      expect(info.vocab).toEqual(vocab);
      for (const file of ['source.onnx', 'train_step.onnx', 'model.onnx', 'checkpoint.safetensors']) expect(existsSync(join(run, file)), file).toBe(true);

      const data = dataFolder(dir, name, f.ids, f.lengths, f.labels, vocab);
      await finetuneCommand({ ...FINETUNE, init: run, data, lr: f.lr, batch: f.batch });
      const tuned = join(run, 'model.onnx');
      const tunedModel = decodeModel(new Uint8Array(readFileSync(tuned)));
      expect(tunedModel.graph!.input!.map((i) => i.name)).toEqual(['ids', 'lengths']);
      expect(tunedModel.graph!.output!.map((o) => o.name)).toEqual(f.config.kind === 'highway' ? ['logits', 'probs', 'gates'] : ['logits', 'probs']);

      const weights = join(work, 'tuned.safetensors');
      await exportTorchCommand({ model: tuned, out: weights });
      const exported = (await readWeightsFile(weights)).tensors;
      expect([...exported.keys()].sort()).toEqual([...f.keys].sort());
      let worstW = 0;
      for (const k of f.keys) {
        const d = maxDiff(exported.get(k)!.data as Float32Array, refArray(f.ref, `after/${k}`));
        worstW = Math.max(worstW, d.abs);
        expect(d.abs, k).toBeLessThan(TOL);
      }
      const ours = (await runModel(tunedModel, feedsFor(f, 'int32'))).logits!.data as Float32Array;
      const vsRef = maxDiff(ours, refArray(f.ref, 'after_logits')).abs;
      const batch = join(work, 'batch.json');
      writeFileSync(batch, JSON.stringify({ ids: f.ids, lengths: f.lengths }));
      exportedForTwin.push({ name, weights, batch, ours });
      console.log(`round trip ${name}: weights after our SGD step vs torch.optim.SGD max |Δ| ${worstW.toExponential(2)}; logits vs PyTorch's stepped model ${vsRef.toExponential(2)}`);
      expect(vsRef).toBeLessThan(TOL);
    }, 60_000);
  }

  // Live: Debian's python3-torch (CI has it) loads each exported file into the twin with
  // load_state_dict(strict=True). Without torch this test fails, naming the package to install.
  it('the twin, loaded with the exported weights, scores as our fine-tuned models do (live PyTorch)', () => {
    expect(exportedForTwin.length).toBe(3);
    const logits = twinLogits(exportedForTwin.map((e) => [e.weights, e.batch]));
    exportedForTwin.forEach((e, i) => {
      const d = maxDiff(e.ours, logits[i]!).abs;
      console.log(`export-torch ${e.name}: twin (PyTorch, live) on the exported weights vs our model max |Δlogits| ${d.toExponential(2)}`);
      expect(d, e.name).toBeLessThan(TOL);
    });
  }, 120_000);

  it('import-torch without --config infers it; a wrong config is refused naming expected vs found', async () => {
    const f = loadTwin('plain-3');
    const out = join(dir, 'inferred.onnx');
    await importTorchCommand({ weights: f.weightsFile, out, opset: 17 });
    const logits = (await runModel(decodeModel(new Uint8Array(readFileSync(out))), feedsFor(f, 'int32'))).logits!.data as Float32Array;
    expect(maxDiff(logits, refArray(f.ref, 'logits')).abs).toBeLessThan(TOL);
    await expect(importTorchCommand({ weights: f.weightsFile, config: '{"layers": 2}', out, opset: 17 }))
      .rejects.toThrow(/unexpected key 'layer3\.bilstm\.weight_ih_l0' \[12, 6\][\s\S]*the weights look like a config with: layers 2 → 3/);
  });
});

describe('torch.onnx.export model → import-onnx → finetune → drop-in model', () => {
  it('bilstm2-packed (ids + lengths, logits + probs): the fine-tuned model.onnx scores as PyTorch after its SGD step', async () => {
    const f = loadOnnx('bilstm2-packed');
    const vocab = await readVocabFile(vocabPath);
    const run = join(dir, 'packed');
    await importOnnxCommand({ model: f.path, out: run, vocab: vocabPath });
    const info = JSON.parse(readFileSync(join(run, 'import.json'), 'utf8')) as ImportRunInfo;
    expect(info.binding).toMatchObject({ idsInput: 'ids', lengthsInput: 'lengths', lengthsDType: 'int64' });
    expect(info.opset).toBe(17);
    expect(info.ops.LSTM).toBe(2);
    const data = dataFolder(dir, 'packed', f.ids, f.lengths, f.labels, vocab);
    await finetuneCommand({ ...FINETUNE, init: run, data, lr: f.lr, batch: f.batch, out: join(run, 'tuned') });
    const tuned = decodeModel(new Uint8Array(readFileSync(join(run, 'tuned', 'model.onnx'))));
    expect(tuned.graph!.input!.map((i) => i.name)).toEqual(['ids', 'lengths']);
    expect(tuned.graph!.output!.map((o) => o.name)).toEqual(['logits', 'probs']);
    expect(Number(String(tuned.opsetImport![0]!.version))).toBe(17);
    const out = await runModel(tuned, feedsFor(f, 'int64'));
    const d = maxDiff(out.logits!.data as Float32Array, refArray(f.ref, 'after_logits')).abs;
    console.log(`import-onnx → finetune bilstm2-packed: logits vs PyTorch after one SGD step max |Δ| ${d.toExponential(2)}`);
    expect(d).toBeLessThan(TOL);
  }, 60_000);

  it('finetune without a vocabulary says how to give one', async () => {
    const f = loadOnnx('bilstm2-max');
    const run = join(dir, 'novocab');
    await importOnnxCommand({ model: f.path, out: run });
    const data = dataFolder(dir, 'novocab', f.ids, f.lengths, f.labels, await readVocabFile(vocabPath));
    await expect(finetuneCommand({ ...FINETUNE, init: run, data, lr: 0.1, batch: 4 })).rejects.toThrow(/no vocabulary: pass --vocab/);
  });

  it('every file written passes onnx.checker (full_check, Debian python3-onnx)', () => {
    const files = [
      join(dir, 'highway-2-zero-pad', 'model.onnx'), // import-torch
      join(dir, 'highway-2-zero-pad', 'run', 'train_step.onnx'), // import-onnx: the derived step
      join(dir, 'highway-2-zero-pad', 'run', 'model.onnx'), // finetune: the fine-tuned model
      join(dir, 'packed', 'train_step.onnx'),
      join(dir, 'packed', 'tuned', 'model.onnx'),
    ];
    for (const f of files) expect(existsSync(f), f).toBe(true);
    requireSystemDependency('python3-onnx');
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts', 'check_onnx.py'), ...files], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 120_000);

  it('the commands are registered on the highway-onnx program', async () => {
    const { makeProgram } = await import('./main.js');
    const names = makeProgram().commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['import-torch', 'export-torch', 'export-text', 'import-onnx', 'finetune']));
  });

  it('readVocabFile takes a JSON array, a {token: id} object, or one token per line', async () => {
    const a = join(dir, 'v.json');
    const b = join(dir, 'v2.json');
    const c = join(dir, 'v.txt');
    writeFileSync(a, JSON.stringify(['<pad>', '<unk>', 'x']));
    writeFileSync(b, JSON.stringify({ x: 2, '<pad>': 0, '<unk>': 1 }));
    writeFileSync(c, '<pad>\n<unk>\nx\n');
    for (const p of [a, b, c]) expect(await readVocabFile(p)).toEqual(['<pad>', '<unk>', 'x']);
    writeFileSync(b, JSON.stringify({ x: 2, y: 2 }));
    await expect(readVocabFile(b)).rejects.toThrow(/ids must be 0…1, each once/);
  });
});
