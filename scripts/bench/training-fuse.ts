// Before/after of the fused LSTM backward (autodiff's `fuse`): two step runners of the training
// benchmark's model in one process, one on the unfused graph (`fuse: false`, the graph as built
// before) and one on the fused graph (the default), stepping through the same batches and masks
// in alternating windows (the order flips every window), so the machine's load hits both alike.
// Prints one JSON object: per side the median CPU and wall ms per step, the graph's node and Scan
// counts, and the median of the per-window ratios unfused/fused (> 1: the fused graph is faster).
// `npx tsx scripts/bench/training-fuse.ts [--layers 4] [--embedding-update lazy] [--windows 9] [--steps 8]`
import { loadavg } from 'node:os';
import { Rng } from '../../src/data/rng.js';
import { lengthBucketedBatches, padBatch } from '../../src/data/batches.js';
import { initParams } from '../../src/models/init.js';
import { allocate } from '../../src/onnx/tensor.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { buildStepGraphs, type StepGraphs } from '../../src/train/step-graph.js';
import { TrainSession } from '../../src/train/node-runtime.js';
import { DropoutBuffers, withDropout } from '../../src/train/classifier-feeds.js';
import { readSstBinary, trainingBenchConfig } from './training.js';
import { stepBenchOptions } from './step-bench-options.js';
import { median } from './stats.js';

const o = stepBenchOptions('bench:training-fuse', { windows: 9, embeddingUpdate: 'lazy' });

const optimizer: OptimizerSpec = { kind: 'adam', embeddingUpdate: o.embeddingUpdate === 'lazy' ? 'lazy' : 'dense' };
const data = await readSstBinary(o.data);
const config = trainingBenchConfig(data.vocabSize, o.layers);
const params = initParams(config);
const plan = lengthBucketedBatches(data.encoded, 32, new Rng(1));
const batchAt = (i: number) => {
  const idx = plan[i % plan.length]!;
  return { batch: padBatch(idx.map((j) => data.encoded[j]!)), labels: BigInt64Array.from(idx, (j) => BigInt(data.labels[j]!)) };
};

type Side = 'unfused' | 'fused';
const graphs: Record<Side, StepGraphs> = { unfused: buildStepGraphs(config, optimizer, { params, fuse: false }), fused: buildStepGraphs(config, optimizer, { params }) };
const runners = Object.fromEntries(await Promise.all((['unfused', 'fused'] as Side[]).map(async (side) => {
  const state = new Map(optimizerState(optimizer, graphs[side].params).map((s) => [s.name, allocate('float32', s.dims)]));
  return [side, { runner: await TrainSession.create(graphs[side], params, state, { device: 'cpu', threads: o.threads }), masks: new DropoutBuffers(), step: 0 }];
}))) as Record<Side, { runner: Awaited<ReturnType<typeof TrainSession.create>>; masks: DropoutBuffers; step: number }>;

const cpu: Record<Side, number[]> = { unfused: [], fused: [] };
const wall: Record<Side, number[]> = { unfused: [], fused: [] };
const window = async (side: Side, timed: boolean): Promise<void> => {
  const r = runners[side];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) {
    r.step++;
    await r.runner.step(withDropout(batchAt(r.step - 1), config, config.seed, r.step, r.masks), { lr: 1e-3, step: r.step });
  }
  const c = process.cpuUsage(c0);
  if (!timed) return;
  cpu[side].push((c.user + c.system) / 1000 / o.steps);
  wall[side].push((performance.now() - t0) / o.steps);
};
for (const side of ['unfused', 'fused'] as Side[]) await window(side, false);
for (let w = 0; w < o.windows; w++) for (const side of (w % 2 === 0 ? ['unfused', 'fused'] : ['fused', 'unfused']) as Side[]) await window(side, true);
for (const r of Object.values(runners)) await r.runner.release();

const r2 = (x: number): number => Math.round(x * 100) / 100;
const nodes = (g: StepGraphs, type?: string): number => g.trainStep.graph!.node!.filter((n) => !type || n.opType === type).length;
console.log(JSON.stringify({
  layers: o.layers, embeddingUpdate: optimizer.embeddingUpdate, threads: o.threads, windows: o.windows, stepsPerWindow: o.steps, loadAverage: r2(loadavg()[0]!),
  unfused: { nodes: nodes(graphs.unfused), scans: nodes(graphs.unfused, 'Scan'), cpuMsPerStep: r2(median(cpu.unfused)), wallMsPerStep: r2(median(wall.unfused)) },
  fused: { nodes: nodes(graphs.fused), scans: nodes(graphs.fused, 'Scan'), cpuMsPerStep: r2(median(cpu.fused)), wallMsPerStep: r2(median(wall.fused)) },
  ratio: { cpu: r2(median(cpu.unfused.map((x, i) => x / cpu.fused[i]!))), wall: r2(median(wall.unfused.map((x, i) => x / wall.fused[i]!))) },
}, null, 1));
