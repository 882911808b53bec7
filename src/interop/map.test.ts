// PyTorch twin state_dict ↔ our parameters (src/interop/torch-map.ts, src/interop/export.ts),
// against real PyTorch: fixtures from scripts/torch/make_import_fixtures.py (twin-*).
import { describe, expect, it } from 'vitest';
import { classifierToTorch, torchToClassifierModel } from './export.js';
import { InteropError } from '../formats/errors.js';
import { buildImportedGradients } from '../train/finetune/index.js';
import {
  configForWeights, inferConfigFromTorch, ONNX_TO_TORCH_GATES, paramsToTorch, permuteGates, torchStateDictSpec,
  torchToParams, TORCH_TO_ONNX_GATES,
} from './torch-map.js';
import type { NamedTensor } from '../formats/types.js';
import { readWeights } from '../formats/weights.js';
import { readClassifierMetadata } from '../models/classifier.js';
import { assertValidModel } from '../onnx/checker.js';
import type { Tensor } from '../onnx/tensor.js';
import { feedsFor, loadTwin, maxDiff, refArray, runModel, twinNames } from '../../test/interop/import-fixtures.js';

const TOL = 1e-5;
const names = twinNames();
const sd = (name: string): Map<string, NamedTensor> => readWeights(loadTwin(name).weights).tensors;

describe('twin state_dict → our parameters → ONNX (import-torch)', () => {
  it('covers highway and plain, 1–3 layers, every carry mode, .pt and .safetensors', () => {
    const fs = names.map(loadTwin);
    expect(new Set(fs.map((f) => f.config.kind))).toEqual(new Set(['highway', 'plain']));
    for (const kind of ['highway', 'plain'] as const) {
      expect(new Set(fs.filter((f) => f.config.kind === kind).map((f) => f.config.layers)), kind).toEqual(new Set([1, 2, 3]));
    }
    expect(new Set(fs.filter((f) => f.config.kind === 'highway').map((f) => f.config.carry))).toEqual(new Set(['identity', 'projection', 'zero-pad']));
    expect(new Set(fs.map((f) => f.weightsFile.split('.').pop()))).toEqual(new Set(['pt', 'safetensors']));
    expect(new Set(fs[0]!.lengths).size).toBeGreaterThan(2); // ragged
  });

  for (const name of names) {
    it(`${name}: state_dict keys and order are the twin's`, () => {
      const f = loadTwin(name);
      expect(torchStateDictSpec(f.config).map((s) => s.key)).toEqual(f.keys);
      const tensors = sd(name);
      for (const s of torchStateDictSpec(f.config)) expect(tensors.get(s.key)!.shape, s.key).toEqual(s.dims);
    });

    it(`${name}: the imported model scores as PyTorch did (within ${TOL})`, async () => {
      const f = loadTwin(name);
      const { model, config } = torchToClassifierModel(sd(name), { config: f.config });
      assertValidModel(model);
      expect(config).toEqual(f.config);
      const out = await runModel(model, feedsFor(f, 'int32'));
      const d = maxDiff(out.logits!.data as Float32Array, refArray(f.ref, 'logits'));
      console.log(`import-torch ${name}: max |Δlogits| vs PyTorch (float64) ${d.abs.toExponential(2)}`);
      expect(d.abs).toBeLessThan(TOL);
    });

    it(`${name}: export gives back PyTorch's exact tensors; our gradients map onto autograd's`, async () => {
      const f = loadTwin(name);
      const tensors = sd(name);
      const { model } = torchToClassifierModel(tensors, { config: f.config });
      const back = classifierToTorch(model);
      expect([...back.tensors.keys()]).toEqual(f.keys);
      for (const [k, t] of back.tensors) {
        expect(t.dtype, k).toBe('F32');
        expect(t.shape, k).toEqual(tensors.get(k)!.shape);
        expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(tensors.get(k)!.data.buffer, tensors.get(k)!.data.byteOffset, tensors.get(k)!.data.byteLength)), k).toBe(true);
      }
      expect(JSON.parse(back.metadata['highway_onnx.config']!)).toEqual(f.config);

      // Gradients: the same autodiff over the imported graph, converted with the same map.
      const { model: gm, labelsInput } = buildImportedGradients(model, { import: { trainable: [...torchToParams(f.config, tensors).keys()] } });
      const out = await runModel(gm, {
        ...feedsFor(f, 'int32'),
        [labelsInput]: new (await import('onnxruntime-node')).Tensor('int64', BigInt64Array.from(f.labels, (v) => BigInt(v)), [f.batch]),
      });
      const grads = new Map<string, Tensor>();
      for (const p of torchToParams(f.config, tensors).keys()) {
        const g = out[`${p}.grad`]!;
        grads.set(p, { dtype: 'float32', dims: [...g.dims], data: g.data as Float32Array });
      }
      const torchGrads = paramsToTorch(f.config, grads);
      let worst = 0;
      for (const [k, g] of torchGrads) {
        const d = maxDiff(g.data as Float32Array, refArray(f.ref, `grad/${k}`));
        worst = Math.max(worst, d.rel);
        expect(d.rel, k).toBeLessThan(TOL);
      }
      const dl = Math.abs((out.loss!.data as Float32Array)[0]! - refArray(f.ref, 'loss')[0]!);
      console.log(`torch-map ${name}: grads in PyTorch layout vs autograd max rel ${worst.toExponential(2)}, |Δloss| ${dl.toExponential(2)}`);
      expect(dl).toBeLessThan(TOL);
    });
  }
});

describe('gate order and layout', () => {
  it('ONNX i,o,f,c ↔ torch i,f,g,o are inverse permutations', () => {
    const src = Float32Array.from({ length: 8 }, (_, i) => i);
    expect([...permuteGates(src, 2, TORCH_TO_ONNX_GATES)]).toEqual([0, 1, 6, 7, 2, 3, 4, 5]); // i, o, f, c from i, f, g, o
    expect([...permuteGates(permuteGates(src, 2, TORCH_TO_ONNX_GATES), 2, ONNX_TO_TORCH_GATES)]).toEqual([...src]);
  });

  it('the output gate (ONNX block 1) is torch block 3; B is [bias_ih, bias_hh]', () => {
    const f = loadTwin('plain-1');
    const tensors = sd('plain-1');
    const params = torchToParams(f.config, tensors);
    const H = f.config.hidden;
    const E = f.config.embedDim;
    const W = params.get('layer1.bilstm.W')!.data as Float32Array;
    const wih = tensors.get('layer1.bilstm.weight_ih_l0_reverse')!.data as Float32Array;
    const dir1 = W.subarray(4 * H * E, 8 * H * E);
    expect([...dir1.subarray(H * E, 2 * H * E)]).toEqual([...wih.subarray(3 * H * E, 4 * H * E)]);
    const B = params.get('layer1.bilstm.B')!.data as Float32Array;
    const bhh = tensors.get('layer1.bilstm.bias_hh_l0')!.data as Float32Array;
    expect([...B.subarray(4 * H, 5 * H)]).toEqual([...bhh.subarray(0, H)]); // Rb, gate i
  });

  it('Linear weights are transposed: ours x·W [In, Out], torch [Out, In]', () => {
    const f = loadTwin('highway-1-projection');
    const tensors = sd('highway-1-projection');
    const ours = torchToParams(f.config, tensors).get('output.weight')!;
    const theirs = tensors.get('output.weight')!;
    expect(ours.dims).toEqual([theirs.shape[1], theirs.shape[0]]);
    const C = theirs.shape[0]!;
    const In = theirs.shape[1]!;
    expect((ours.data as Float32Array)[1 * C + 0]).toBe((theirs.data as Float32Array)[0 * In + 1]);
  });
});

describe('clear errors', () => {
  const f = loadTwin('highway-2-zero-pad');
  const base = (): Map<string, NamedTensor> => new Map(sd('highway-2-zero-pad'));
  const fails = (m: Map<string, NamedTensor>, ...patterns: RegExp[]): void => {
    let err: unknown;
    try {
      torchToParams(f.config, m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InteropError);
    for (const p of patterns) expect((err as Error).message).toMatch(p);
  };

  it('a missing key names it and the shape expected', () => {
    const m = base();
    m.delete('layer2.bilstm.bias_hh_l0_reverse');
    fails(m, /missing 'layer2\.bilstm\.bias_hh_l0_reverse' \(expected \[12\]\)/);
  });

  it('an unexpected key is named (unless allowed)', () => {
    const m = base();
    m.set('layer2.bilstm.weight_ih_l1', m.get('layer2.bilstm.weight_ih_l0')!);
    fails(m, /unexpected key 'layer2\.bilstm\.weight_ih_l1'/);
    expect(() => torchToParams(f.config, m, { allowUnexpected: true })).not.toThrow();
  });

  it('a wrong shape says expected vs found', () => {
    const m = base();
    const t = m.get('layer1.gate.weight')!;
    m.set('layer1.gate.weight', { ...t, shape: [t.shape[1]!, t.shape[0]!] });
    fails(m, /'layer1\.gate\.weight': expected shape \[6, 5\], found \[5, 6\]/);
  });

  it('wrong config: every mismatch listed with expected vs found, plus the inferred config', () => {
    let err: Error | undefined;
    try {
      torchToParams({ ...f.config, hidden: 4 }, base());
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(InteropError);
    expect(err!.message).toMatch(/'layer1\.bilstm\.weight_hh_l0': expected shape \[16, 4\], found \[12, 3\]/);
    expect(err!.message).toMatch(/the weights look like a config with: hidden 4 → 3/);
  });

  it('an integer tensor where a weight belongs is refused', () => {
    const m = base();
    const t = m.get('output.bias')!;
    m.set('output.bias', { dtype: 'I64', shape: t.shape, data: new BigInt64Array(t.shape[0]!) });
    fails(m, /'output\.bias': expected a float tensor, found I64/);
  });

  it("a 'module.' prefix (DataParallel) is detected and stripped; F64/F16 weights are widened or rounded to float32", () => {
    const m = new Map<string, NamedTensor>();
    for (const [k, v] of base()) m.set(`module.${k}`, k === 'output.bias' ? { dtype: 'F64', shape: v.shape, data: Float64Array.from(v.data as Float32Array) } : v);
    const p = torchToParams(f.config, m);
    expect(p.get('output.bias')!.data).toEqual(torchToParams(f.config, base()).get('output.bias')!.data);
  });

  it('without a config file, the config is inferred from the shapes (identity vs zero-pad by width)', () => {
    for (const name of names) {
      const c = loadTwin(name).config;
      const inferred = inferConfigFromTorch(sd(name));
      expect(inferred, name).toEqual({ kind: c.kind, layers: c.layers, vocabSize: c.vocabSize, embedDim: c.embedDim, hidden: c.hidden, classes: c.classes, carry: c.kind === 'highway' ? c.carry : 'projection' });
      expect(configForWeights(sd(name)).hidden).toBe(c.hidden);
    }
  });

  it('export-torch refuses a model that is not one of our classifiers', async () => {
    const { model } = torchToClassifierModel(sd('plain-1'), { config: loadTwin('plain-1').config });
    model.metadataProps = [];
    expect(() => classifierToTorch(model)).toThrow(/not a highway-onnx classifier/);
    const { model: m2 } = torchToClassifierModel(sd('plain-1'), { config: loadTwin('plain-1').config });
    m2.graph!.initializer = m2.graph!.initializer!.filter((t) => t.name !== 'output.bias');
    expect(() => classifierToTorch(m2)).toThrow(/lacks initializers for 1 parameter\(s\) of its config: output\.bias/);
    expect(readClassifierMetadata(m2).config.kind).toBe('plain');
  });
});
