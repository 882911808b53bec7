// ONNX graphs exported by torch.onnx.export (fixtures onnx-*: Embedding + nn.LSTM + Linear,
// bi- and unidirectional, 2 layers, opsets 13/14/15/17, one with pack_padded_sequence, one
// exported without constant folding) imported
// into the builder IR: outputs equal onnxruntime on the original, gradients equal PyTorch
// autograd's, one fine-tuning step equals torch.optim.SGD's, the export keeps the names.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildImportedGradients, chooseLogits, exportImported, openImportedRunner } from '../train/finetune/index.js';
import { importOnnx, ImportError, supportedOps } from './index.js';
import { Graph, op, toModel } from '../graph/index.js';
import { assertValidModel } from '../onnx/checker.js';
import { tensorOf } from '../onnx/tensor.js';
import { AttributeType, type ModelProto } from '../onnx/proto.js';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { feedsFor, fixtureModel, loadOnnx, maxDiff, ONNX_CASES, refArray, runModel } from '../../test/interop/import-fixtures.js';

const TOL = 1e-5;
const clone = (m: ModelProto): ModelProto => decodeModel(encodeModel(m));
const lengthsKind = (name: string): 'int64' | null => (loadOnnx(name).inputs.includes('lengths') ? 'int64' : null);
const labelsTensor = (labels: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(labels, (v) => BigInt(v)), [labels.length]);

describe('torch.onnx.export models → builder IR', () => {
  it('the fixtures cover bi- and unidirectional 2-layer LSTMs, opsets 13–17, with and without lengths', () => {
    const fs = ONNX_CASES.map(loadOnnx);
    expect(fs.map((f) => f.opset).sort()).toEqual([13, 14, 15, 17]);
    // exported without constant folding: the torch parameters are the initializers, gates reordered by glue
    expect(Object.keys(loadOnnx('bilstm2-nofold').initializers)).toContain('lstm.weight_ih_l1_reverse');
    const dirs = fs.flatMap((f) => (f.model.graph!.node ?? []).filter((n) => n.opType === 'LSTM').map((n) => n.attribute?.find((a) => a.name === 'direction')?.s));
    expect(dirs.some((d) => d && new TextDecoder().decode(d) === 'bidirectional')).toBe(true);
    expect(dirs.some((d) => !d)).toBe(true); // forward (the default) on the unidirectional model
    expect(fs.some((f) => f.inputs.includes('lengths'))).toBe(true);
    for (const f of fs) expect(f.model.graph!.node!.filter((n) => n.opType === 'LSTM').length, f.name).toBe(2);
  });

  for (const name of ONNX_CASES) {
    it(`${name}: every node rebuilt; exported again it computes what the original does`, async () => {
      const f = loadOnnx(name);
      const imp = importOnnx(f.model);
      expect([...imp.inputs.keys()]).toEqual(f.inputs);
      expect([...imp.outputs.keys()]).toEqual(f.outputs);
      // float initializers (embedding, LSTM W/R/B, Linear) are the trainable parameters
      expect(new Set(imp.params.keys())).toEqual(new Set(Object.keys(f.initializers)));
      const again = exportImported(f.model);
      assertValidModel(again);
      expect(again.graph!.input!.map((i) => i.name)).toEqual(f.inputs);
      expect(again.graph!.output!.map((o) => o.name)).toEqual(f.outputs);
      expect(again.opsetImport![0]!.version).toBe(f.opset);
      const feeds = feedsFor(f, lengthsKind(name));
      const [a, b] = [await runModel(f.model, feeds), await runModel(again, feeds)];
      let worst = 0;
      for (const o of f.outputs) {
        expect(b[o]!.dims, o).toEqual(a[o]!.dims);
        worst = Math.max(worst, maxDiff(b[o]!.data as Float32Array, a[o]!.data as Float32Array).abs);
      }
      const vsTorch = maxDiff(b.logits!.data as Float32Array, refArray(f.ref, 'logits')).abs;
      console.log(`import-onnx ${name}: re-exported vs original (onnxruntime) max |Δ| ${worst.toExponential(2)}; vs PyTorch ${vsTorch.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-6);
      expect(vsTorch).toBeLessThan(TOL);
    });

    it(`${name}: loss and gradients equal PyTorch autograd's`, async () => {
      const f = loadOnnx(name);
      const { model, params, labelsInput, logitsOutput } = buildImportedGradients(f.model);
      expect(logitsOutput).toBe('logits');
      expect(new Set(params)).toEqual(new Set(Object.keys(f.initializers)));
      const out = await runModel(model, { ...feedsFor(f, lengthsKind(name)), [labelsInput]: labelsTensor(f.labels) });
      const dLoss = Math.abs((out.loss!.data as Float32Array)[0]! - refArray(f.ref, 'loss')[0]!);
      let worst = 0;
      for (const p of params) {
        const d = maxDiff(out[`${p}.grad`]!.data as Float32Array, refArray(f.ref, `grad/${p}`));
        worst = Math.max(worst, d.rel);
        expect(d.rel, `${p} (${f.initializers[p]!.join(', ')})`).toBeLessThan(TOL);
      }
      console.log(`import-onnx ${name}: |Δloss| ${dLoss.toExponential(2)}, gradients vs autograd max rel ${worst.toExponential(2)} (${params.length} initializers)`);
      expect(dLoss).toBeLessThan(TOL);
    });

    it(`${name}: one SGD fine-tuning step lands where torch.optim.SGD did; the result is a drop-in model`, async () => {
      const f = loadOnnx(name);
      const trainer = await openImportedRunner(f.model, { optimizer: { kind: 'sgd' } });
      try {
        const r = await trainer.runner.step({ feeds: feedsFor(f, lengthsKind(name)), labels: BigInt64Array.from(f.labels, (v) => BigInt(v)) }, { lr: f.lr, step: 1 });
        expect(Math.abs(r.loss - refArray(f.ref, 'loss')[0]!)).toBeLessThan(TOL);
        const tuned = trainer.exportModel();
        assertValidModel(tuned);
        expect(tuned.graph!.input!.map((i) => i.name)).toEqual(f.inputs);
        expect(tuned.graph!.output!.map((o) => o.name)).toEqual(f.outputs);
        const out = await runModel(tuned, feedsFor(f, lengthsKind(name)));
        const d = maxDiff(out.logits!.data as Float32Array, refArray(f.ref, 'after_logits'));
        console.log(`fine-tune ${name}: logits after one SGD step vs PyTorch's max |Δ| ${d.abs.toExponential(2)}`);
        expect(d.abs).toBeLessThan(TOL);
      } finally {
        await trainer.runner.release();
      }
    });
  }
});

describe('choosing the logits', () => {
  const packed = (): ModelProto => clone(loadOnnx('bilstm2-packed').model);
  const rename = (m: ModelProto, from: string, to: string): void => {
    for (const n of m.graph!.node!) {
      n.input = n.input!.map((x) => (x === from ? to : x));
      n.output = n.output!.map((x) => (x === from ? to : x));
    }
    for (const o of m.graph!.output!) if (o.name === from) o.name = to;
  };

  it("takes the output named like 'logits' first", () => {
    expect(chooseLogits(importOnnx(packed())).output).toBe('logits');
  });

  it('else the only output not made by Softmax/LogSoftmax/Sigmoid', () => {
    const m = packed();
    rename(m, 'logits', 'scores');
    expect(chooseLogits(importOnnx(m)).output).toBe('scores');
  });

  it("else, for a model that outputs only probabilities, the Softmax's input", () => {
    const m = packed();
    m.graph!.output = m.graph!.output!.filter((o) => o.name === 'probs');
    const c = chooseLogits(importOnnx(m));
    expect(c).toMatchObject({ output: 'probs', beforeSoftmax: true });
    expect(c.value.producer!.opType).toBe('Gemm');
    expect(() => buildImportedGradients(m)).not.toThrow();
  });

  it('ambiguous outputs ask for --logits-output; a wrong name lists the outputs', () => {
    const m = packed();
    rename(m, 'logits', 'a');
    const probs = m.graph!.node!.find((n) => n.opType === 'Softmax')!;
    probs.opType = 'Relu';
    probs.attribute = [];
    expect(() => chooseLogits(importOnnx(m))).toThrow(/cannot tell which output holds the logits \(candidates: 'a', 'probs'\); name it with --logits-output/);
    expect(chooseLogits(importOnnx(m), 'a').output).toBe('a');
    expect(() => chooseLogits(importOnnx(m), 'nope')).toThrow(/'nope' is not an output of the model \(outputs: 'a' float32\[[^\]]*, 3\], 'probs' float32\[[^\]]*, 3\]\)/);
  });
});

describe('what cannot be imported is named', () => {
  it('ops outside the supported set: the op, how many nodes, the first one', () => {
    let err: Error | undefined;
    try {
      importOnnx(fixtureModel('onnx-gru.onnx'));
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(ImportError);
    expect(err!.message).toMatch(/outside the supported set:\n {2}GRU \(1 node, first: node \d+ '[^']*' \(GRU\)\)/);
    expect(err!.message).toContain('supported: ');
    expect(supportedOps()).toEqual(expect.arrayContaining(['LSTM', 'Gather', 'Gemm', 'MatMul', 'Shape', 'ConstantOfShape', 'Expand', 'Where', 'ReduceMax', 'Softmax']));
  });

  it('a node attribute the import does not implement names the node', () => {
    const m = clone(loadOnnx('bilstm2-max').model);
    const lstm = m.graph!.node!.find((n) => n.opType === 'LSTM')!;
    lstm.attribute!.push({ name: 'clip', type: AttributeType.FLOAT, f: 3 });
    expect(() => importOnnx(m)).toThrow(new RegExp(`node \\d+ '${lstm.name}' \\(LSTM\\): attribute 'clip' is not supported`));
  });

  it('opsets before 13 and custom domains are refused', () => {
    const m = clone(loadOnnx('bilstm2-max').model);
    m.opsetImport![0]!.version = 11;
    expect(() => importOnnx(m)).toThrow(/opset 11 is not supported: models at opset 13–21 import/);
    const c = clone(loadOnnx('bilstm2-max').model);
    c.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
    c.graph!.node![0]!.domain = 'com.microsoft';
    expect(() => importOnnx(c)).toThrow(/nodes of domain 'com\.microsoft' are not supported/);
  });

  it('a float path through an imported glue op without a gradient rule fails naming the op, the node and why', () => {
    const g = new Graph({ name: 'tiled' });
    const ids = g.input('ids', 'int64', ['batch', 'time']);
    const emb = g.param('emb', tensorOf('float32', Array.from({ length: 12 }, (_, i) => i / 10), [4, 3]));
    const w = g.param('w', tensorOf('float32', Array.from({ length: 12 }, (_, i) => i / 7), [6, 2]));
    const x = op.tile(op.reduceMean(op.gather(emb, ids), [1]), [1, 2]); // [B, 6]
    g.output(op.matMul(x, w), 'logits');
    const m = toModel(g, { opset: 17 });
    expect(() => buildImportedGradients(m)).toThrow(/op Tile \(node '[^']+'\) is not differentiable: imported as glue/);
  });

  it('integer initializers are constants, scalars are not trained, freeze keeps a parameter fixed', async () => {
    const f = loadOnnx('unilstm2-last');
    const imp = importOnnx(f.model, { freeze: ['emb.weight'] });
    expect(imp.params.has('emb.weight')).toBe(false);
    expect([...imp.constants.values()].every((v) => v.dtype !== 'float32' || (v.shape ?? []).reduce<number>((a, b) => a * Number(b), 1) <= 1 || v.name === 'emb.weight')).toBe(true);
    const g = buildImportedGradients(f.model, { import: { freeze: ['emb.weight'] } });
    expect(g.params).not.toContain('emb.weight');
  });
});
