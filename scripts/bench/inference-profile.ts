// Where an inference run's time goes: onnxruntime's own profiler over runs of the inference
// model on SST-2 test batches, per op type, against the run's total and the wall time of the
// run() call from JavaScript (the difference is binding inputs and copying outputs).
//
//   npx tsx scripts/bench/inference-profile.ts [--layers 1] [--batch 32] [--runs 200]
//
// Prints one JSON object; the profile file is deleted afterwards.
import { readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Command } from 'commander';
import { positiveInt } from '../../src/cli/args.js';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { padBatch } from '../../src/data/batches.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';

const o = new Command('inference-profile')
  .option('--data <dir>', 'SST directory', '../shared/data/sst')
  .option('--layers <n>', 'Highway BiLSTM layers', positiveInt, 1)
  .option('--batch <n>', 'sentences per run', positiveInt, 32)
  .option('--runs <n>', 'profiled runs (10 more run first and are left out)', positiveInt, 200)
  .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt, 2)
  .parse(process.argv)
  .opts<{ data: string; layers: number; batch: number; runs: number; threads: number }>();

const data = await readDataset(o.data, { format: 'sst' });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const ids = data.test.map((e) => vocab.encode(tokenize(e.text)));
const config = resolveConfig({ kind: 'highway', layers: o.layers, vocabSize: vocab.size, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' });
const prefix = join(tmpdir(), `inference-profile-${process.pid}`);
const session = await ort.InferenceSession.create(encodeModel(classifierModel(config)), {
  ...cpuSessionOptions({ threads: o.threads }), executionProviders: ['cpu'], enableProfiling: true, profileFilePrefix: prefix,
});
const feeds: Record<string, ort.Tensor>[] = [];
for (let k = 0; k + o.batch <= ids.length; k += o.batch) {
  const p = padBatch(ids.slice(k, k + o.batch));
  feeds.push({ ids: new ort.Tensor('int64', p.ids, [p.batch, p.time]), lengths: new ort.Tensor('int32', p.lengths, [p.batch]) });
}
const WARMUP = 10;
let wall = 0;
for (let i = 0; i < o.runs + WARMUP; i++) {
  const t = performance.now();
  await session.run(feeds[i % feeds.length]!);
  if (i >= WARMUP) wall += performance.now() - t;
}
session.endProfiling();
await session.release();

interface Event { cat: string; name: string; dur: number; args?: { op_name?: string } }
const file = (await readdir(tmpdir())).filter((f) => f.startsWith(`inference-profile-${process.pid}`)).map((f) => join(tmpdir(), f))[0];
if (!file) throw new Error(`no profile file with prefix ${prefix}`);
const events = JSON.parse(await readFile(file, 'utf8')) as Event[];
await rm(file);
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000).slice(WARMUP);
const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
const timed = nodes.slice(Math.round((nodes.length / (runs.length + WARMUP)) * WARMUP));
const byOp = new Map<string, number>();
for (const e of timed) byOp.set(e.args?.op_name ?? '?', (byOp.get(e.args?.op_name ?? '?') ?? 0) + e.dur / 1000);
const n = runs.length;
const kernels = [...byOp.values()].reduce((a, b) => a + b, 0);
const run = runs.reduce((a, b) => a + b, 0);
console.log(JSON.stringify({
  layers: o.layers, batch: o.batch, threads: o.threads, runs: n, loadAverage: loadavg()[0],
  msPerRun: { wall: wall / n, run: run / n, kernels: kernels / n, outsideKernels: (run - kernels) / n, outsideRun: (wall - run) / n },
  byOp: [...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => ({ op, msPerRun: ms / n, share: ms / kernels })),
}, null, 1));
