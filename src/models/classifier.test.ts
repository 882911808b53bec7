import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildClassifier, classifierModel, readClassifierMetadata, ModelMetadataError, METADATA_KEYS } from './classifier.js';
import { resolveConfig, type ModelConfig } from './config.js';
import { initParams } from './init.js';
import { toModel } from '../graph/index.js';
import { assertValidModel, decodeModel, encodeModel, writeMetadata, type ValueInfoProto } from '../onnx/index.js';
import { Rng } from '../data/rng.js';
import { referenceClassifier } from '../../test/reference/classifier-reference.js';
import { maxAbsDiff, randomParams, raggedBatch, runClassifier, session } from '../../test/reference/run-model.js';

const small = (c: Partial<ModelConfig>): ModelConfig => resolveConfig({ embedDim: 6, hidden: 4, vocabSize: 30, ...c });

// Seeded variety: 1–4 layers, every carry mode, plain, odd widths, 2 and 5 classes.
const CONFIGS: { label: string; config: ModelConfig; random: boolean }[] = [
  { label: 'highway L1 projection', config: small({ layers: 1, carry: 'projection', seed: 11 }), random: true },
  { label: 'highway L2 zero-pad', config: small({ layers: 2, carry: 'zero-pad', seed: 12 }), random: true },
  { label: 'highway L3 identity', config: small({ layers: 3, carry: 'identity', embedDim: 8, seed: 13 }), random: true },
  { label: 'highway L4 projection, E5 H3, 5 classes', config: small({ layers: 4, carry: 'projection', embedDim: 5, hidden: 3, classes: 5, seed: 14 }), random: true },
  { label: 'highway L1 zero-pad, E3', config: small({ layers: 1, carry: 'zero-pad', embedDim: 3, seed: 15 }), random: true },
  { label: 'highway L2 projection, init params, gate bias 0', config: small({ layers: 2, carry: 'projection', gateBias: 0, seed: 16 }), random: false },
  { label: 'highway L2 identity, no gates output', config: small({ layers: 2, carry: 'identity', embedDim: 8, gatesOutput: false, seed: 17 }), random: true },
  { label: 'plain L1', config: small({ kind: 'plain', layers: 1, seed: 18 }), random: true },
  { label: 'plain L2, init params', config: small({ kind: 'plain', layers: 2, seed: 19 }), random: false },
  { label: 'plain L3, E7 H5', config: small({ kind: 'plain', layers: 3, embedDim: 7, hidden: 5, seed: 20 }), random: true },
];

function paramsFor(entry: (typeof CONFIGS)[number]) {
  return entry.random ? randomParams(entry.config, new Rng(entry.config.seed * 7919)) : initParams(entry.config);
}

describe('classifier vs float64 reference', () => {
  for (const entry of CONFIGS) {
    it(entry.label, async () => {
      const { config } = entry;
      const params = paramsFor(entry);
      const model = classifierModel(config, { params });
      assertValidModel(model);
      const s = await session(model);
      const rng = new Rng(config.seed);
      for (const [B, T] of [[5, 7], [3, 1], [1, 4]] as const) {
        const batch = raggedBatch(rng, config.vocabSize, B, T);
        const got = await runClassifier(s, batch);
        const want = referenceClassifier(config, params, batch.ids, batch.lengths);
        expect(maxAbsDiff(got.logits, want.logits)).toBeLessThan(1e-5);
        expect(maxAbsDiff(got.probs, want.probs)).toBeLessThan(1e-5);
        if (want.gates) {
          expect(got.gateDims).toEqual([B, config.layers, T]);
          expect(maxAbsDiff(got.gates!, want.gates)).toBeLessThan(1e-5);
        } else {
          expect(got.gates).toBeNull();
        }
      }
    });
  }

  it('ignores whatever ids sit in padded positions', async () => {
    const entry = CONFIGS[1]!;
    const params = paramsFor(entry);
    const s = await session(classifierModel(entry.config, { params }));
    const clean = raggedBatch(new Rng(5), entry.config.vocabSize, 4, 6);
    const noisy = { ...clean, ids: clean.ids.map((row, b) => row.map((v, t) => (t < clean.lengths[b]! ? v : 1 + ((t * 7 + b) % 29)))) };
    const a = await runClassifier(s, clean);
    const b = await runClassifier(s, noisy);
    expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-6);
  });
});

describe('invariances', () => {
  const entry = CONFIGS[3]!; // 4 highway layers, projection
  const params = paramsFor(entry);

  it('padding: extra pad columns leave the logits unchanged', async () => {
    const s = await session(classifierModel(entry.config, { params }));
    const batch = raggedBatch(new Rng(1), entry.config.vocabSize, 4, 5);
    const padded = { ...batch, ids: batch.ids.map((row) => [...row, 0, 0, 0]) };
    const a = await runClassifier(s, batch);
    const b = await runClassifier(s, padded);
    expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-6);
    expect(maxAbsDiff(a.probs, b.probs)).toBeLessThan(1e-6);
    // Gates over the original steps are unchanged too.
    const trimmed = b.gates!.map((layers) => layers.map((g) => g.slice(0, 5)));
    expect(maxAbsDiff(a.gates!, trimmed)).toBeLessThan(1e-6);
  });

  it('batch: a sentence alone and inside a batch get the same logits', async () => {
    const s = await session(classifierModel(entry.config, { params }));
    const batch = raggedBatch(new Rng(2), entry.config.vocabSize, 6, 8);
    const all = await runClassifier(s, batch);
    for (let b = 0; b < 6; b++) {
      const len = batch.lengths[b]!;
      const alone = await runClassifier(s, { ids: [batch.ids[b]!.slice(0, len)], lengths: [len] });
      expect(maxAbsDiff(alone.logits, [all.logits[b]!])).toBeLessThan(1e-6);
    }
  });
});

describe('outputs and graph', () => {
  it('gates are [batch, layers, time] and strictly inside (0, 1)', async () => {
    const config = small({ layers: 3, carry: 'zero-pad', gateBias: -3 });
    const s = await session(classifierModel(config));
    const r = await runClassifier(s, raggedBatch(new Rng(3), config.vocabSize, 4, 9));
    expect(r.gateDims).toEqual([4, 3, 9]);
    for (const v of r.gates!.flat(2)) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('names inputs, outputs and parameters as documented', () => {
    const config = small({ layers: 2, carry: 'projection' });
    const model = classifierModel(config);
    const g = model.graph!;
    expect(g.input!.map((i) => i.name)).toEqual(['ids', 'lengths']);
    expect(g.output!.map((o) => o.name)).toEqual(['logits', 'probs', 'gates']);
    const dims = (vi: ValueInfoProto) => vi.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims(g.input![0]!)).toEqual(['batch', 'time']);
    expect(dims(g.output![2]!)).toEqual(['batch', 2, 'time']);
    const inits = g.initializer!.map((t) => t.name);
    for (const n of ['embedding.weight', 'layer1.bilstm.W', 'layer1.bilstm.R', 'layer1.bilstm.B', 'layer1.gate.weight', 'layer1.gate.bias',
      'layer1.carry.weight', 'layer1.carry.bias', 'layer2.bilstm.W', 'layer2.gate.weight', 'output.weight', 'output.bias']) {
      expect(inits).toContain(n);
    }
    expect(inits).not.toContain('layer2.carry.weight');
    expect(g.docString).toMatch(/Highway BiLSTM classifier: 2 highway BiLSTM layer\(s\), carry 'projection'/);
  });

  it('plain models have no gate parameters and no gates output', () => {
    const model = classifierModel(small({ kind: 'plain', layers: 2 }));
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['logits', 'probs']);
    expect(model.graph!.initializer!.some((t) => /gate|carry/.test(t.name!))).toBe(false);
  });

  it('runs in onnxruntime at opsets 17 and 18 with the same result', async () => {
    const config = small({ layers: 2, carry: 'zero-pad' });
    const built = buildClassifier(config);
    const batch = raggedBatch(new Rng(4), config.vocabSize, 3, 5);
    const results = [];
    for (const opset of [17, 18]) {
      const model = toModel(built.graph, { opset });
      assertValidModel(model);
      expect(model.opsetImport![0]!.version).toBe(opset);
      results.push(await runClassifier(await session(model), batch));
    }
    expect(maxAbsDiff(results[0]!.logits, results[1]!.logits)).toBe(0);
    expect(maxAbsDiff(results[0]!.gates!, results[1]!.gates!)).toBe(0);
  });

  it('training graph: dropout masks are inputs; all-ones masks reproduce inference', async () => {
    const config = small({ layers: 2, carry: 'projection' });
    const params = randomParams(config, new Rng(9));
    const train = buildClassifier(config, { params, training: true, outputs: true });
    expect(train.dropoutMasks).not.toBeNull();
    expect(train.graph.inputs.map((v) => v.name)).toEqual(['ids', 'lengths', 'dropout.embedding', 'dropout.output']);
    expect(train.dropoutMasks!.embedding.shape).toEqual(['time', 'batch', 6]);
    expect(train.dropoutMasks!.output.shape).toEqual(['batch', 8]);
    const batch = raggedBatch(new Rng(6), config.vocabSize, 3, 4);
    const s = await session(toModel(train.graph));
    const masks = (embVal: number, outVal: number) => ({
      'dropout.embedding': new ort.Tensor('float32', new Float32Array(4 * 3 * 6).fill(embVal), [4, 3, 6]),
      'dropout.output': new ort.Tensor('float32', new Float32Array(3 * 8).fill(outVal), [3, 8]),
    });
    const ref = await runClassifier(await session(classifierModel(config, { params })), batch);
    const ones = await runClassifier(s, batch, masks(1, 1));
    expect(maxAbsDiff(ones.logits, ref.logits)).toBeLessThan(1e-6);
    // Dropping every feature leaves only the output bias.
    const dropped = await runClassifier(s, batch, masks(1, 0));
    const bias = Array.from(params.get('output.bias')!.data as Float32Array);
    expect(maxAbsDiff(dropped.logits, [bias, bias, bias])).toBeLessThan(1e-6);
  });

  it('training graph without outputs leaves outputs to the trainer', () => {
    const train = buildClassifier(small({}), { training: true });
    expect(train.graph.outputs).toHaveLength(0);
    expect(train.logits.name).toBe('logits');
    expect([...train.params.keys()][0]).toBe('embedding.weight');
  });

  it('rejects parameters that do not fit the config', () => {
    const config = small({ layers: 2 });
    const params = initParams(config);
    params.delete('layer2.gate.bias');
    params.set('layer9.extra', params.get('output.bias')!);
    expect(() => buildClassifier(config, { params })).toThrow(/missing 'layer2.gate.bias'[\s\S]*unexpected parameter 'layer9.extra'/);
    const wrong = initParams(small({ layers: 2, hidden: 5 }));
    expect(() => buildClassifier(config, { params: wrong })).toThrow(/'layer1.bilstm.W' should be float32 \[2,16,6\], found float32 \[2,20,6\]/);
  });
});

describe('metadata', () => {
  const config = small({ layers: 1, classes: 5, seed: 3 });
  const vocab = Array.from({ length: 30 }, (_, i) => (i === 0 ? '<pad>' : i === 1 ? '<unk>' : `w${i}`));

  it('round-trips config, labels and vocabulary through the encoded model', () => {
    const bytes = encodeModel(classifierModel(config, { vocab }));
    const md = readClassifierMetadata(decodeModel(bytes));
    expect(md.config).toEqual(config);
    expect(md.labels).toEqual(['very negative', 'negative', 'neutral', 'positive', 'very positive']);
    expect(md.vocab).toEqual(vocab);
  });

  it('vocab is optional', () => {
    expect(readClassifierMetadata(classifierModel(config)).vocab).toBeNull();
  });

  it('metadata is visible to onnxruntime', async () => {
    const s = await session(classifierModel(config, { vocab }));
    expect(s.inputNames).toEqual(['ids', 'lengths']);
  });

  it('fails clearly on missing or malformed keys', () => {
    const model = () => classifierModel(config, { vocab });
    const edit = (entries: Record<string, string>) => {
      const m = model();
      writeMetadata(m, entries);
      return m;
    };
    const without = (key: string) => {
      const m = model();
      m.metadataProps = m.metadataProps!.filter((p) => p.key !== key);
      return m;
    };
    expect(() => readClassifierMetadata(without(METADATA_KEYS.format))).toThrow(/not a highway-onnx classifier: metadata key 'highway_onnx.format' is missing/);
    expect(() => readClassifierMetadata(edit({ [METADATA_KEYS.format]: '2' }))).toThrow(/this version reads format '1'/);
    expect(() => readClassifierMetadata(without(METADATA_KEYS.config))).toThrow(ModelMetadataError);
    expect(() => readClassifierMetadata(edit({ [METADATA_KEYS.config]: '{oops' }))).toThrow(/'highway_onnx.config' is not valid JSON/);
    expect(() => readClassifierMetadata(edit({ [METADATA_KEYS.config]: '[]' }))).toThrow(/must hold a JSON object/);
    expect(() => readClassifierMetadata(edit({ [METADATA_KEYS.config]: '{"layers":0}' }))).toThrow(/config.layers must be a positive integer/);
    expect(() => readClassifierMetadata(edit({ [METADATA_KEYS.labels]: '["a","b"]' }))).toThrow(/holds 2 labels, the config has 5 classes/);
    expect(() => readClassifierMetadata(edit({ [METADATA_KEYS.labels]: '[1,2,3,4,5]' }))).toThrow(/must hold a JSON array of strings/);
    expect(() => readClassifierMetadata(edit({ [METADATA_KEYS.vocab]: '["a"]' }))).toThrow(/holds 1 tokens, the config says vocabSize 30/);
  });

  it('rejects a vocabulary whose size differs from the config', () => {
    expect(() => classifierModel(config, { vocab: vocab.slice(1) })).toThrow(/vocab has 29 tokens but config.vocabSize is 30/);
  });
});
