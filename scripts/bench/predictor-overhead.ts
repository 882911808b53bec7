// The Predictor's own cost per predict(ids) call, two ways, on SST-2 test sentences:
//  - "same session": predict(ids) against session.run() of the very session the Predictor
//    holds (one intra-op thread, so it has no second session), fed tensors padded beforehand,
//    in alternating windows of one process: the ratio is the Predictor's overhead alone, with
//    no noise between two sessions or two processes;
//  - "stubbed": predict(ids) over a session whose run() returns prepared outputs at once: the
//    JavaScript cost alone (validation, padding, tensors, results, promise hops).
// CPU µs per call (this process, all threads) and wall µs, medians over the windows.
//
//   npx tsx scripts/bench/predictor-overhead.ts [--layers 1,4] [--batches 1,32] [--windows 15]
import * as ort from 'onnxruntime-node';
import { Command } from 'commander';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { padBatch } from '../../src/data/batches.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { loadModel } from '../../src/runtime/node.js';
import { Predictor, type OrtTensorLike, type SessionLike, type TensorCtor } from '../../src/runtime/predictor.js';
import { median } from './stats.js';

const list = (v: string): number[] => v.split(',').map(Number);
const o = new Command('predictor-overhead')
  .option('--layers <list>', 'layer counts', list, [1, 4])
  .option('--batches <list>', 'batch sizes', list, [1, 32])
  .option('--windows <n>', 'alternating windows', Number, 15)
  .option('--window-ms <n>', 'target length of one window, ms', Number, 60)
  .option('--data <dir>', 'SST directory', '../shared/data/sst')
  .parse(process.argv)
  .opts<{ layers: number[]; batches: number[]; windows: number; windowMs: number; data: string }>();

const data = await readDataset(o.data, { format: 'sst' });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const ids = data.test.map((e) => vocab.encode(tokenize(e.text)));

/** Alternating windows of each function, `runs` calls each; medians of µs per call (wall, CPU). */
async function alternate(fns: (() => Promise<unknown>)[], runs: number): Promise<{ wall: number; cpu: number }[]> {
  const wall = fns.map((): number[] => []);
  const cpu = fns.map((): number[] => []);
  for (let w = 0; w < o.windows; w++) {
    for (const [k, f] of fns.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) await f();
      const c = process.cpuUsage(c0);
      wall[k]!.push(((performance.now() - t0) * 1000) / runs);
      cpu[k]!.push((c.user + c.system) / runs);
    }
  }
  return fns.map((_, k) => ({ wall: median(wall[k]!), cpu: median(cpu[k]!) }));
}

for (const layers of o.layers) {
  const config = resolveConfig({ kind: 'highway', layers, vocabSize: vocab.size, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' });
  const bytes = encodeModel(classifierModel(config, { vocab: vocab.decode(Array.from({ length: vocab.size }, (_, i) => i)) }));
  const predictor = await loadModel(bytes, { device: 'cpu', threads: 1, maxBatch: 4096 });
  for (const B of o.batches) {
    const batches = Array.from({ length: Math.min(64, Math.floor(ids.length / B)) }, (_, k) => ids.slice(k * B, (k + 1) * B));
    const feeds = batches.map((b) => {
      const p = padBatch(b);
      return { ids: new ort.Tensor('int64', p.ids, [p.batch, p.time]), lengths: new ort.Tensor('int32', p.lengths, [p.batch]) };
    });
    // Outputs of the real session, replayed by the stub.
    const outputs: Record<string, OrtTensorLike>[] = [];
    for (const f of feeds) outputs.push(await predictor.session.run(f));
    let k = 0;
    let s = 0;
    let r = 0;
    const stubSession: SessionLike = { inputNames: predictor.session.inputNames, outputNames: predictor.session.outputNames, run: async () => outputs[s++ % outputs.length]! };
    const stub = new Predictor(stubSession, ort.Tensor as unknown as TensorCtor, predictor.info, { maxBatch: 4096 });
    const t0 = performance.now();
    for (const f of feeds) await predictor.session.run(f);
    const runs = Math.max(1, Math.round((o.windowMs * feeds.length) / (performance.now() - t0)));
    const [raw, pred, stubbed] = await alternate(
      [() => predictor.session.run(feeds[r++ % feeds.length]!), () => predictor.predict(batches[k++ % batches.length]!), () => stub.predict(batches[s % batches.length]!)],
      runs,
    );
    process.stdout.write(
      `layers ${layers} batch ${B}: session.run ${raw!.wall.toFixed(1)} µs wall / ${raw!.cpu.toFixed(1)} CPU, predict(ids) ${pred!.wall.toFixed(1)} / ${pred!.cpu.toFixed(1)}; ` +
        `Predictor/raw ${(raw!.wall / pred!.wall).toFixed(3)} wall, ${(raw!.cpu / pred!.cpu).toFixed(3)} CPU; stubbed session: ${stubbed!.wall.toFixed(1)} µs wall / ${stubbed!.cpu.toFixed(1)} CPU per call\n`,
    );
  }
  await predictor.release();
}
