// Where a phrase-level epoch's time goes: `npx tsx scripts/bench/phrases.ts [--layers 1] [--steps 300]`.
//
// Runs real training steps (our step graph in onnxruntime-node, Adam, batch 32) on the first
// batches of epoch 1's phrase order and of the sentence-level order, timing separately the
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
import { TrainSession } from '../../src/train/train-session.js';
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

async function measure(name: string, phrases: boolean, minFreq: number) {
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
  const order = lengthBucketedBatches(ids, 32, new Rng(1 * 7919));
  const times: number[] = [];
  const prepTimes: number[] = [];
  const lengths: number[] = [];
  const steps = Math.min(o.steps + 5, order.length);
  for (let i = 0; i < steps; i++) {
    const idx = order[i]!;
    let t = performance.now();
    const batch = padBatch(idx.map((j) => ids[j]!));
    const labels = BigInt64Array.from(idx, (j) => BigInt(data.train[j]!.label));
    const rng = stepRng(1, i + 1);
    const embeddingMask = dropoutMask(rng, batch.time * batch.batch * config.embedDim, config.dropout);
    const outputMask = dropoutMask(rng, batch.batch * 2 * config.hidden, config.dropout);
    const prep = ms(t);
    t = performance.now();
    await session.step({ batch, labels, lr: 0.003, step: i + 1, embeddingMask, outputMask });
    if (i < 5) continue; // warm-up
    times.push(ms(t));
    prepTimes.push(prep);
    lengths.push(batch.time);
  }
  await session.release();
  const { a, b } = fit(lengths, times);
  const allT = order.map((idx) => Math.max(...idx.map((j) => ids[j]!.length)));
  const prepMean = prepTimes.reduce((s, x) => s + x, 0) / prepTimes.length;
  const estimateS = allT.reduce((s, T) => s + a + b * T + prepMean, 0) / 1000;
  const meanStep = times.reduce((s, x) => s + x, 0) / times.length;
  return {
    name, examples: data.train.length, vocabulary: vocab.size, batchesPerEpoch: order.length,
    meanPaddedLength: allT.reduce((s, x) => s + x, 0) / allT.length,
    loadMs: Math.round(loadMs), encodeMs: Math.round(encodeMs),
    timedSteps: times.length, meanStepMs: meanStep, meanPrepMs: prepMean,
    fixedMsPerStep: a, msPerTimeStep: b,
    epochEstimateS: estimateS, examplesPerSecondEstimate: data.train.length / estimateS,
  };
}

const load0 = loadavg()[0];
const results = [
  await measure('phrases', true, 1),
  await measure('sentences', false, 1),
  // The same phrases with a small embedding table (words seen ≥ 300 times).
  await measure('phrases, small vocabulary', true, 300),
];
console.log(JSON.stringify({ layers: o.layers, threads: o.threads, loadAverage: [load0, loadavg()[0]], results }, null, 1));
