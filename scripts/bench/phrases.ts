// Where a phrase-level epoch's time goes: `npx tsx scripts/bench/phrases.ts [--layers 1] [--steps 300]`.
//
// Runs real training steps (our step graph in onnxruntime-node, Adam, batch 32) on the first
// batches of epoch 1's phrase order and of the sentence-level order, in alternating rounds of
// 20 steps (so that load from other processes hits every configuration alike), timing separately the
// TypeScript side of a step (padding, labels, dropout masks) and the onnxruntime run. Step time
// is then fitted as a + b·T (T = the batch's padded length; least squares), which splits it into
// a per-step fixed cost and a per-time-step cost, and the epoch is estimated as Σ over all of
// its batches. A third run keeps only words seen ≥ 300 times (the embedding table, its gradient and
// its two Adam moments are dense [V, 100] inputs and outputs of every step) shows how much of
// `a` the embedding table costs. Prints one JSON object; the load average is included because
// the machine may be shared.
import { loadavg } from 'node:os';
import { Command } from 'commander';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { Rng } from '../../src/data/rng.js';
import { lengthBucketedBatches, padBatch } from '../../src/data/batches.js';
import { resolveConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { allocate } from '../../src/onnx/tensor.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { dropoutMask, stepRng } from '../../src/train/dropout.js';
import { buildStepGraphs } from '../../src/train/step-graph.js';
import { TrainSession } from '../../src/train/node-runtime.js';
import { positiveInt } from '../../src/cli/args.js';

const o = new Command('bench:phrases')
  .option('--data <dir>', 'SST trees', '../shared/data/sst-trees')
  .option('--layers <n>', 'Highway BiLSTM layers', positiveInt, 1)
  .option('--steps <n>', 'timed steps per configuration', positiveInt, 300)
  .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt, 2)
  .parse(process.argv)
  .opts<{ data: string; layers: number; steps: number; threads: number }>();

const optimizer: OptimizerSpec = { kind: 'adam', clipNorm: 5 };
const ms = (t0: number): number => performance.now() - t0;

/** Least squares y ≈ a + b·x. */
function fit(xs: number[], ys: number[]): { a: number; b: number } {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  const sxy = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

interface Config {
  name: string;
  session: TrainSession;
  hidden: number;
  embedDim: number;
  dropout: number;
  ids: number[][];
  labels: number[];
  order: number[][];
  cursor: number;
  examples: number;
  vocabulary: number;
  loadMs: number;
  encodeMs: number;
  stepMs: number[];
  prepMs: number[];
  lengths: number[];
}

async function prepare(name: string, phrases: boolean, minFreq: number): Promise<Config> {
  let t0 = performance.now();
  const data = await readDataset(o.data, { phrases });
  const loadMs = ms(t0);
  t0 = performance.now();
  const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)), { minFreq });
  const ids = data.train.map((e) => vocab.encode(tokenize(e.text)));
  const encodeMs = ms(t0);
  const config = resolveConfig({ seed: 1, kind: 'highway', layers: o.layers, vocabSize: vocab.size, classes: 2, labels: data.labels });
  const params = initParams(config);
  const graphs = buildStepGraphs(config, optimizer, { params });
  const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
  const session = await TrainSession.create(graphs, params, state, { threads: o.threads });
  return {
    name, session, hidden: config.hidden, embedDim: config.embedDim, dropout: config.dropout, ids, labels: data.train.map((e) => e.label),
    order: lengthBucketedBatches(ids, 32, new Rng(1 * 7919)), cursor: 0, examples: data.train.length, vocabulary: vocab.size,
    loadMs, encodeMs, stepMs: [], prepMs: [], lengths: [],
  };
}

/** Runs the config's next `n` batches (of epoch 1's order, wrapping); timed unless warming up. */
async function run(c: Config, n: number, timed: boolean): Promise<void> {
  for (let k = 0; k < n; k++) {
    const idx = c.order[c.cursor % c.order.length]!;
    const step = ++c.cursor;
    let t = performance.now();
    const batch = padBatch(idx.map((j) => c.ids[j]!));
    const labels = BigInt64Array.from(idx, (j) => BigInt(c.labels[j]!));
    const rng = stepRng(1, step);
    const embeddingMask = dropoutMask(rng, batch.time * batch.batch * c.embedDim, c.dropout);
    const outputMask = dropoutMask(rng, batch.batch * 2 * c.hidden, c.dropout);
    const prep = ms(t);
    t = performance.now();
    await c.session.step({ batch, labels, embeddingMask, outputMask }, { lr: 0.003, step });
    if (!timed) continue;
    c.stepMs.push(ms(t));
    c.prepMs.push(prep);
    c.lengths.push(batch.time);
  }
}

function summary(c: Config) {
  const { a, b } = fit(c.lengths, c.stepMs);
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const allT = c.order.map((idx) => Math.max(...idx.map((j) => c.ids[j]!.length)));
  const prep = mean(c.prepMs);
  const epochS = allT.reduce((s, T) => s + a + b * T + prep, 0) / 1000;
  return {
    name: c.name, examples: c.examples, vocabulary: c.vocabulary, batchesPerEpoch: c.order.length,
    meanPaddedLength: mean(allT), loadMs: Math.round(c.loadMs), encodeMs: Math.round(c.encodeMs),
    timedSteps: c.stepMs.length, meanStepMs: mean(c.stepMs), meanPrepMs: prep, fixedMsPerStep: a, msPerTimeStep: b,
    epochEstimateS: epochS, examplesPerSecondEstimate: c.examples / epochS,
  };
}

const configs = [
  await prepare('phrases', true, 1),
  await prepare('sentences', false, 1),
  // The same phrases with a small embedding table (words seen ≥ 300 times).
  await prepare('phrases, small vocabulary', true, 300),
];
// Rounds alternate between the configurations so that load from other processes hits all alike.
const ROUND = 20;
for (const c of configs) await run(c, 5, false);
const load0 = loadavg()[0];
for (let done = 0; done < o.steps; done += ROUND) for (const c of configs) await run(c, Math.min(ROUND, o.steps - done), true);
for (const c of configs) await c.session.release();
console.log(JSON.stringify({ layers: o.layers, threads: o.threads, loadAverage: [load0, loadavg()[0]], results: configs.map(summary) }, null, 1));
