// Corrupt files through the entry points users call — loadModel (.onnx), readWeightsFile
// (.safetensors, .pt), loadCheckpoint — not the parsers alone (src/onnx/bad-input.test.ts and
// src/formats/*.test.ts fuzz those). Every mutation of a real file either loads (and then predicts
// finite probabilities) or fails with a typed error carrying a code; no crash, no hang, and
// the original files are never touched. FUZZ_SCALE=N multiplies the counts.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from './node.js';
import { readWeightsFile } from '../formats/weights-file.js';
import { loadCheckpoint, saveCheckpoint, CheckpointError } from '../train/checkpoint.js';
import { initParams } from '../models/init.js';
import { InteropError } from '../formats/errors.js';
import { ModelLoadError } from './errors.js';
import type { Tensor } from '../onnx/tensor.js';
import { config, modelBytes } from '../../test/serve/helpers.js';
import { attempt, mutate, newTally, rng, SCALE, type FuzzTally } from '../../test/hardening/mutate.js';

ort.env.logLevel = 'fatal'; // corrupt models make onnxruntime log errors we expect

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const tallies: Record<string, FuzzTally> = {};

async function fuzzFile(name: string, original: Uint8Array, count: number, seed: number, load: (path: string) => Promise<void>, head?: number): Promise<FuzzTally> {
  const tally = newTally();
  const next = rng(seed);
  const path = join(dir, `victim-${name}`);
  for (let k = 0; k < count; k++) {
    const { kind, bytes } = mutate(original, k, next, head);
    writeFileSync(path, bytes);
    await attempt(tally, `${name} mutation ${k}`, kind, () => load(path));
  }
  tallies[name] = tally;
  expect(tally.tried).toBe(count);
  expect(Object.values(tally.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(count / 4);
  return tally;
}

function realCheckpoint(): { params: Map<string, Tensor>; state: Map<string, Tensor> } {
  const params = initParams(config);
  const state = new Map<string, Tensor>();
  for (const [name, t] of params) {
    for (const slot of ['m', 'v']) {
      const d = new Float32Array(t.data.length);
      for (let i = 0; i < d.length; i++) d[i] = slot === 'm' ? Math.sin(i) * 1e-3 : 1e-6 * (1 + (i % 7));
      state.set(`${name}.adam.${slot}`, { dtype: 'float32', dims: [...t.dims], data: d });
    }
  }
  return { params, state };
}

describe('fuzz through user-facing entry points', () => {
  it(`loadModel: ${500 * SCALE} mutations of a real model.onnx — load and predict finite, or a typed error`, async () => {
    const original = Uint8Array.from(modelBytes);
    const t = await fuzzFile('model.onnx', original, 500 * SCALE, 0xc0ffee, async (path) => {
      const p = await loadModel(path, { device: 'cpu' });
      try {
        for (const pred of await p.predict(['a gripping film', '', 'zzz unknown words'])) {
          expect(pred.probs.every(Number.isFinite)).toBe(true);
        }
      } finally {
        await p.release();
      }
    });
    expect(sha(original)).toBe(sha(modelBytes));
    expect(t.ok).toBeGreaterThan(0);
  }, 120_000);

  for (const [file, count] of [['interop/tiny_state_dict.safetensors', 500], ['torch/highway-1-projection.safetensors', 300], ['interop/tiny_state_dict.pt', 500]] as const) {
    it(`readWeightsFile: ${count * SCALE} mutations of ${file} (written by Python) — tensors or an InteropError`, async () => {
      const original = new Uint8Array(readFileSync(join(FIXTURES, file)));
      const before = sha(original);
      await fuzzFile(file.split('/')[1]!, original, count * SCALE, count + file.length, async (path) => {
        const { tensors } = await readWeightsFile(path);
        for (const [name, x] of tensors) expect(x.data.length, name).toBe(x.shape.reduce((a, b) => a * b, 1));
      });
      expect(sha(new Uint8Array(readFileSync(join(FIXTURES, file))))).toBe(before);
    }, 120_000);
  }

  it(`loadCheckpoint: ${500 * SCALE} mutations of a real checkpoint — a finite checkpoint or a CheckpointError`, async () => {
    const path = join(dir, 'real.safetensors');
    const { params, state } = realCheckpoint();
    await saveCheckpoint(path, { params, state, position: { step: 12, epoch: 1, batchInEpoch: 3, bestDevAccuracy: 0.75, bestEpoch: 1, epochsWithoutImprovement: 0, seed: 1 } });
    const original = new Uint8Array(readFileSync(path));
    const headerLen = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(0, true));
    const t = await fuzzFile('checkpoint.safetensors', original, 500 * SCALE, 0xdecaf, async (p) => {
      const c = await loadCheckpoint(p);
      for (const x of [...c.params.values(), ...c.state.values()]) expect((x.data as Float32Array).every(Number.isFinite)).toBe(true);
      expect(Number.isSafeInteger(c.position.step)).toBe(true);
    }, 8 + headerLen);
    // Every failure of the entry point is a CheckpointError, whatever layer found the damage.
    expect(Object.keys(t.errors)).toEqual(['E_CHECKPOINT']);
  }, 120_000);

  it('files larger than the formats allow are refused before being read (sparse 3 GiB files)', async () => {
    for (const name of ['big.onnx', 'big.safetensors']) {
      writeFileSync(join(dir, name), '');
      truncateSync(join(dir, name), 3 * 2 ** 30);
    }
    await expect(loadModel(join(dir, 'big.onnx'))).rejects.toThrow(ModelLoadError);
    await expect(loadModel(join(dir, 'big.onnx'))).rejects.toThrow(/is 3221225472 bytes: an .onnx file holds at most 2147483647 bytes/);
    await expect(readWeightsFile(join(dir, 'big.safetensors'))).rejects.toThrow(InteropError);
    await expect(readWeightsFile(join(dir, 'big.safetensors'))).rejects.toThrow(/weights files over 2147483647 bytes \(2 GiB\) are not supported/);
    await expect(loadCheckpoint(join(dir, 'big.safetensors'))).rejects.toThrow(CheckpointError);
    // Missing files and directories are typed too.
    await expect(readWeightsFile(join(dir, 'nope.pt'))).rejects.toMatchObject({ code: 'E_FILE', message: expect.stringMatching(/ENOENT/) });
    await expect(loadModel(dir)).rejects.toThrow(/is a directory: expected an .onnx file/);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/is a directory/);
  });

  afterAll(() => {
    const summary = Object.entries(tallies).map(([name, t]) => `${name}: ${t.tried} mutations, ${t.ok} loaded, ${JSON.stringify(t.errors)}, slowest ${t.slowestMs.toFixed(0)} ms`);
    const total = Object.values(tallies).reduce((a, t) => a + t.tried, 0);
    console.log(`fuzz (FUZZ_SCALE=${SCALE}): ${total} mutations, crashes 0, untyped errors 0\n  ${summary.join('\n  ')}`);
  });
});
