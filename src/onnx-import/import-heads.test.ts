// The classifier heads people write (fixtures test/fixtures/import/heads/, made by
// make_heads_fixtures.py beside this file with Debian's python3-torch): imported, emitted
// again, and run at batch sizes other than the export's — logits and gradients against
// PyTorch's own numbers for each batch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildImportedGradients, exportImported } from '../train/finetune/index.js';
import { ImportError, importOnnx } from './index.js';
import { decodeModel, type ModelProto } from '../onnx/proto.js';
import { IMPORT_FIXTURES, loadOnnx, maxDiff, ONNX_CASES, refArray, runModel } from '../../test/interop/import-fixtures.js';

const HEADS = join(IMPORT_FIXTURES, 'heads');
const CASES = ['last-step', 'hn-last', 'hn-cat', 'mean-valid', 'packed-sorted', 'h0-input', 'pad-read'] as const;
const TOL = 1e-5;

interface Batch { ids: number[][]; lengths: number[]; labels: number[]; logits: number[]; grads: Record<string, number[]> }
interface HeadFixture { case: string; model: ModelProto; inputs: string[]; export_batch: number; batches: Batch[] }

function load(name: string): HeadFixture {
  const meta = JSON.parse(readFileSync(join(HEADS, `${name}.json`), 'utf8')) as Omit<HeadFixture, 'model'> & { model: string };
  return { ...meta, model: decodeModel(new Uint8Array(readFileSync(join(HEADS, meta.model)))) };
}

const int64 = (xs: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(xs, (v) => BigInt(v)), dims);

/** The model's feeds for a batch; h0/c0 inputs (shape [layers·directions, batch, hidden]) get zeros. */
function feeds(f: HeadFixture, b: Batch, model: ModelProto): Record<string, ort.Tensor> {
  const B = b.ids.length;
  const out: Record<string, ort.Tensor> = { ids: int64(b.ids.flat(), [B, b.ids[0]!.length]) };
  if (f.inputs.includes('lengths')) out.lengths = int64(b.lengths, [B]);
  for (const name of ['h0', 'c0']) {
    if (!f.inputs.includes(name)) continue;
    const dims = model.graph!.input!.find((i) => i.name === name)!.type!.tensorType!.shape!.dim!;
    const d = Number(dims[0]!.dimValue);
    const h = Number(dims[2]!.dimValue);
    out[name] = new ort.Tensor('float32', new Float32Array(d * B * h), [d, B, h]);
  }
  return out;
}

describe('heads people write, at batch sizes other than the export\'s', () => {
  for (const name of CASES) {
    it(`${name}: the re-exported model equals PyTorch at batches ${load(name).batches.map((b) => b.ids.length).join(', ')}`, async () => {
      const f = load(name);
      expect(f.batches[0]!.ids.length).toBe(f.export_batch);
      expect(f.batches.some((b) => b.ids.length !== f.export_batch)).toBe(true);
      const again = exportImported(f.model);
      let worst = 0;
      for (const b of f.batches) {
        const out = await runModel(again, feeds(f, b, again));
        expect(out.logits!.dims[0]).toBe(b.ids.length);
        const d = maxDiff(out.logits!.data as Float32Array, Float64Array.from(b.logits)).abs;
        worst = Math.max(worst, d);
      }
      console.log(`import-onnx head ${name}: logits vs PyTorch over ${f.batches.length} batch sizes max |Δ| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOL);
    });

    it(`${name}: gradients of the embedding and the head equal PyTorch's at every batch size`, async () => {
      const f = load(name);
      const g = buildImportedGradients(f.model);
      let worst = 0;
      let checked = 0;
      for (const b of f.batches) {
        const out = await runModel(g.model, { ...feeds(f, b, f.model), [g.labelsInput]: int64(b.labels, [b.labels.length]) });
        for (const [key, ref] of Object.entries(b.grads)) {
          if (!g.params.includes(key)) continue;
          worst = Math.max(worst, maxDiff(out[`${key}.grad`]!.data as Float32Array, Float64Array.from(ref)).abs);
          checked++;
        }
      }
      console.log(`import-onnx head ${name}: gradients vs PyTorch (${checked} tensors) max |Δ| ${worst.toExponential(2)}`);
      expect(checked).toBeGreaterThanOrEqual(f.batches.length * 2);
      expect(worst).toBeLessThan(TOL);
    });
  }

  for (const name of ONNX_CASES) {
    it(`onnx-${name} (exported at batch 4): re-exported, each row alone and the batch twice over (8) equal PyTorch's rows`, async () => {
      const f = loadOnnx(name);
      expect(f.batch).toBe(4);
      const again = exportImported(f.model);
      const ref = refArray(f.ref, 'logits');
      const C = f.classes;
      const run = async (rows: number[]): Promise<Float32Array> => {
        const fd: Record<string, ort.Tensor> = { ids: int64(rows.flatMap((r) => f.ids[r]!), [rows.length, f.time]) };
        if (f.inputs.includes('lengths')) fd.lengths = int64(rows.map((r) => f.lengths[r]!), [rows.length]);
        return (await runModel(again, fd)).logits!.data as Float32Array;
      };
      const want = (rows: number[]): Float64Array => Float64Array.from(rows.flatMap((r) => [...ref.slice(r * C, r * C + C)]));
      let worst = 0;
      for (const rows of [[0], [1], [2], [3], [3, 1], [0, 1, 2, 3, 3, 2, 1, 0]]) worst = Math.max(worst, maxDiff(await run(rows), want(rows)).abs);
      console.log(`import-onnx ${name} at batches 1, 2, 8: logits vs PyTorch max |Δ| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOL);
    });
  }

  it('mean-valid and packed-sorted: the zero LSTM state torch wrote for the export batch is read as the default one, and said so', () => {
    for (const name of ['mean-valid', 'packed-sorted']) {
      const f = load(name);
      const lstm = f.model.graph!.node!.filter((n) => n.opType === 'LSTM');
      expect(lstm.every((n) => (n.input ?? [])[5])).toBe(true); // the export gives each LSTM an initial_h
      const imp = importOnnx(f.model);
      expect(imp.notes.length, name).toBe(2 * lstm.length);
      expect(imp.notes[0]).toMatch(/initial_h is zeros \[2, 3, 3\] built for the export batch 3; read as the LSTM's default zero state/);
      expect(imp.graph.nodes.filter((n) => n.opType === 'LSTM').every((n) => !n.inputs[5] && !n.inputs[6])).toBe(true);
    }
    expect(importOnnx(load('last-step').model).notes).toEqual([]);
  });

  it('pad-read: the LSTM reads padding, yet the pad row\'s gradient is zero as with torch\'s padding_idx=0; a table whose row 0 is not zero still trains it', async () => {
    const f = load('pad-read');
    const b = f.batches[1]!;
    expect(b.ids.flat()).toContain(0);
    const E = 5;
    expect(b.grads['emb.weight']!.slice(0, E).every((x) => x === 0)).toBe(true);
    const out = await runModel(buildImportedGradients(f.model).model, { ...feeds(f, b, f.model), labels: int64(b.labels, [b.labels.length]) });
    const row0 = [...(out['emb.weight.grad']!.data as Float32Array).slice(0, E)];
    expect(row0.length === E && row0.every((x) => x === 0)).toBe(true);
    // A table whose row 0 is not zero is no padding table: its row 0 trains (bilstm2-max's, torch without padding_idx).
    const raw = await runModel(buildImportedGradients(loadOnnx('bilstm2-max').model).model, { ...feeds(f, b, f.model), labels: int64(b.labels, [b.labels.length]) });
    expect(Math.max(...[...(raw['emb.weight.grad']!.data as Float32Array).slice(0, E)].map(Math.abs))).toBeGreaterThan(0);
  });

  it('a non-zero constant initial state fixed at the export batch is refused with the re-export recipe', () => {
    const m = load('packed-sorted').model;
    const lstm = m.graph!.node!.find((n) => n.opType === 'LSTM')!;
    const expand = m.graph!.node!.find((n) => n.output?.[0] === lstm.input![5])!;
    const constant = m.graph!.node!.find((n) => n.output?.[0] === expand.input![0])!;
    const t = constant.attribute![0]!.t!;
    const values = new Float32Array(t.rawData!.buffer.slice(t.rawData!.byteOffset, t.rawData!.byteOffset + t.rawData!.byteLength));
    values[0] = 0.5;
    t.rawData = new Uint8Array(values.buffer);
    let err: unknown;
    try {
      importOnnx(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).code).toBe('E_ONNX_IMPORT');
    expect((err as Error).message).toMatch(/initial_h is a non-zero constant \[2, 3, 3\] fixed at the export batch 3, so the model runs at that batch only; re-export with the initial state as inputs .*dynamic_axes=\{'h0': \{1: 'batch'\}/);
  });
});
