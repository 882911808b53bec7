// What writing a step's updated parameters into preallocated outputs buys: two step runners on
// the same training-step graph and batches, one letting onnxruntime-node allocate every
// `<name>.next` output (copied into a new JS ArrayBuffer each step), one handing it the spare
// set of buffers (StepRunner's default on onnxruntime-node CPU; its binding still returns a copy
// of those too, see step-copies.ts). Windows of steps alternate
// between the two in one process, so both see the same machine load; medians of ms per step.
// `npx tsx scripts/bench/step-outputs.ts [--data ../shared/data/sst-trees] [--layers 1] [--windows 7] [--steps 8]`
import * as ort from 'onnxruntime-node';
import { Command } from 'commander';
import { loadavg } from 'node:os';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { resolveConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { allocate } from '../../src/onnx/tensor.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { buildStepGraphs } from '../../src/train/step-graph.js';
import { nodeStepRuntime } from '../../src/train/node-runtime.js';
import { labelledBatch, openClassifierRunner, withDropout } from '../../src/train/classifier-feeds.js';
import { epochOrder } from '../../src/train/loop.js';
import type { StepRuntime } from '../../src/train/step-runner.js';
import { positiveInt } from '../../src/cli/args.js';

const o = new Command('bench:step-outputs')
  .option('--data <dir>', 'SST trees (phrase-level: a 16k-word embedding table)', '../shared/data/sst-trees')
  .option('--layers <n>', 'Highway BiLSTM layers', positiveInt, 1)
  .option('--windows <n>', 'windows per side', positiveInt, 7)
  .option('--steps <n>', 'steps per window', positiveInt, 8)
  .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt, 2)
  .parse(process.argv)
  .opts<{ data: string; layers: number; windows: number; steps: number; threads: number }>();

const optimizer: OptimizerSpec = { kind: 'adam', clipNorm: 5 };
const data = await readDataset(o.data, { phrases: true });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)), { minFreq: 1 });
const enc = { ids: data.train.map((e) => vocab.encode(tokenize(e.text))), labels: data.train.map((e) => e.label) };
const config = resolveConfig({ seed: 1, kind: 'highway', layers: o.layers, vocabSize: vocab.size, classes: 2, labels: data.labels });
const params = initParams(config);
const graphs = buildStepGraphs(config, optimizer, { params });
const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
const models = { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) };

const node = nodeStepRuntime({ device: 'cpu', threads: o.threads });
/** The same runtime with the sessions' preallocated outputs turned off: every output allocated by onnxruntime. */
const allocating: StepRuntime<ort.Tensor> = {
  tensor: node.tensor,
  createSession: async (bytes) => {
    const s = await node.createSession(bytes);
    return { run: (feeds) => s.run(feeds), release: () => s.release() };
  },
} as StepRuntime<ort.Tensor>;
const sides = {
  preallocated: await openClassifierRunner(node, graphs, models, params, state),
  allocated: await openClassifierRunner(allocating, graphs, models, params, state),
};
const order = epochOrder(enc.ids, 32, 1, 0);
const perStep: Record<keyof typeof sides, number[]> = { preallocated: [], allocated: [] };
let cursor = 0;
const window = async (side: keyof typeof sides, timed: boolean): Promise<void> => {
  for (let i = 0; i < o.steps; i++, cursor++) {
    const b = withDropout(labelledBatch(enc, order[cursor % order.length]!), config, 1, cursor + 1);
    const t = performance.now();
    await sides[side].step(b, { lr: 1e-3, step: cursor + 1 });
    if (timed) perStep[side].push(performance.now() - t);
  }
};
// Warm-up over new batch shapes on both sides, then alternating timed windows (the same batches on both).
await window('preallocated', false);
await window('allocated', false);
for (let w = 0; w < o.windows; w++) {
  const start = cursor;
  await window(w % 2 === 0 ? 'preallocated' : 'allocated', true);
  cursor = start;
  await window(w % 2 === 0 ? 'allocated' : 'preallocated', true);
}
for (const r of Object.values(sides)) await r.release();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const weights = graphs.params.reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0);
console.log(JSON.stringify({
  layers: o.layers, threads: o.threads, vocabulary: vocab.size, weights, copiedPerStepMB: (3 * weights * 4) / 2 ** 20, stepsPerSide: perStep.allocated.length, loadAverage: loadavg()[0],
  medianMsPerStep: { allocated: median(perStep.allocated), preallocated: median(perStep.preallocated) },
  speedup: median(perStep.allocated) / median(perStep.preallocated),
}, null, 1));
