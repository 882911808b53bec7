// Device benchmark (`npm run bench -- --device webgpu|cuda`): the same model and batches on the
// device and on onnxruntime-node's CPU provider in the same run — inference throughput and
// training steps per second as device/cpu ratios, with the largest differences in
// probabilities and losses. The adapter is named; a software adapter's figures (SwiftShader)
// measure correctness, not speed, and are labelled so.
import { loadModel } from '../../src/runtime/node.js';
import type { Device } from '../../src/runtime/device.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { Rng } from '../../src/data/rng.js';
import { nodeStepRuntime } from '../../src/train/node-runtime.js';
import { timeSteps, Training } from '../../src/web/train.js';
import { interleaved, markdownTable, percentile } from './stats.js';

export interface DeviceBench {
  device: Device;
  provider: string;
  /** The adapter (WebGPU) or provider the device runs on. */
  adapter: string;
  software: boolean;
  inference: { layers: number; batch: number; deviceSentPerSec: number; cpuSentPerSec: number; ratio: number; maxProbDiff: number }[];
  training: { layers: number; steps: number; deviceStepsPerSec: number; cpuStepsPerSec: number; ratio: number; maxLossDiff: number }[];
}

/** Ragged id sequences, lengths 5..2·seqLen−5, from a seed. */
function ragged(seed: number, batch: number, seqLen: number, vocab: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: batch }, () => Array.from({ length: 5 + rng.nextInt(2 * seqLen - 10) }, () => 2 + rng.nextInt(vocab - 2)));
}

export async function benchDevice(device: Device, opts: { layers: number[]; batches: number[]; seconds: number; trainSteps: number }): Promise<DeviceBench> {
  const result: DeviceBench = { device, provider: '', adapter: '', software: false, inference: [], training: [] };
  for (const layers of opts.layers) {
    const config = resolveConfig({ layers, vocabSize: 20000, embedDim: 100, hidden: 50, kind: 'highway' });
    const bytes = encodeModel(classifierModel(config, {}));
    const gpu = await loadModel(bytes, { device, maxBatch: 1024 });
    const cpu = await loadModel(bytes, { device: 'cpu', maxBatch: 1024 });
    result.provider = gpu.provider;
    result.adapter = gpu.adapter?.name ?? gpu.provider;
    result.software = gpu.adapter?.software ?? false;
    for (const batch of opts.batches) {
      const seqs = ragged(layers * 1000 + batch, batch, 20, config.vocabSize);
      const [a, b] = [await gpu.predict(seqs), await cpu.predict(seqs)];
      const maxProbDiff = Math.max(...a.flatMap((p, i) => p.probs.map((v, k) => Math.abs(v - b[i]!.probs[k]!))));
      const t = await interleaved(() => gpu.predict(seqs), () => cpu.predict(seqs), { seconds: opts.seconds, minIters: 3, warmup: 2 });
      const p50 = (xs: number[]): number => percentile([...xs].sort((x, y) => x - y), 50);
      const row = { layers, batch, deviceSentPerSec: (batch * 1000) / p50(t.a), cpuSentPerSec: (batch * 1000) / p50(t.b), ratio: p50(t.b) / p50(t.a), maxProbDiff };
      result.inference.push(row);
      process.stderr.write(`  ${device} inference layers=${layers} batch=${batch}: ${row.deviceSentPerSec.toFixed(0)}/s vs cpu ${row.cpuSentPerSec.toFixed(0)}/s, max |Δp| ${maxProbDiff.toExponential(1)}\n`);
    }
    await gpu.release();
    await cpu.release();

    // Training: the same run (built-in data, batch 32, seeded batches and dropout masks) on both.
    const train = { trainSize: 640, devSize: 32, epochs: 50, seed: 1, model: { kind: 'highway' as const, layers, embedDim: 100, hidden: 50, dropout: 0.4 } };
    const onDevice = await Training.open({ ...train, runtime: nodeStepRuntime({ device }) });
    const onCpu = await Training.open({ ...train, runtime: nodeStepRuntime({ device: 'cpu' }) });
    const losses = async (t: Training, n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await t.next())!.loss);
      return out;
    };
    // The first steps (new batch shapes: kernels compile) also give the loss comparison.
    const warm = Math.max(3, Math.min(20, opts.trainSteps));
    const [la, lb] = [await losses(onDevice, warm), await losses(onCpu, warm)];
    const maxLossDiff = Math.max(...la.map((l, i) => Math.abs(l - lb[i]!)));
    const td = await timeSteps(onDevice, opts.trainSteps);
    const tc = await timeSteps(onCpu, opts.trainSteps);
    await onDevice.release();
    await onCpu.release();
    const row = { layers, steps: td.steps, deviceStepsPerSec: td.steps / td.seconds, cpuStepsPerSec: tc.steps / tc.seconds, ratio: (td.steps / td.seconds) / (tc.steps / tc.seconds), maxLossDiff };
    result.training.push(row);
    process.stderr.write(`  ${device} training layers=${layers}: ${row.deviceStepsPerSec.toFixed(2)} steps/s vs cpu ${row.cpuStepsPerSec.toFixed(2)}, max |Δloss| ${maxLossDiff.toExponential(1)} over ${warm} steps\n`);
  }
  return result;
}

/** The Markdown section for bench.md. */
export function deviceSection(r: DeviceBench): string {
  const label = r.software ? ' — **correctness only**: a software adapter emulates the GPU on the CPU, so these speeds say nothing about a GPU' : '';
  return [
    `## ${r.device} against cpu (adapter: ${r.adapter}${r.software ? ', software' : ''})${label}`,
    '',
    markdownTable(
      ['layers', 'batch', `${r.device} sent/s`, 'cpu sent/s', `${r.device}/cpu`, 'max abs Δp'],
      r.inference.map((x) => [x.layers, x.batch, x.deviceSentPerSec.toFixed(0), x.cpuSentPerSec.toFixed(0), `${x.ratio.toPrecision(2)}×`, x.maxProbDiff.toExponential(1)]),
    ),
    '',
    `Training (built-in data, batch 32, Adam; embed 100, hidden 50):`,
    '',
    markdownTable(
      ['layers', 'steps timed', `${r.device} steps/s`, 'cpu steps/s', `${r.device}/cpu`, 'max abs Δloss'],
      r.training.map((x) => [x.layers, x.steps, x.deviceStepsPerSec.toFixed(2), x.cpuStepsPerSec.toFixed(2), `${x.ratio.toPrecision(2)}×`, x.maxLossDiff.toExponential(1)]),
    ),
  ].join('\n');
}
