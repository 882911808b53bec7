// Bad input that is well-formed on the wire: NaN weights, weights of the wrong shape or
// missing, checkpoints that do not fit the model, malicious pickles, odd text. Each case
// proves the typed error and its message, and that nothing on disk was lost or changed.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/proto.js';
import { writeMetadata } from '../onnx/metadata.js';
import { stampDigest } from '../onnx/digest.js';
import { classifierModel, METADATA_KEYS } from '../models/classifier.js';
import { initParams } from '../models/init.js';
import { loadModel } from './node.js';
import { ModelLoadError, ModelRunError, ModelWeightsError } from './errors.js';
import { Predictor, type SessionLike, type TensorCtor } from './predictor.js';
import { readWeightsFile } from '../formats/weights-file.js';
import { InteropError } from '../formats/errors.js';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { train } from '../train/trainer.js';
import { builtinDataset } from '../data/builtin.js';
import type { Tensor } from '../onnx/tensor.js';
import { config, modelBytes, vocab } from '../../test/serve/helpers.js';
import { op, pk, ptZip, stateDictPickle, f32Bytes } from '../../test/interop/pickle-builder.js';
import { rejection } from '../../test/helpers/rejection.js';

ort.env.logLevel = 'fatal';
const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the test model with `edit` applied to its ModelProto, written to disk. */
function edited(name: string, edit: (m: ModelProto) => void): string {
  const m = decodeModel(modelBytes);
  edit(m);
  const path = join(dir, name);
  writeFileSync(path, encodeModel(m));
  return path;
}
const init = (m: ModelProto, name: string) => m.graph!.initializer!.find((t) => t.name === name)!;
function setFloat(m: ModelProto, name: string, index: number, value: number): void {
  const t = init(m, name);
  const f = new Float32Array(t.rawData!.slice().buffer);
  f[index] = value;
  t.rawData = new Uint8Array(f.buffer);
}

describe('NaN and infinite weights', () => {
  it('a NaN in a weight is refused at load time, naming the tensor, count and position', async () => {
    const path = edited('nan.onnx', (m) => {
      setFloat(m, 'layer1.bilstm.W', 5, NaN);
      setFloat(m, 'layer1.bilstm.W', 9, NaN);
    });
    const before = readFileSync(path);
    const e = await rejection(loadModel(path));
    expect(e).toBeInstanceOf(ModelWeightsError);
    expect(e.code).toBe('E_MODEL_WEIGHTS');
    expect(e.message).toMatch(/^the model's weights are not finite: weight 'layer1\.bilstm\.W' \[2,12,6\] holds 2 NaN value\(s\) \(first at flat index 5\)\. Its predictions would be NaN/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('Infinity in a trained weight is refused too; NaN in several tensors is counted', async () => {
    const inf = await rejection(loadModel(edited('inf.onnx', (m) => setFloat(m, 'output.bias', 1, -Infinity))));
    expect(inf.message).toMatch(/weight 'output\.bias' \[2\] holds 1 infinite value\(s\) \(first at flat index 1\)/);
    const many = await rejection(loadModel(edited('nan2.onnx', (m) => {
      setFloat(m, 'embedding.weight', 0, NaN);
      setFloat(m, 'layer2.gate.bias', 2, NaN);
    })));
    expect(many.message).toMatch(/weight 'embedding\.weight' .* holds 1 NaN .*; 1 more weight tensor\(s\) too/);
  });

  it('a model built from NaN parameters is refused the same way', async () => {
    const params = initParams(config);
    (params.get('layer2.bilstm.R')!.data as Float32Array).fill(NaN);
    const bytes = encodeModel(classifierModel(config, { params, vocab: vocab.toJSON() }));
    await expect(loadModel(bytes)).rejects.toThrow(/weight 'layer2\.bilstm\.R' \[2,12,3\] holds 72 NaN value\(s\)/);
  });

  it('if a session ever returns NaN probabilities, predict says so instead of returning them', async () => {
    const nanSession: SessionLike = {
      inputNames: ['ids', 'lengths'],
      outputNames: ['logits', 'probs'],
      run: async (feeds) => {
        const B = feeds.lengths!.dims[0]!;
        return { logits: { data: new Float32Array(2 * B).fill(NaN), dims: [B, 2] }, probs: { data: new Float32Array(2 * B).fill(NaN), dims: [B, 2] } };
      },
    };
    const info = { config, labels: config.labels, vocab };
    const p = new Predictor(nanSession, ort.Tensor as unknown as TensorCtor, info);
    const e = await rejection(p.predict(['a gripping film']));
    expect(e).toBeInstanceOf(ModelRunError);
    expect(e.message).toMatch(/non-finite probability \(NaN\) for input 0/);
  });
});

describe('weights of the wrong shape, or missing', () => {
  it('a config that does not match the weights names the weight, its shape and the expected one', async () => {
    const e = await rejection(loadModel(edited('shape.onnx', (m) => {
      writeMetadata(m, { [METADATA_KEYS.config]: JSON.stringify({ ...config, hidden: 4 }) });
    })));
    expect(e).toBeInstanceOf(ModelWeightsError);
    expect(e.message).toMatch(/^weight 'layer1\.bilstm\.W' is float32 \[2,12,6\]; the config \(highway, 2 layer\(s\), vocabSize \d+, embedDim 6, hidden 4, 2 classes\) needs float32 \[2,16,6\]$/);
  });

  it('a missing weight is named with the shape the config needs', async () => {
    const e = await rejection(loadModel(edited('missing.onnx', (m) => {
      m.graph!.initializer = m.graph!.initializer!.filter((t) => t.name !== 'output.bias');
    })));
    expect(e).toBeInstanceOf(ModelWeightsError);
    expect(e.message).toBe(`weight 'output.bias' is missing: the config (highway, 2 layer(s), vocabSize ${config.vocabSize}, embedDim 6, hidden 3, 2 classes) needs float32 [2]`);
  });

  it('a weight whose data does not fill its shape is a structural error', async () => {
    const e = await rejection(loadModel(edited('short.onnx', (m) => {
      const t = init(m, 'layer2.gate.bias');
      t.rawData = t.rawData!.slice(0, 8);
    })));
    expect(e).toBeInstanceOf(ModelLoadError);
    expect(e.message).toMatch(/^the model is structurally broken: graph: initializer 'layer2\.gate\.bias' has shape \[6\] \(6 values\) but holds 2/);
  });

  it('a graph whose input is renamed is refused at load time, not at the first request', async () => {
    const e = await rejection(loadModel(edited('renamed.onnx', (m) => {
      const input = m.graph!.input!.find((i) => i.name === 'lengths')!;
      input.name = 'lens';
      for (const n of m.graph!.node!) n.input = n.input!.map((x) => (x === 'lengths' ? 'lens' : x));
      stampDigest(m); // a consistent file, digest included: the renamed input is the only fault
    })));
    expect(e).toBeInstanceOf(ModelLoadError);
    expect(e.message).toMatch(/has no 'lengths' input: expected inputs ids int64 \[batch, time\] and lengths int32 \[batch\] \(or text, string \[batch\], for a raw-text model\), found ids, lens/);
  });
});

describe('checkpoints that do not fit, or hold NaN', () => {
  const data = builtinDataset({ trainSize: 48, devSize: 16, testSize: 0 });
  const base = (out: string) => ({ out, dataset: data, epochs: 1, batchSize: 16, seed: 3, maxSteps: 1, progress: false, log: () => undefined, model: { layers: 1, embedDim: 8, hidden: 4 } });

  it('resuming with another model or optimizer is a CheckpointError naming the tensor; the checkpoint stays as it was', async () => {
    const out = join(dir, 'run');
    await train(base(out));
    const path = join(out, 'checkpoint.safetensors');
    const before = readFileSync(path);
    // allowChanges: past the settings check (E_RESUME_MISMATCH, refusals.test.ts) to the tensor-level fit check.
    const wider = await rejection(train({ ...base(out), resume: true, allowChanges: true, model: { layers: 1, embedDim: 8, hidden: 5 } }));
    expect(wider).toBeInstanceOf(CheckpointError);
    expect(wider.message).toMatch(/does not fit this model: parameter 'layer1\.bilstm\.W' is \[2,16,8\] in the checkpoint, the model needs \[2,20,8\]/);
    const deeper = await rejection(train({ ...base(out), resume: true, allowChanges: true, model: { layers: 2, embedDim: 8, hidden: 4 } }));
    expect(deeper.message).toMatch(/does not fit this model: it has no parameter 'layer2\.bilstm\.W'/);
    // Adam's checkpoint lacks the state SGD with momentum needs (resuming it with plain SGD is fine).
    const momentum = await rejection(train({ ...base(out), resume: true, allowChanges: true, optimizer: { kind: 'sgd', momentum: 0.9 } }));
    expect(momentum).toBeInstanceOf(CheckpointError);
    expect(momentum.message).toMatch(/does not fit this model: it has no optimizer state '.*' \(needed: \[.*\]\); was it made with other .*--optimizer options\?/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect((await loadCheckpoint(path)).position.step).toBe(1);
  }, 60_000);

  it('a checkpoint holding NaN, or a broken position record, is refused on load', async () => {
    const t = (v: number): Tensor => ({ dtype: 'float32', dims: [3], data: Float32Array.of(1, v, 3) });
    const position = { step: 4, epoch: 0, batchInEpoch: 4, bestDevAccuracy: -1, bestEpoch: -1, epochsWithoutImprovement: 0, seed: 1 };
    const nan = join(dir, 'nan.safetensors');
    await saveCheckpoint(nan, { params: new Map([['w', t(NaN)]]), state: new Map(), position });
    await expect(loadCheckpoint(nan)).rejects.toThrow(/tensor 'param\/w' \[3\] holds NaN at flat index 1; a checkpoint must be finite/);
    const bad = join(dir, 'pos.safetensors');
    await saveCheckpoint(bad, { params: new Map([['w', t(2)]]), state: new Map(), position: { ...position, step: -2 } });
    await expect(loadCheckpoint(bad)).rejects.toThrow(/position\.step should be a non-negative integer, found -2/);
    // A weights file that is not a checkpoint at all.
    await expect(loadCheckpoint(join(dir, 'nope.safetensors'))).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringMatching(/unreadable: .*ENOENT/) });
  });
});

describe('malicious pickles are refused, never executed', () => {
  const sentinel = join(dir, 'PWNED');
  const payloads: [string, string, string][] = [
    ['os', 'system', `touch ${sentinel}`],
    ['posix', 'system', `touch ${sentinel}`],
    ['subprocess', 'check_call', `touch ${sentinel}`],
    ['builtins', 'exec', `open(${JSON.stringify(sentinel)}, 'w')`],
    ['builtins', 'eval', `__import__('os').system('touch ${sentinel}')`],
    ['builtins', '__import__', 'os'],
    ['shutil', 'rmtree', dir],
    ['torch', 'load', sentinel],
  ];
  it.each(payloads)('%s.%s inside a torch zip: readWeightsFile and loadCheckpoint refuse it', async (module, name, arg) => {
    const pkl = pk(op.proto, op.global(module, name), op.str(arg), op.tuple1, op.reduce, op.stop);
    const path = join(dir, `evil-${module}-${name}.pt`);
    writeFileSync(path, ptZip(pkl));
    const e = await rejection(readWeightsFile(path));
    expect(e).toBeInstanceOf(InteropError);
    expect(e.code).toBe('E_PICKLE');
    expect(e.message).toContain(`refusing global '${module}.${name}'`);
    await expect(loadCheckpoint(path)).rejects.toThrow(CheckpointError);
    expect(existsSync(sentinel)).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });

  it('a payload hidden inside an otherwise valid state dict is refused too', async () => {
    const good = stateDictPickle([{ name: 'w', numel: 2, size: [2], stride: [1] }]);
    // Replace the final STOP with: a second dict entry whose value is os.system('touch …').
    const evil = pk(good.subarray(0, good.length - 2), op.str('x'), op.global('os', 'system'), op.str(`touch ${sentinel}`), op.tuple1, op.reduce, op.setitem, op.stop);
    const path = join(dir, 'hidden.pt');
    writeFileSync(path, ptZip(evil, { 0: f32Bytes([1, 2]) }));
    await expect(readWeightsFile(path)).rejects.toThrow(/refusing global 'os\.system'/);
    expect(existsSync(sentinel)).toBe(false);
  });
});

describe('text the model never saw', () => {
  it('unknown tokens become <unk>, empty text scores as <unk>, odd Unicode is fine', async () => {
    const p = await loadModel(modelBytes);
    const [unk, empty, surrogate, controls] = await p.predict(['xyzzy plugh', '', 'wonderful \ud800 film', 'a\u0000b\u200b\tc']);
    expect(p.encode('xyzzy plugh').ids).toEqual([1, 1]);
    expect(empty!.tokens).toEqual(['<unk>']);
    for (const x of [unk, empty, surrogate, controls]) expect(x!.probs.every(Number.isFinite)).toBe(true);
  });

  it('sequences far longer than any seen in training are scored, and padding them does not change short neighbours', async () => {
    // No cap here (maxLength Infinity): the whole sequence runs through the LSTM.
    const p = await loadModel(modelBytes, { maxLength: Number.POSITIVE_INFINITY });
    const long = 'the plot is dull but the acting is great '.repeat(2500); // 22 500 tokens; training had ≤ 9
    const [alone] = await p.predict(['wonderful']);
    const [l, short] = await p.predict([long, 'wonderful']);
    expect(l!.tokens).toHaveLength(22_500);
    expect(l!.truncatedFrom).toBeUndefined();
    expect(l!.probs.every(Number.isFinite)).toBe(true);
    short!.probs.forEach((v, k) => expect(v).toBeCloseTo(alone!.probs[k]!, 6));
    // The default cap (DEFAULT_MAX_TOKENS = 1000) scores the first 1000 tokens and says so.
    const capped = await loadModel(modelBytes);
    const [c] = await capped.predict([long]);
    expect(c!.tokens).toHaveLength(1000);
    expect(c!.truncatedFrom).toBe(22_500);
  });
});
