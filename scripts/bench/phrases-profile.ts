// Which nodes of the training step take a phrase step's time: onnxruntime's own profiler
// over real phrase-level steps. `npx tsx scripts/bench/phrases-profile.ts [--layers 1] [--steps 40] [--embedding-update dense|lazy]`
//
// Same model and batches as scripts/bench/phrases.ts (Highway BiLSTM, Adam, batch 32 or --batch, epoch 1's
// phrase order). onnxruntime-node's profiler (`enableProfiling`) records every node's kernel time
// and every run's total; nodes are grouped by op type and by whether they touch the embedding
// table (their name holds `embedding`): its Gather, the ScatterND that builds its dense
// gradient, its share of the global norm and its Adam update. What the runs take beyond the
// kernels is onnxruntime's own per-run work (binding the inputs, allocating and copying out
// the outputs). Prints one JSON object; the profile file is deleted afterwards.
import { readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { Rng } from '../../src/data/rng.js';
import { lengthBucketedBatches, padBatch } from '../../src/data/batches.js';
import { resolveConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { allocate } from '../../src/onnx/tensor.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { dropoutMask, stepRng } from '../../src/train/dropout.js';
import { buildStepGraphs } from '../../src/train/step-graph.js';
import { openClassifierRunner } from '../../src/train/classifier-feeds.js';
import { positiveInt } from '../../src/cli/args.js';
import { profiledStepRuntime } from './profiled-runtime.js';

const o = new Command('bench:phrases-profile')
  .option('--data <dir>', 'SST trees', '../shared/data/sst-trees')
  .option('--layers <n>', 'Highway BiLSTM layers', positiveInt, 1)
  .option('--steps <n>', 'profiled steps (5 more run first and are left out)', positiveInt, 40)
  .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt, 2)
  .option('--embedding-update <how>', "Adam's embedding update: dense or lazy", 'dense')
  .option('--batch <n>', 'examples per step (the step count of an epoch falls with it)', positiveInt, 32)
  .parse(process.argv)
  .opts<{ data: string; layers: number; steps: number; threads: number; embeddingUpdate: string; batch: number }>();

const optimizer: OptimizerSpec = { kind: 'adam', clipNorm: 5, embeddingUpdate: o.embeddingUpdate === 'lazy' ? 'lazy' : 'dense' };
const data = await readDataset(o.data, { phrases: true });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)), { minFreq: 1 });
const ids = data.train.map((e) => vocab.encode(tokenize(e.text)));
const config = resolveConfig({ seed: 1, kind: 'highway', layers: o.layers, vocabSize: vocab.size, classes: 2, labels: data.labels });
const params = initParams(config);
const graphs = buildStepGraphs(config, optimizer, { params });
const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));

const prefix = join(tmpdir(), `phrases-profile-${process.pid}`);
const { runtime, sessions } = profiledStepRuntime(o.threads, prefix);
const runner = await openClassifierRunner(runtime, graphs, { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) }, params, state);

const order = lengthBucketedBatches(ids, o.batch, new Rng(7919));
const WARMUP = 5;
const wall: number[] = [];
for (let i = 0; i < o.steps + WARMUP; i++) {
  const idx = order[i]!;
  const batch = padBatch(idx.map((j) => ids[j]!));
  const rng = stepRng(1, i + 1);
  const t = performance.now();
  await runner.step({
    batch, labels: BigInt64Array.from(idx, (j) => BigInt(data.train[j]!.label)),
    embeddingMask: dropoutMask(rng, batch.time * batch.batch * config.embedDim, config.dropout),
    outputMask: dropoutMask(rng, batch.batch * 2 * config.hidden, config.dropout),
  }, { lr: 0.003, step: i + 1 });
  if (i >= WARMUP) wall.push(performance.now() - t);
}
// endProfiling is in onnxruntime-common's InferenceSession; onnxruntime-node returns nothing, the file name is ours to find.
sessions[0]!.endProfiling();
await runner.release();

interface Event { cat: string; name: string; dur: number; args?: { op_name?: string } }
const dirFiles = await import('node:fs/promises').then((fs) => fs.readdir(tmpdir()));
const file = dirFiles.filter((f) => f.startsWith(`phrases-profile-${process.pid}`)).map((f) => join(tmpdir(), f))[0];
if (!file) throw new Error(`no profile file with prefix ${prefix}`);
const events = JSON.parse(await readFile(file, 'utf8')) as Event[];
await rm(file);
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000).slice(WARMUP);
const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
// Kernel events of the first WARMUP runs are dropped in proportion (runs have equal node counts).
const perRun = nodes.length / (runs.length + WARMUP);
const timed = nodes.slice(Math.round(perRun * WARMUP));
const byOp = new Map<string, number>();
const byNode = new Map<string, number>();
let embedding = 0;
for (const e of timed) {
  const op = e.args?.op_name ?? '?';
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000);
  const node = e.name.replace(/_kernel_time$/, '');
  byNode.set(node, (byNode.get(node) ?? 0) + e.dur / 1000);
  if (/embedding/i.test(e.name)) embedding += e.dur / 1000;
}
const kernels = [...byOp.values()].reduce((a, b) => a + b, 0);
const n = runs.length;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
console.log(JSON.stringify({
  layers: o.layers, threads: o.threads, batch: o.batch, steps: n, vocabulary: vocab.size, loadAverage: loadavg()[0],
  msPerStep: { wall: sum(wall) / n, run: sum(runs) / n, kernels: kernels / n, embeddingNodes: embedding / n, outsideKernels: (sum(runs) - kernels) / n },
  topOps: [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([op, ms]) => ({ op, msPerStep: ms / n })),
  topNodes: [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([node, ms]) => ({ node, msPerStep: ms / n })),
}, null, 1));
