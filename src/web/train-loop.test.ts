// The browser's training loop without a browser: onnxruntime-web (WASM) under Node runs the
// same steps as onnxruntime-node, and nothing the browser entry reaches imports Node modules.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { Training, trainInBrowser, webStepRuntime } from './train.js';
import type { EpochEnd, StepInfo } from '../train/loop.js';
import { nodeStepRuntime } from '../train/node-runtime.js';
import type { Ort } from './ort.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('browser training loop', () => {
  it('takes the same steps on onnxruntime-web (WASM) as on onnxruntime-node', async () => {
    const opts = { trainSize: 320, devSize: 64, maxSteps: 12, model: { layers: 2, embedDim: 16, hidden: 8 } };
    const losses = async (t: Training): Promise<number[]> => {
      const out: number[] = [];
      for (let r = await t.next(); r; r = await t.next()) out.push(r.loss);
      await t.release();
      return out;
    };
    const web = await losses(await Training.open({ ...opts, runtime: webStepRuntime(ortWeb as unknown as Ort) }));
    const node = await losses(await Training.open({ ...opts, runtime: nodeStepRuntime({ device: 'cpu' }) }));
    expect(web).toHaveLength(12);
    web.forEach((l, i) => expect(Math.abs(l - node[i]!), `step ${i + 1}: ${l} vs ${node[i]}`).toBeLessThan(1e-4));
  }, 60_000);

  it('trainInBrowser learns, reports progress and stops when asked', async () => {
    const seen: number[] = [];
    const r = await trainInBrowser({
      trainSize: 320, devSize: 64, epochs: 3, model: { layers: 1, embedDim: 16, hidden: 8 },
      runtime: nodeStepRuntime({ device: 'cpu' }),
      onProgress: (p) => seen.push(p.step),
      shouldStop: () => seen.length >= 25,
    });
    expect(r.stopped).toBe(true);
    expect(r.steps).toBe(25);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(r.history.some((h) => h.devAccuracy !== undefined)).toBe(true);
    expect(r.modelBytes.length).toBeGreaterThan(1000);
  }, 60_000);
});

describe('browser training callbacks (onnxruntime-web, WASM)', () => {
  it('onStep, onEpochEnd and signal: the names and meaning of Node\'s train()', async () => {
    const steps: StepInfo[] = [];
    const ends: EpochEnd[] = [];
    const stop = new AbortController();
    // 320 sentences, batch 32: 10 steps an epoch; aborted from onStep at step 13.
    const r = await trainInBrowser({
      trainSize: 320, devSize: 64, epochs: 3, model: { layers: 1, embedDim: 16, hidden: 8 },
      runtime: webStepRuntime(ortWeb as unknown as Ort),
      signal: stop.signal,
      onStep: (s) => {
        steps.push(s);
        if (s.step === 13) stop.abort('enough');
      },
      onEpochEnd: (e) => void ends.push(e),
    });
    expect(r.stopped).toBe(true);
    expect(r.steps).toBe(13);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(steps.map((s) => s.loss)).toEqual(r.history.map((h) => h.loss));
    expect(ends.map((e) => [e.epoch, e.steps])).toEqual([[1, 10], [2, 13]]);
    // Epoch 1's dev figures are those the progress of its last step carried.
    expect(ends[0]!.devAccuracy).toBe(r.history[9]!.devAccuracy);
    expect(ends[0]!.trainLoss).toBeCloseTo(steps.slice(0, 10).reduce((a, s) => a + s.loss * s.size, 0) / steps.slice(0, 10).reduce((a, s) => a + s.size, 0), 12);
  }, 60_000);
});

describe('src/web browser safety', () => {
  // Walk the static import graph from the browser entries: no node:* module, no onnxruntime-node.
  it('reaches no Node-only module', () => {
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const spec = (m[1] ?? m[2])!;
        if (/^\s*(?:import|export)\s+type\s/.test(m[0].trim())) continue; // erased at build time
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (spec.startsWith('node:') || spec === 'onnxruntime-node' || ['fs', 'path', 'os', 'child_process', 'url'].includes(spec)) bad.push(`${file.slice(ROOT.length + 1)} imports ${spec}`);
      }
    };
    for (const entry of ['src/web/index.ts', 'src/web/worker.ts', 'examples/web/main.ts', 'examples/web/bench.ts', 'examples/web/train-worker.ts']) visit(join(ROOT, entry));
    expect(seen.size).toBeGreaterThan(30);
    expect(bad).toEqual([]);
  });
});
