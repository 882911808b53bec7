// §2 of issue 10: graphs that are not what they claim. A file with the right input/output names
// and metadata around another graph is refused (E_MODEL_WEIGHTS / E_MODEL_GRAPH) and `inspect`
// says so; bit flips in the weights of a real trained model are all caught by the digest the
// trainer stored (E_MODEL_DIGEST), or by the NaN check when a flip makes a NaN.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { DIGEST_KEY, stampDigest, verifyDigest } from './digest.js';
import { readMetadata } from './metadata.js';
import { paramSpecs } from '../models/init.js';
import { vetClassifierModel } from '../runtime/validate.js';
import { loadModel } from '../runtime/node.js';
import { inspectOnnxBytes } from '../inspect/onnx.js';
import { train } from '../train/trainer.js';
import { builtinDataset } from '../data/builtin.js';
import { rng } from '../../test/hardening/mutate.js';
import { config, modelBytes } from '../../test/serve/helpers.js';
import { runCliIn } from '../../test/security/cli-process.js';
import { rejection } from '../../test/helpers/rejection.js';

ort.env.logLevel = 'fatal';
const dir = mkdtempSync(join(tmpdir(), 'graph-integrity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FLOAT = 1;
const INT64 = 7;
const floats = (name: string, dims: number[], fill: (i: number) => number): TensorProto => {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(Float32Array.from({ length: n }, (_, i) => fill(i)).buffer) };
};

/**
 * The fake from the issue: the classifier's inputs, outputs and metadata around 19 Gather/Cast
 * nodes that look the answer up by sequence length. With `params`, every parameter the config
 * names is there too (right shapes, each read by a Gather), so only the missing LSTMs give it away.
 */
function fake(params: boolean): ModelProto {
  const real = decodeModel(modelBytes);
  const g = real.graph!;
  const nodes: NodeProto[] = [{ opType: 'Cast', input: ['lengths'], output: ['c0'], attribute: [{ name: 'to', type: 2, i: INT64 }] }];
  for (let i = 1; i < 15; i++) nodes.push({ opType: 'Cast', input: [`c${i - 1}`], output: [`c${i}`], attribute: [{ name: 'to', type: 2, i: INT64 }] });
  nodes.push({ opType: 'Gather', input: ['fake.logits', 'c14'], output: ['logits'] });
  nodes.push({ opType: 'Gather', input: ['fake.probs', 'c14'], output: ['probs'] });
  nodes.push({ opType: 'Gather', input: ['fake.gates', 'c14'], output: ['g0'] });
  nodes.push({ opType: 'Cast', input: ['g0'], output: ['gates'], attribute: [{ name: 'to', type: 2, i: FLOAT }] });
  const inits = [floats('fake.logits', [64, 2], (i) => (i % 2 ? 2 : -2)), floats('fake.probs', [64, 2], (i) => (i % 2 ? 0.98 : 0.02)), floats('fake.gates', [64, 2, 1], () => 0.5)];
  if (params) {
    inits.push({ name: 'fake.zero', dims: [], dataType: INT64, int64Data: [0] });
    for (const s of paramSpecs(config)) {
      inits.push(g.initializer!.find((t) => t.name === s.name)!);
      nodes.push({ opType: 'Gather', input: [s.name, 'fake.zero'], output: [`unused.${s.name}`] });
    }
  }
  expect(nodes.filter((n) => n.opType === 'Gather' || n.opType === 'Cast').length).toBeGreaterThanOrEqual(19);
  return stampDigest({ ...real, graph: { name: g.name, input: g.input, output: g.output, node: nodes, initializer: inits } });
}

describe('a graph that is not what its metadata claims', () => {
  it('the fake is convincing: onnxruntime runs it, the checker passes it, its digest is consistent', async () => {
    for (const withParams of [false, true]) {
      const bytes = encodeModel(fake(withParams));
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ ids: new ort.Tensor('int64', BigInt64Array.from([2n, 3n]), [1, 2]), lengths: new ort.Tensor('int32', Int32Array.from([2]), [1]) });
      expect(Array.from(out.probs!.data as Float32Array)).toEqual([Math.fround(0.02), Math.fround(0.98)]);
      await session.release();
      const r = inspectOnnxBytes(bytes);
      expect(r.problems).toEqual([]);
      expect(r.digest.state).toBe('verified');
    }
  });

  it('without our weights: E_MODEL_WEIGHTS names the first missing parameter (vetting no longer skips)', async () => {
    const e = await rejection(loadModel(encodeModel(fake(false)), { device: 'cpu' }));
    expect(e.code).toBe('E_MODEL_WEIGHTS');
    expect(e.message).toMatch(/^weight 'embedding\.weight' is missing: the config \(highway, 2 layer\(s\)/);
  });

  it('with every weight present and used: E_MODEL_GRAPH, no LSTM where the config has two', async () => {
    const e = await rejection(loadModel(encodeModel(fake(true)), { device: 'cpu' }));
    expect(e.code).toBe('E_MODEL_GRAPH');
    expect(e.message).toMatch(/^the graph does not match its config \(highway, 2 layer\(s\), hidden 3\): (no Gather node looks tokens up|it has 0 LSTM node\(s\), the config has 2)/);
  });

  const edits: [string, (m: ModelProto) => void, RegExp][] = [
    ["an LSTM turned 'forward'", (m) => {
      const a = m.graph!.node!.find((n) => n.opType === 'LSTM')!.attribute!.find((x) => x.name === 'direction')!;
      a.s = new TextEncoder().encode('forward');
    }, /layer 1's LSTM runs 'forward', expected 'bidirectional'/],
    ['an LSTM without sequence_lens', (m) => {
      const n = m.graph!.node!.find((x) => x.opType === 'LSTM')!;
      n.input = [...n.input!.slice(0, 4), '', ...n.input!.slice(5)];
    }, /layer 1's LSTM has no sequence_lens input/],
    ["the two layers' recurrent weights swapped", (m) => {
      const swap: Record<string, string> = { 'layer1.bilstm.R': 'layer2.bilstm.R', 'layer2.bilstm.R': 'layer1.bilstm.R' };
      for (const n of m.graph!.node!.filter((x) => x.opType === 'LSTM')) n.input = n.input!.map((i) => swap[i] ?? i);
    }, /layer 1's LSTM takes R 'layer2\.bilstm\.R' and B 'layer1\.bilstm\.B', expected 'layer1\.bilstm\.R'/],
    ['probs made by Sigmoid instead of Softmax', (m) => {
      m.graph!.node!.find((n) => n.opType === 'Softmax')!.opType = 'Sigmoid';
    }, /'probs' is made by a Sigmoid node, expected Softmax of 'logits'/],
  ];
  it.each(edits)('%s (digest restamped, so only the graph is at fault): E_MODEL_GRAPH', (_, edit, message) => {
    const m = decodeModel(modelBytes);
    edit(m);
    let err: (Error & { code?: string }) | undefined;
    try {
      vetClassifierModel(encodeModel(stampDigest(m)));
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('E_MODEL_GRAPH');
    expect(err?.message).toMatch(message);
  });

  it('predict and inspect, as processes: predict exits 1 with one coded line; inspect says plainly that the graph does not match', async () => {
    const path = join(dir, 'fake.onnx');
    writeFileSync(path, encodeModel(fake(true)));
    const p = await runCliIn(dir, ['predict', '--model', 'fake.onnx', 'a gripping film']);
    expect(p.code).toBe(1);
    expect(p.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(p.stderr).toMatch(/^highway-onnx: \[E_MODEL_GRAPH\] the graph does not match its config/);
    const i = await runCliIn(dir, ['inspect', 'fake.onnx']);
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/\n {2}structure {3}DOES NOT MATCH: \[E_MODEL_GRAPH\] the graph does not match its config/);
    expect(i.stdout).not.toMatch(/structure\s+matches/);
  }, 60_000);

  it('inspect marks a model without highway-onnx metadata as unverified, and one without a digest as such', () => {
    const m = decodeModel(modelBytes);
    m.metadataProps = [];
    const bare = inspectOnnxBytes(encodeModel(m));
    expect(bare.graphCheck.state).toBe('unverified');
    expect(bare.graphCheck.detail).toMatch(/unverified/);
    expect(bare.digest.state).toBe('absent');
    const own = decodeModel(modelBytes);
    own.metadataProps = own.metadataProps!.filter((p) => p.key !== DIGEST_KEY);
    const older = inspectOnnxBytes(encodeModel(own));
    expect(older.graphCheck.state).toBe('verified');
    expect(older.digest).toEqual({ state: 'absent', detail: expect.stringMatching(/^no digest \(an imported model, or one written before digests\)/) });
    // An older model (no digest) still loads: its graph is checked, its weights cannot be.
    expect(vetClassifierModel(encodeModel(own)).integrity.digest.state).toBe('absent');
  });
});

describe('bit flips in the weights of a real trained model', () => {
  let bytes: Uint8Array;
  /** [start, end) byte ranges of the parameters' raw data inside the file. */
  let spans: [number, number][];
  beforeAll(async () => {
    const run = join(dir, 'run');
    await train({ out: run, dataset: builtinDataset({ trainSize: 64, devSize: 16, testSize: 0 }), epochs: 1, batchSize: 16, seed: 4, progress: false, log: () => undefined, model: { layers: 2, embedDim: 8, hidden: 4 } });
    bytes = new Uint8Array(readFileSync(join(run, 'model.onnx')));
    const m = decodeModel(bytes);
    const names = new Set(paramSpecs(vetClassifierModel(bytes).info.config).map((s) => s.name));
    spans = m.graph!.initializer!.filter((t) => names.has(t.name ?? '')).map((t) => {
      // protobufjs decodes bytes fields as views of the input: their offset is their place in the file.
      const start = t.rawData!.byteOffset - bytes.byteOffset;
      expect(Buffer.from(bytes.subarray(start, start + t.rawData!.length)).equals(Buffer.from(t.rawData!))).toBe(true);
      return [start, start + t.rawData!.length] as [number, number];
    });
  }, 120_000);

  it('the model the trainer wrote carries a digest that verifies', () => {
    expect(readMetadata(decodeModel(bytes))[DIGEST_KEY]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(verifyDigest(decodeModel(bytes)).state).toBe('verified');
  });

  it('600 seeded mutations of 1–3 bit flips inside the weights: every one refused (E_MODEL_DIGEST, or E_MODEL_WEIGHTS for a NaN)', () => {
    const next = rng(10);
    const total = spans.reduce((a, [s, e]) => a + e - s, 0);
    const codes: Record<string, number> = {};
    for (let k = 0; k < 600; k++) {
      const b = Uint8Array.from(bytes);
      for (let f = 1 + Math.floor(next() * 3); f > 0; f--) {
        // A uniformly chosen weight byte, then a bit of it.
        let at = Math.floor(next() * total);
        const span = spans.find(([s, e]) => (at < e - s ? true : ((at -= e - s), false)))!;
        b[span[0] + at]! ^= 1 << Math.floor(next() * 8);
      }
      let code = 'loaded';
      try {
        vetClassifierModel(b);
      } catch (e) {
        code = (e as { code?: string }).code ?? 'uncoded';
      }
      codes[code] = (codes[code] ?? 0) + 1;
    }
    expect(codes.loaded ?? 0).toBe(0);
    expect(Object.keys(codes).every((c) => c === 'E_MODEL_DIGEST' || c === 'E_MODEL_WEIGHTS')).toBe(true);
    expect(codes.E_MODEL_DIGEST).toBeGreaterThan(500);
  });

  it('300 single bit flips anywhere in the file: every flip that changes what the file decodes to is refused with a code', () => {
    // Some flips change nothing a decoder sees (a field tag turned into a wire type that drops
    // an empty default field); one in the digest key's own name makes the model read as
    // digest-less (an older model). Everything else is refused.
    const next = rng(11);
    const keyAt = Buffer.from(bytes).indexOf(DIGEST_KEY);
    expect(keyAt).toBeGreaterThan(0);
    const original = Buffer.from(encodeModel(decodeModel(bytes)));
    const loaded = { sameContent: 0, keyName: 0, changed: 0 };
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const b = Uint8Array.from(bytes);
      const at = Math.floor(next() * b.length);
      b[at]! ^= 1 << Math.floor(next() * 8);
      try {
        vetClassifierModel(b);
      } catch (e) {
        expect((e as { code?: string }).code, String(e)).toMatch(/^E_[A-Z_]+$/);
        refused++;
        continue;
      }
      if (at >= keyAt && at < keyAt + DIGEST_KEY.length) loaded.keyName++;
      else if (Buffer.from(encodeModel(decodeModel(b))).equals(original)) loaded.sameContent++;
      else loaded.changed++;
    }
    expect(loaded.changed).toBe(0);
    expect(refused).toBeGreaterThan(280);
  });

  it.each([
    ['predict', ['predict', '--model', 'flipped.onnx', 'a gripping film']],
    ['export-torch', ['export-torch', '--model', 'flipped.onnx', '--out', 'flipped.safetensors']],
    ['export-text', ['export-text', '--model', 'flipped.onnx', '--out', 'flipped-text.onnx']],
    ['import-onnx', ['import-onnx', '--model', 'flipped.onnx', '--out', 'flipped-import']],
  ])('%s refuses a flipped model with one coded line', async (_, args) => {
    const b = Uint8Array.from(bytes);
    b[spans[0]![0] + 7]! ^= 0x04;
    writeFileSync(join(dir, 'flipped.onnx'), b);
    const r = await runCliIn(dir, args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^highway-onnx: \[E_MODEL_DIGEST\] the model's content does not match the digest stored when it was written/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 60_000);
});
