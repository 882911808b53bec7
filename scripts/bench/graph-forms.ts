// Which inference graph and session options run fastest: raw onnxruntime sessions, one per
// variant (graph form × session options), on the same SST-2 test batches, timed in alternating
// windows (each window runs every variant in turn, so load from other processes hits them
// alike). Prints per cell each variant's throughput relative to the first variant, by wall and
// by CPU time (medians over windows of the per-window ratio), and the largest logit difference
// from the first variant (the forms must compute the same function).
//
//   npx tsx scripts/bench/graph-forms.ts [--layers 1,4,16] [--batches 1,32] [--windows 7] [--variants a,b,...]
import * as ort from 'onnxruntime-node';
import { Command } from 'commander';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { padBatch } from '../../src/data/batches.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';
import { median } from './stats.js';

interface Variant {
  fused: boolean;
  session: (threads: number) => ort.InferenceSession.SessionOptions;
}
const opts = (t: number): ort.InferenceSession.SessionOptions => cpuSessionOptions({ threads: t });
// 'plain' is the graph training differentiates, 'fused' the inference form classifierModel writes
// (BuildClassifierOptions.fused); '-1t' sessions have one intra-op thread instead of --threads.
const VARIANTS: Record<string, Variant> = {
  plain: { fused: false, session: opts },
  fused: { fused: true, session: opts },
  'plain-1t': { fused: false, session: () => opts(1) },
  'fused-1t': { fused: true, session: () => opts(1) },
  'fused-parallel': { fused: true, session: (t) => ({ ...opts(t), executionMode: 'parallel', interOpNumThreads: 2 }) },
  'fused-basic': { fused: true, session: (t) => ({ ...opts(t), graphOptimizationLevel: 'basic' }) },
  'fused-extended': { fused: true, session: (t) => ({ ...opts(t), graphOptimizationLevel: 'extended' }) },
};

const list = (v: string): number[] => v.split(',').map(Number);
const o = new Command('graph-forms')
  .option('--layers <list>', 'layer counts', list, [1, 4])
  .option('--batches <list>', 'batch sizes', list, [1, 32])
  .option('--windows <n>', 'alternating windows', Number, 7)
  .option('--threads <n>', 'intra-op threads', Number, 2)
  .option('--variants <list>', `variants, the first is the baseline (${Object.keys(VARIANTS).join(', ')})`, (v: string) => v.split(','), ['plain', 'fused'])
  .option('--window-ms <n>', 'target length of one variant window, ms', Number, 150)
  .option('--data <dir>', 'SST directory', '../shared/data/sst')
  .parse(process.argv)
  .opts<{ layers: number[]; batches: number[]; windows: number; threads: number; variants: string[]; windowMs: number; data: string }>();

const data = await readDataset(o.data, { format: 'sst' });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const ids = data.test.map((e) => vocab.encode(tokenize(e.text)));
for (const layers of o.layers) {
  const config = resolveConfig({ kind: 'highway', layers, vocabSize: vocab.size, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' });
  const sessions: ort.InferenceSession[] = [];
  const nodes: number[] = [];
  for (const name of o.variants) {
    const v = VARIANTS[name];
    if (!v) throw new Error(`unknown variant '${name}' (${Object.keys(VARIANTS).join(', ')})`);
    const model = classifierModel(config, { fused: v.fused });
    nodes.push(model.graph!.node!.length);
    sessions.push(await ort.InferenceSession.create(encodeModel(model), { ...v.session(o.threads), executionProviders: ['cpu'] }));
  }
  for (const B of o.batches) {
    const feeds: Record<string, ort.Tensor>[] = [];
    for (let k = 0; k + B <= ids.length && feeds.length < 64; k += B) {
      const p = padBatch(ids.slice(k, k + B));
      feeds.push({ ids: new ort.Tensor('int64', p.ids, [p.batch, p.time]), lengths: new ort.Tensor('int32', p.lengths, [p.batch]) });
    }
    // Same function: logits of every variant against the first on every batch.
    let maxDiff = 0;
    for (const f of feeds) {
      const ref = (await sessions[0]!.run(f)).logits!.data as Float32Array;
      for (const s of sessions.slice(1)) {
        const got = (await s.run(f)).logits!.data as Float32Array;
        for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - got[i]!));
      }
    }
    const t0 = performance.now();
    for (const f of feeds) await sessions[0]!.run(f);
    const runs = Math.max(1, Math.round((o.windowMs * feeds.length) / (performance.now() - t0)));
    const wall = sessions.map((): number[] => []);
    const cpu = sessions.map((): number[] => []);
    for (let w = 0; w < o.windows; w++) {
      for (const [k, s] of sessions.entries()) {
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        for (let i = 0; i < runs; i++) await s.run(feeds[(w * runs + i) % feeds.length]!);
        const c = process.cpuUsage(c0);
        wall[k]!.push(performance.now() - w0);
        cpu[k]!.push((c.user + c.system) / 1000);
      }
    }
    const rel = (xs: number[][], k: number): number => median(xs[0]!.map((b, w) => b / xs[k]![w]!));
    const cells = o.variants.map((name, k) => `${name} (${nodes[k]} nodes) ${rel(wall, k).toFixed(2)}/${rel(cpu, k).toFixed(2)}`);
    const base = median(wall[0]!);
    process.stdout.write(
      `layers ${layers} batch ${B}: ${o.variants[0]} ${((runs * B * 1000) / base).toFixed(0)} sent/s, ${((base * 1000) / runs).toFixed(0)} µs/run; ` +
        `throughput relative to it, wall/CPU: ${cells.join(', ')}; max |Δlogit| ${maxDiff.toExponential(1)}\n`,
    );
  }
  await Promise.all(sessions.map((s) => s.release()));
}
