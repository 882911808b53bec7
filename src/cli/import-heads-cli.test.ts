// import-onnx → finetune on torch exports at batch sizes other than the export's (issue 11):
// the project's bilstm2-packed fixture (zero LSTM state torch fixed at batch 4), h0/c0 as
// model inputs (fed zeros), a vocabulary longer than the embedding table (refused at import,
// one line from the real CLI process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { finetuneCommand, importOnnxCommand, readVocabFile } from './interop.js';
import type { ImportRunInfo } from '../train/finetune/index.js';
import { decodeModel, type ModelProto } from '../onnx/proto.js';
import { tensorFromProto } from '../onnx/tensor.js';
import { dataFolder, IMPORT_FIXTURES, loadOnnx, maxDiff, ROOT, runModel } from '../../test/interop/import-fixtures.js';

const FINETUNE = { optimizer: 'sgd' as const, clip: 0, epochs: 1, seed: 1, device: 'cpu' as const };
const vocabPath = join(IMPORT_FIXTURES, 'vocab.json');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hwy-heads-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const int64 = (xs: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(xs, (v) => BigInt(v)), dims);
const initializer = (m: ModelProto, name: string): Float32Array => tensorFromProto(m.graph!.initializer!.find((t) => t.name === name)!).data as Float32Array;

describe('import-onnx → finetune at batch sizes other than the export\'s', () => {
  it('bilstm2-packed (exported at batch 4): finetune --batch 2 runs, and the tuned model answers batches of 1, 4 and 8 alike', async () => {
    const f = loadOnnx('bilstm2-packed');
    const vocab = await readVocabFile(vocabPath);
    const run = join(dir, 'packed');
    await importOnnxCommand({ model: f.path, out: run, vocab: vocabPath });
    const info = JSON.parse(readFileSync(join(run, 'import.json'), 'utf8')) as ImportRunInfo;
    expect(info.notes).toHaveLength(4); // 2 LSTMs × (initial_h, initial_c)
    expect(info.notes![0]).toMatch(/zeros \[2, 4, 3\] built for the export batch 4/);
    expect(info.embedding).toEqual({ table: 'emb.weight', rows: 16 });
    const data = dataFolder(dir, 'packed', f.ids, f.lengths, f.labels, vocab);
    await finetuneCommand({ ...FINETUNE, init: run, data, lr: f.lr, batch: 2, out: join(run, 'tuned') });
    const tuned = decodeModel(new Uint8Array(readFileSync(join(run, 'tuned', 'model.onnx'))));
    const T = f.time;
    const all = await runModel(tuned, { ids: int64(f.ids.flat(), [4, T]), lengths: int64(f.lengths, [4]) });
    const ref = all.logits!.data as Float32Array;
    const rows = [...f.ids, ...f.ids];
    const eight = await runModel(tuned, { ids: int64(rows.flat(), [8, T]), lengths: int64([...f.lengths, ...f.lengths], [8]) });
    expect(maxDiff(eight.logits!.data as Float32Array, Float64Array.from([...ref, ...ref])).abs).toBeLessThan(1e-6);
    for (let b = 0; b < 4; b++) {
      const one = await runModel(tuned, { ids: int64(f.ids[b]!, [1, T]), lengths: int64([f.lengths[b]!], [1]) });
      expect(maxDiff(one.logits!.data as Float32Array, Float64Array.from(ref.slice(b * 3, b * 3 + 3))).abs).toBeLessThan(1e-6);
    }
  }, 60_000);

  it('h0-input: import-onnx feeds zeros to h0/c0; one SGD step moves the head as torch.optim.SGD would; the tuned model keeps h0, c0', async () => {
    const meta = JSON.parse(readFileSync(join(IMPORT_FIXTURES, 'heads', 'h0-input.json'), 'utf8')) as { batches: { ids: number[][]; lengths: number[]; labels: number[]; grads: Record<string, number[]> }[] };
    const model = join(IMPORT_FIXTURES, 'heads', 'h0-input.onnx');
    const source = decodeModel(new Uint8Array(readFileSync(model)));
    const vocab = await readVocabFile(vocabPath);
    const run = join(dir, 'h0');
    await importOnnxCommand({ model, out: run, vocab: vocabPath });
    const info = JSON.parse(readFileSync(join(run, 'import.json'), 'utf8')) as ImportRunInfo;
    expect(info.binding.zeroStates).toEqual([{ name: 'h0', dims: [2, 3] }, { name: 'c0', dims: [2, 3] }]);
    const b = meta.batches[1]!; // batch 5: the export's was 3
    expect(b.ids.length).toBe(5);
    const lr = 0.5;
    await finetuneCommand({ ...FINETUNE, init: run, data: dataFolder(dir, 'h0', b.ids, b.lengths, b.labels, vocab), lr, batch: 8, out: join(run, 'tuned') });
    const tuned = decodeModel(new Uint8Array(readFileSync(join(run, 'tuned', 'model.onnx'))));
    expect(tuned.graph!.input!.map((i) => i.name)).toEqual(['ids', 'h0', 'c0']);
    let worst = 0;
    for (const key of ['fc.weight', 'fc.bias', 'emb.weight']) {
      const before = initializer(source, key);
      const want = Float64Array.from(before, (w, i) => w - lr * b.grads[key]![i]!);
      worst = Math.max(worst, maxDiff(initializer(tuned, key), want).abs);
    }
    console.log(`finetune h0-input at batch 5 (exported at 3): head and embedding after one SGD step vs PyTorch's gradients max |Δ| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
  }, 60_000);

  it('pad-read (Embedding(padding_idx=0), the LSTM reads padding): after finetune the pad row is still zero and the table is where torch.optim.SGD put it', async () => {
    const meta = JSON.parse(readFileSync(join(IMPORT_FIXTURES, 'heads', 'pad-read.json'), 'utf8')) as { batches: { ids: number[][]; lengths: number[]; labels: number[]; grads: Record<string, number[]> }[] };
    const model = join(IMPORT_FIXTURES, 'heads', 'pad-read.onnx');
    const source = decodeModel(new Uint8Array(readFileSync(model)));
    const vocab = await readVocabFile(vocabPath);
    const run = join(dir, 'pad');
    await importOnnxCommand({ model, out: run, vocab: vocabPath });
    const b = meta.batches[1]!; // batch 5 with padding
    expect(b.ids.flat()).toContain(0);
    const lr = 0.5;
    await finetuneCommand({ ...FINETUNE, init: run, data: dataFolder(dir, 'pad', b.ids, b.lengths, b.labels, vocab), lr, batch: 8, maxLen: 6, out: join(run, 'tuned') });
    const tuned = decodeModel(new Uint8Array(readFileSync(join(run, 'tuned', 'model.onnx'))));
    const table = initializer(tuned, 'emb.weight');
    expect([...table.slice(0, 5)].every((x) => x === 0)).toBe(true);
    const before = initializer(source, 'emb.weight');
    const want = Float64Array.from(before, (w, i) => w - lr * b.grads['emb.weight']![i]!);
    const d = maxDiff(table, want).abs;
    console.log(`finetune pad-read: embedding after one SGD step vs PyTorch (padding_idx=0) max |Δ| ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-6);
  }, 60_000);

  it('a vocabulary longer than the embedding table is refused by import-onnx in one line (real CLI process)', () => {
    const vocab = join(dir, 'long-vocab.json');
    writeFileSync(vocab, JSON.stringify([...readVocabFileSync(vocabPath), 'extra1', 'extra2']));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'import-onnx', '--model', loadOnnx('bilstm2-max').path, '--out', join(dir, 'long'), '--vocab', vocab], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).not.toBe(0);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\[E_ONNX_IMPORT\] the vocabulary has 18 tokens but the embedding table '.+' has 16 rows: ids 16…17 would fall outside it/);
  }, 120_000);
});

describe('import-onnx refuses what runs at the export batch only', () => {
  it('static-batch (exported without dynamic_axes): one line naming the failing batch and the re-export recipe (real CLI process)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'import-onnx', '--model', join(IMPORT_FIXTURES, 'heads', 'static-batch.onnx'), '--out', join(dir, 'static')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).not.toBe(0);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/\[E_ONNX_IMPORT\] the model fails at batch 1, length 2 in onnxruntime \(.*\): a model exported with a fixed batch size or length runs at that size only; re-export with dynamic axes: torch\.onnx\.export\(.*dynamic_axes=\{'ids': \{0: 'batch', 1: 'time'\}/);
  }, 120_000);
});

function readVocabFileSync(path: string): string[] {
  return JSON.parse(readFileSync(path, 'utf8')) as string[];
}
