// Where a training step's time goes, on the training benchmark's own model and batches
// (scripts/bench/training.ts: SST-2 sentences, Highway BiLSTM, embed 100, hidden 50, projection
// carry, dropout 0.5, Adam, batch 32, length-bucketed with Rng(1)). The step runs through
// StepRunner exactly as train() runs it (preallocated outputs on CPU, row outputs with the lazy
// update), with onnxruntime's profiler on the step session. Per step:
//   wall     performance.now() around StepRunner.step() (feeds, run, binding copies, row scatter)
//   run      onnxruntime's own `model_run` event (inside InferenceSession::Run)
//   kernels  the sum of the node kernel events
//   masks    drawing the dropout masks (before step(), as train() does)
// so `wall − run` is our JavaScript plus the binding (tensor wrapping, output copies) and
// `run − kernels` onnxruntime's per-node dispatch and allocation. Kernel time is grouped by op
// type (with the graph's node count of that type) and by node name.
// `npx tsx scripts/bench/training-profile.ts [--layers 1] [--steps 40] [--embedding-update dense|lazy] [--threads 2] [--top 20] [--no-fuse]`
import { readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Rng } from '../../src/data/rng.js';
import { lengthBucketedBatches, padBatch } from '../../src/data/batches.js';
import { initParams } from '../../src/models/init.js';
import { allocate } from '../../src/onnx/tensor.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { buildStepGraphs } from '../../src/train/step-graph.js';
import { DropoutBuffers, openClassifierRunner, withDropout } from '../../src/train/classifier-feeds.js';
import { positiveInt } from '../../src/cli/args.js';
import { profiledStepRuntime } from './profiled-runtime.js';
import { readSstBinary, trainingBenchConfig } from './training.js';

const o = new Command('bench:training-profile')
  .option('--data <dir>', 'SST directory (train.txt), as the training benchmark reads it', '../shared/data/sst')
  .option('--layers <n>', 'Highway BiLSTM layers', positiveInt, 1)
  .option('--steps <n>', 'profiled steps (5 more run first and are left out)', positiveInt, 40)
  .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt, 2)
  .option('--embedding-update <how>', "Adam's embedding update: dense or lazy", 'dense')
  .option('--top <n>', 'rows of the per-op and per-node tables', positiveInt, 20)
  .option('--no-fuse', "the unfused backward (autodiff's fuse off: the graph before the fused LSTM backward)")
  .parse(process.argv)
  .opts<{ data: string; layers: number; steps: number; threads: number; embeddingUpdate: string; top: number; fuse: boolean }>();

const WARMUP = 5;
const optimizer: OptimizerSpec = { kind: 'adam', embeddingUpdate: o.embeddingUpdate === 'lazy' ? 'lazy' : 'dense' };
const data = await readSstBinary(o.data);
const config = trainingBenchConfig(data.vocabSize, o.layers);
const params = initParams(config);
const graphs = buildStepGraphs(config, optimizer, { params, fuse: o.fuse });
const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));

const prefix = `training-profile-${process.pid}`;
const { runtime, sessions } = profiledStepRuntime(o.threads, join(tmpdir(), prefix));
const runner = await openClassifierRunner(runtime, graphs, { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) }, params, state);

const plan = lengthBucketedBatches(data.encoded, 32, new Rng(1));
const masks = new DropoutBuffers();
const wall: number[] = [];
const cpu: number[] = [];
const maskMs: number[] = [];
for (let i = 0; i < o.steps + WARMUP; i++) {
  const idx = plan[i % plan.length]!;
  const labelled = { batch: padBatch(idx.map((j) => data.encoded[j]!)), labels: BigInt64Array.from(idx, (j) => BigInt(data.labels[j]!)) };
  const m0 = performance.now();
  const batch = withDropout(labelled, config, config.seed, i + 1, masks);
  const t = performance.now();
  const c0 = process.cpuUsage();
  await runner.step(batch, { lr: 1e-3, step: i + 1 });
  const c = process.cpuUsage(c0);
  if (i >= WARMUP) {
    wall.push(performance.now() - t);
    cpu.push((c.user + c.system) / 1000);
    maskMs.push(t - m0);
  }
}
sessions[0]!.endProfiling();
await runner.release();

interface Event { cat: string; name: string; dur: number; args?: { op_name?: string } }
const file = (await readdir(tmpdir())).filter((f) => f.startsWith(prefix)).map((f) => join(tmpdir(), f))[0];
if (!file) throw new Error(`no profile file with prefix ${prefix} in ${tmpdir()}`);
const events = JSON.parse(await readFile(file, 'utf8')) as Event[];
await rm(file);
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000);
const nodeEvents = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
// Kernel events of the warm-up runs are dropped in proportion (every run has the same nodes, Scan bodies included).
const perRun = nodeEvents.length / runs.length;
const timed = nodeEvents.slice(Math.round(perRun * WARMUP));
const timedRuns = runs.slice(WARMUP);
// Nodes of Scan bodies (named `<scan>.body.<node>` by the builder) run inside their Scan's kernel
// event: they are listed on their own and left out of the kernel total.
const inBody = (name: string): boolean => name.includes('.body.');
const byOp = new Map<string, number>();
const byNode = new Map<string, { op: string; ms: number }>();
const bodyByOp = new Map<string, number>();
for (const e of timed) {
  const op = e.args?.op_name ?? '?';
  if (inBody(e.name)) {
    bodyByOp.set(op, (bodyByOp.get(op) ?? 0) + e.dur / 1000);
    continue;
  }
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000);
  const node = e.name.replace(/_kernel_time$/, '');
  const r = byNode.get(node) ?? { op, ms: 0 };
  r.ms += e.dur / 1000;
  byNode.set(node, r);
}
const nodeCount = new Map<string, number>();
for (const n of graphs.trainStep.graph?.node ?? []) nodeCount.set(n.opType!, (nodeCount.get(n.opType!) ?? 0) + 1);
const n = timedRuns.length;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const kernels = sum([...byOp.values()]) / n;
const run = sum(timedRuns) / n;
const w = sum(wall) / n;
const f2 = (x: number): number => Math.round(x * 100) / 100;
console.log(JSON.stringify({
  layers: o.layers, embeddingUpdate: optimizer.embeddingUpdate, fuse: o.fuse, threads: o.threads, steps: n, vocabulary: data.vocabSize, nodes: graphs.nodeCount, loadAverage: loadavg()[0],
  msPerStep: { wall: f2(w), cpu: f2(sum(cpu) / n), run: f2(run), kernels: f2(kernels), dispatch: f2(run - kernels), outsideRun: f2(w - run), masks: f2(sum(maskMs) / n) },
  byOp: [...byOp].sort((a, b) => b[1] - a[1]).slice(0, o.top).map(([op, ms]) => ({ op, nodes: nodeCount.get(op) ?? 0, ms: f2(ms / n), share: f2((ms / n / kernels) * 100) })),
  scanBodies: [...bodyByOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => ({ op, ms: f2(ms / n) })),
  byNode: [...byNode].sort((a, b) => b[1].ms - a[1].ms).slice(0, o.top).map(([node, r]) => ({ node, op: r.op, ms: f2(r.ms / n) })),
}, null, 1));
