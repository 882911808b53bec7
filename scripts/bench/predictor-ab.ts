// This checkout's Predictor against another checkout's (a base commit), in one process, on the
// same model file and SST-2 test sentences: loadModel().predict(texts) from each, plus a raw
// onnxruntime session (--threads intra-op threads) on ids padded beforehand, in alternating
// windows. Per-window ratios of wall and CPU time (this process, all threads), medians: the
// machine's other load hits all sides alike, which separate runs of `npm run bench` on a shared
// machine do not allow. The model is each checkout's own classifierModel (its graph form) with
// the same weights (initParams, seed 1). "after with one session" is this checkout's Predictor
// without its one-thread small-run session (smallRunTokens 0): the graph form, run planning and
// JavaScript changes without the thread choice.
//
//   git archive BASE | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   npx tsx scripts/bench/predictor-ab.ts --base /tmp/base [--layers 1,4,16] [--batches 1,32,256] [--windows 9]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Command } from 'commander';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { padBatch } from '../../src/data/batches.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig, type ModelConfig } from '../../src/models/config.js';
import { encodeModel, type ModelProto } from '../../src/onnx/proto.js';
import { loadModel } from '../../src/runtime/node.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';
import { median } from './stats.js';

const list = (v: string): number[] => v.split(',').map(Number);
const o = new Command('predictor-ab')
  .requiredOption('--base <dir>', 'the other checkout (with node_modules)')
  .option('--layers <list>', 'layer counts', list, [1, 4])
  .option('--batches <list>', 'batch sizes', list, [1, 32])
  .option('--windows <n>', 'alternating windows', Number, 9)
  .option('--threads <n>', 'intra-op threads given to loadModel and the raw session', Number, 2)
  .option('--window-ms <n>', 'target length of one window, ms', Number, 300)
  .option('--data <dir>', 'SST directory', '../shared/data/sst')
  .parse(process.argv)
  .opts<{ base: string; layers: number[]; batches: number[]; windows: number; threads: number; windowMs: number; data: string }>();

type Load = typeof loadModel;
type Build = (config: ModelConfig, opts: { vocab: string[] }) => ModelProto;
const base = resolve(o.base);
const baseLoad = ((await import(pathToFileURL(`${base}/src/runtime/node.ts`).href)) as { loadModel: Load }).loadModel;
const baseBuild = ((await import(pathToFileURL(`${base}/src/models/classifier.ts`).href)) as { classifierModel: Build }).classifierModel;

const data = await readDataset(o.data, { format: 'sst' });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const texts = data.test.map((e) => e.text);
const tokens = vocab.decode(Array.from({ length: vocab.size }, (_, i) => i));
for (const layers of o.layers) {
  const config = resolveConfig({ kind: 'highway', layers, vocabSize: vocab.size, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' });
  const opts = { device: 'cpu' as const, threads: o.threads, maxBatch: 4096 };
  const after = await loadModel(encodeModel(classifierModel(config, { vocab: tokens })), opts);
  const afterOne = await loadModel(encodeModel(classifierModel(config, { vocab: tokens })), { ...opts, smallRunTokens: 0 });
  const before = await baseLoad(encodeModel(baseBuild(config, { vocab: tokens })), opts);
  const raw = await ort.InferenceSession.create(encodeModel(baseBuild(config, { vocab: tokens })), { ...cpuSessionOptions({ threads: o.threads }), executionProviders: ['cpu'] });
  for (const B of o.batches) {
    const batches = Array.from({ length: Math.floor(texts.length / B) }, (_, k) => texts.slice(k * B, (k + 1) * B));
    const feeds = batches.map((b) => {
      const p = padBatch(b.map((t) => vocab.encode(tokenize(t))));
      return { ids: new ort.Tensor('int64', p.ids, [p.batch, p.time]), lengths: new ort.Tensor('int32', p.lengths, [p.batch]) };
    });
    const sides: [string, (i: number) => Promise<unknown>][] = [
      ['after', (i) => after.predict(batches[i]!)],
      ['before', (i) => before.predict(batches[i]!)],
      ['after, one session', (i) => afterOne.predict(batches[i]!)],
      ['raw', (i) => raw.run(feeds[i]!)],
    ];
    for (const [, f] of sides) for (let i = 0; i < 3; i++) await f(i);
    const t0 = performance.now();
    for (let i = 0; i < Math.min(8, batches.length); i++) await after.predict(batches[i]!);
    const n = Math.max(1, Math.round((o.windowMs * Math.min(8, batches.length)) / (performance.now() - t0)));
    const wall = sides.map((): number[] => []);
    const cpu = sides.map((): number[] => []);
    for (let w = 0; w < o.windows; w++) {
      for (const [k, [, f]] of sides.entries()) {
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        for (let i = 0; i < n; i++) await f((w * n + i) % batches.length);
        const c = process.cpuUsage(c0);
        wall[k]!.push(performance.now() - w0);
        cpu[k]!.push((c.user + c.system) / 1000);
      }
    }
    const ratio = (xs: number[][], a: number, b: number): string => median(xs[a]!.map((x, w) => xs[b]![w]! / x)).toFixed(2);
    const sps = (k: number): string => ((n * B * 1000) / median(wall[k]!)).toFixed(0);
    process.stdout.write(
      `layers ${layers} batch ${B}: sent/s after ${sps(0)}, before ${sps(1)}, after with one session ${sps(2)}, raw ${sps(3)} (ids); ` +
        `after/before ${ratio(wall, 0, 1)} wall, ${ratio(cpu, 0, 1)} CPU; one session/before ${ratio(wall, 2, 1)} wall, ${ratio(cpu, 2, 1)} CPU; ` +
        `after/raw ${ratio(wall, 0, 3)} wall, ${ratio(cpu, 0, 3)} CPU; before/raw ${ratio(wall, 1, 3)} wall, ${ratio(cpu, 1, 3)} CPU\n`,
    );
  }
  await Promise.all([after.release(), afterOne.release(), before.release(), raw.release()]);
}
