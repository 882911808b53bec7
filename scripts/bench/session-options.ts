// Which onnxruntime session options make inference fastest here: raw sessions on the same
// model and SST-2 test batches, one per option set, timed in interleaved windows (each window
// runs every variant once, in turn, so load from other processes hits them alike). Prints,
// per cell, each variant's throughput relative to the first (the project's default,
// cpuSessionOptions) by wall time and by CPU time (all threads).
//
//   npx tsx scripts/bench/session-options.ts [--layers 1,4] [--batches 1,32,256] [--windows 7] [--data DIR]
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

const list = (v: string): number[] => v.split(',').map(Number);
const o = new Command('session-options')
  .option('--layers <list>', 'layer counts', list, [1, 4])
  .option('--batches <list>', 'batch sizes', list, [1, 32, 256])
  .option('--windows <n>', 'interleaved windows', Number, 7)
  .option('--threads <n>', 'intra-op threads', Number, 2)
  .option('--data <dir>', 'SST directory', '../shared/data/sst')
  .parse(process.argv)
  .opts<{ layers: number[]; batches: number[]; windows: number; threads: number; data: string }>();

const t = o.threads;
const variants: Record<string, ort.InferenceSession.SessionOptions> = {
  default: cpuSessionOptions({ threads: t }),
  spinning: cpuSessionOptions({ threads: t, spin: true }),
  'basic graph opt': { ...cpuSessionOptions({ threads: t }), graphOptimizationLevel: 'basic' },
  '1 thread': cpuSessionOptions({ threads: 1 }),
  'no mem pattern': { ...cpuSessionOptions({ threads: t }), enableMemPattern: false },
};

const data = await readDataset(o.data, { format: 'sst' });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const ids = data.test.map((e) => vocab.encode(tokenize(e.text)));
for (const layers of o.layers) {
  const bytes = encodeModel(classifierModel(resolveConfig({ kind: 'highway', layers, vocabSize: vocab.size, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' })));
  const sessions = await Promise.all(Object.values(variants).map((v) => ort.InferenceSession.create(bytes, { ...v, executionProviders: ['cpu'] })));
  for (const B of o.batches) {
    const feeds: Record<string, ort.Tensor>[] = [];
    for (let k = 0; k + B <= ids.length && feeds.length < 64; k += B) {
      const p = padBatch(ids.slice(k, k + B));
      feeds.push({ ids: new ort.Tensor('int64', p.ids, [p.batch, p.time]), lengths: new ort.Tensor('int32', p.lengths, [p.batch]) });
    }
    const runs = Math.max(1, Math.round(64 / B / Math.max(1, layers / 2)));
    for (const s of sessions) await s.run(feeds[0]!);
    const wall = sessions.map((): number[] => []);
    const cpu = sessions.map((): number[] => []);
    for (let w = 0; w < o.windows; w++) {
      for (const [k, s] of sessions.entries()) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        for (let i = 0; i < runs; i++) await s.run(feeds[(w * runs + i) % feeds.length]!);
        const c = process.cpuUsage(c0);
        wall[k]!.push(performance.now() - t0);
        cpu[k]!.push((c.user + c.system) / 1000);
      }
    }
    const base = median(wall[0]!);
    const baseCpu = median(cpu[0]!);
    const cells = Object.keys(variants).map((name, k) => `${name} ${(base / median(wall[k]!)).toFixed(2)}/${(baseCpu / median(cpu[k]!)).toFixed(2)}`);
    process.stdout.write(`layers ${layers} batch ${B} (default ${((runs * B * 1000) / base).toFixed(0)} sent/s), throughput relative to default by wall/CPU time: ${cells.join(', ')}\n`);
  }
  await Promise.all(sessions.map((s) => s.release()));
}
