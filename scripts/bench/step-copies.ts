// What onnxruntime-node's copy of a step's outputs costs. Its binding (1.30) returns every fetched
// output as a new JS ArrayBuffer holding a copy, even when the output was written into a
// preallocated tensor (StepRunner's path on CPU): per step, every parameter and both Adam moments
// (the embedding table three times over) are copied, and the garbage collector then reclaims the
// copies. Two raw sessions of the same training-step graph, same batches and masks: one fetching
// every output into preallocated tensors (what StepRunner does), one fetching only loss, correct
// and grad_norm by name (onnxruntime still runs every node: it does not prune by fetches; the
// updated parameters are then dropped, so both sides feed the same initial parameters each step).
// With --embedding-update lazy a third side runs the default lazy step graph, which returns the
// table and its moments by updated rows (ids [U], rows [U, E] × 3) and is what StepRunner runs
// now: every other output preallocated, the rows scattered into JS buffers as the runner does;
// the first side then runs the lazy graph with full outputs (lazyOutputs 'full', the runner's
// path before). Windows alternate; medians of CPU and wall ms per step.
// `npx tsx scripts/bench/step-copies.ts [--data ../shared/data/sst] [--layers 1] [--windows 7] [--steps 8] [--embedding-update lazy]`
import * as ort from 'onnxruntime-node';
import { loadavg } from 'node:os';
import { Rng } from '../../src/data/rng.js';
import { lengthBucketedBatches, padBatch } from '../../src/data/batches.js';
import { initParams } from '../../src/models/init.js';
import { allocate } from '../../src/onnx/tensor.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { buildStepGraphs } from '../../src/train/step-graph.js';
import { DropoutBuffers, withDropout } from '../../src/train/classifier-feeds.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';
import { readSstBinary, trainingBenchConfig } from './training.js';
import { stepBenchOptions } from './step-bench-options.js';
import { median } from './stats.js';

const o = stepBenchOptions('bench:step-copies', { windows: 7, embeddingUpdate: 'dense' });

const optimizer: OptimizerSpec = { kind: 'adam', embeddingUpdate: o.embeddingUpdate === 'lazy' ? 'lazy' : 'dense' };
const data = await readSstBinary(o.data);
const config = trainingBenchConfig(data.vocabSize, o.layers);
const params = initParams(config);
const lazy = optimizer.embeddingUpdate === 'lazy';
const graphs = buildStepGraphs(config, optimizer, { params, lazyOutputs: 'full' });
const sessionOptions = { ...cpuSessionOptions({ threads: o.threads }), interOpNumThreads: 1 };
const session = await ort.InferenceSession.create(encodeModel(graphs.trainStep), sessionOptions);
const rowsGraphs = lazy ? buildStepGraphs(config, optimizer, { params }) : null;
const rowsSession = rowsGraphs ? await ort.InferenceSession.create(encodeModel(rowsGraphs.trainStep), sessionOptions) : null;
const fixed: Record<string, ort.Tensor> = {};
for (const [name, t] of params) fixed[name] = new ort.Tensor('float32', t.data as Float32Array, t.dims);
for (const s of optimizerState(optimizer, graphs.params)) fixed[s.name] = new ort.Tensor('float32', allocate('float32', s.dims).data as Float32Array, s.dims);
const spare: Record<string, ort.Tensor> = {};
for (const [name, t] of Object.entries(fixed)) spare[graphs.nextName(name)] = new ort.Tensor('float32', new Float32Array((t.data as Float32Array).length), t.dims);

// The row side: the row-updated tensors' outputs allocated by onnxruntime (U rows), the others
// preallocated; the rows are scattered into scratch copies (the fed tensors stay the initial ones).
const rowUpdates = rowsGraphs?.rowUpdates ?? null;
const rowFetches: Record<string, ort.Tensor | null> = { loss: null, correct: null, grad_norm: null };
const scratch = new Map<string, Float32Array>();
for (const [name, t] of Object.entries(fixed)) {
  if (rowUpdates?.tensors.includes(name)) {
    rowFetches[`${name}.next_rows`] = null;
    scratch.set(name, new Float32Array(t.data as Float32Array));
  } else rowFetches[graphs.nextName(name)] = spare[graphs.nextName(name)]!;
}
if (rowUpdates) rowFetches[rowUpdates.idsOutput] = null;
const scatterRows = (out: Record<string, ort.Tensor>): void => {
  const ids = out[rowUpdates!.idsOutput]!.data as BigInt64Array;
  const E = config.embedDim;
  for (const [name, table] of scratch) {
    const rows = out[`${name}.next_rows`]!.data as Float32Array;
    for (let k = 0; k < ids.length; k++) table.set(rows.subarray(k * E, (k + 1) * E), Number(ids[k]) * E);
  }
};

const plan = lengthBucketedBatches(data.encoded, 32, new Rng(1));
const buffers = new DropoutBuffers();
const feedsAt = (step: number): Record<string, ort.Tensor> => {
  const idx = plan[step % plan.length]!;
  const b = withDropout({ batch: padBatch(idx.map((i) => data.encoded[i]!)), labels: BigInt64Array.from(idx, (i) => BigInt(data.labels[i]!)) }, config, config.seed, step + 1, buffers);
  const { batch: B, time: T } = b.batch;
  return {
    ...fixed,
    ids: new ort.Tensor('int64', b.batch.ids, [B, T]), lengths: new ort.Tensor('int32', b.batch.lengths, [B]), labels: new ort.Tensor('int64', b.labels, [B]),
    'dropout.embedding': new ort.Tensor('float32', b.embeddingMask, [T, B, config.embedDim]), 'dropout.output': new ort.Tensor('float32', b.outputMask, [B, 2 * config.hidden]),
    [graphs.lrInput]: new ort.Tensor('float32', Float32Array.of(1e-3), []), [graphs.stepInput]: new ort.Tensor('float32', Float32Array.of(step + 1), []),
  };
};
type Side = 'all outputs, preallocated' | 'row outputs (lazy)' | 'scalars only';
const run: Record<Side, (f: Record<string, ort.Tensor>) => Promise<unknown>> = {
  'all outputs, preallocated': (f) => session.run(f, { loss: null, correct: null, grad_norm: null, ...spare }),
  'row outputs (lazy)': async (f) => scatterRows(await rowsSession!.run(f, rowFetches)),
  'scalars only': (f) => session.run(f, ['loss', 'correct', 'grad_norm']),
};
const sides: Side[] = lazy ? ['all outputs, preallocated', 'row outputs (lazy)', 'scalars only'] : ['all outputs, preallocated', 'scalars only'];
const cpu = Object.fromEntries(sides.map((s) => [s, [] as number[]])) as Record<Side, number[]>;
const wall = Object.fromEntries(sides.map((s) => [s, [] as number[]])) as Record<Side, number[]>;
const window = async (side: Side, first: number, timed: boolean): Promise<void> => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) await run[side](feedsAt(first + i));
  const c = process.cpuUsage(c0);
  if (!timed) return;
  cpu[side].push((c.user + c.system) / 1000 / o.steps);
  wall[side].push((performance.now() - t0) / o.steps);
};
for (const side of sides) await window(side, 0, false);
for (let w = 0; w < o.windows; w++) {
  for (const side of w % 2 === 0 ? sides : [...sides].reverse()) await window(side, w * o.steps, true);
}
await session.release();
await rowsSession?.release();
const weights = graphs.params.reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0);
const m = (x: Record<Side, number[]>): Record<string, number> => Object.fromEntries(sides.map((s) => [s, median(x[s])]));
console.log(JSON.stringify({
  layers: o.layers, embeddingUpdate: optimizer.embeddingUpdate, threads: o.threads, vocabulary: data.vocabSize, weights, copiedPerStepMB: (3 * weights * 4) / 2 ** 20,
  windows: o.windows, stepsPerWindow: o.steps, loadAverage: loadavg()[0],
  cpuMsPerStep: m(cpu), wallMsPerStep: m(wall),
}, null, 1));
