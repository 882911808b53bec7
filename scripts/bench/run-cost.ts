// What one onnxruntime run of the classifier costs as a function of its batch B and padded
// length T, with one intra-op thread and with --threads: the data behind the Predictor's run
// planner (src/runtime/run-plan.ts: cost ≈ perRun + T·(perStep + B·perToken)) and its choice of
// session by run size. Raw sessions on the inference form, every id random, every sequence T
// long; cells timed in alternating windows, medians. Prints one line per (layers, B, T) with µs
// per run for each thread count, then a least-squares fit of the cost model per thread count.
//
//   npx tsx scripts/bench/run-cost.ts [--layers 1,4] [--batches 1,4,16,64,256] [--lengths 8,24,48] [--windows 7]
import * as ort from 'onnxruntime-node';
import { Command } from 'commander';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';
import { Rng } from '../../src/data/rng.js';
import { median } from './stats.js';

const list = (v: string): number[] => v.split(',').map(Number);
const o = new Command('run-cost')
  .option('--layers <list>', 'layer counts', list, [1, 4])
  .option('--batches <list>', 'batch sizes', list, [1, 4, 16, 64, 256])
  .option('--lengths <list>', 'padded lengths', list, [8, 24, 48])
  .option('--windows <n>', 'alternating windows', Number, 7)
  .option('--threads <n>', 'intra-op threads of the second session', Number, 2)
  .option('--window-ms <n>', 'target length of one window, ms', Number, 60)
  .parse(process.argv)
  .opts<{ layers: number[]; batches: number[]; lengths: number[]; windows: number; threads: number; windowMs: number }>();

/** Least squares for y ≈ a + T·(b + B·c) over the cells. */
function fit(cells: { B: number; T: number; us: number }[]): { perRun: number; perStep: number; perToken: number } {
  const rows = cells.map((c) => [1, c.T, c.B * c.T]);
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
  const y = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + r[i]! * cells[k]!.us, 0));
  // Gaussian elimination on the 3×3 normal equations.
  for (let i = 0; i < 3; i++) {
    for (let k = i + 1; k < 3; k++) {
      const f = A[k]![i]! / A[i]![i]!;
      for (let j = i; j < 3; j++) A[k]![j]! -= f * A[i]![j]!;
      y[k]! -= f * y[i]!;
    }
  }
  const x = [0, 0, 0];
  for (let i = 2; i >= 0; i--) x[i] = (y[i]! - [0, 1, 2].reduce((s, j) => (j > i ? s + A[i]![j]! * x[j]! : s), 0)) / A[i]![i]!;
  return { perRun: x[0]!, perStep: x[1]!, perToken: x[2]! };
}

const rng = new Rng(5);
for (const layers of o.layers) {
  const config = resolveConfig({ kind: 'highway', layers, vocabSize: 16000, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' });
  const bytes = encodeModel(classifierModel(config));
  const threads = [1, o.threads];
  const sessions = await Promise.all(threads.map((t) => ort.InferenceSession.create(bytes, { ...cpuSessionOptions({ threads: t }), executionProviders: ['cpu'] })));
  const cells: { B: number; T: number; us: number }[][] = threads.map(() => []);
  for (const B of o.batches) {
    for (const T of o.lengths) {
      const feeds = {
        ids: new ort.Tensor('int64', BigInt64Array.from({ length: B * T }, () => BigInt(2 + rng.nextInt(config.vocabSize - 2))), [B, T]),
        lengths: new ort.Tensor('int32', new Int32Array(B).fill(T), [B]),
      };
      for (const s of sessions) await s.run(feeds);
      const t0 = performance.now();
      await sessions[0]!.run(feeds);
      const runs = Math.max(1, Math.round(o.windowMs / (performance.now() - t0)));
      const us = sessions.map((): number[] => []);
      for (let w = 0; w < o.windows; w++) {
        for (const [k, s] of sessions.entries()) {
          const w0 = performance.now();
          for (let i = 0; i < runs; i++) await s.run(feeds);
          us[k]!.push(((performance.now() - w0) * 1000) / runs);
        }
      }
      const m = us.map(median);
      m.forEach((v, k) => cells[k]!.push({ B, T, us: v }));
      process.stdout.write(`layers ${layers} B ${B} T ${T}: ${threads.map((t, k) => `${t} thread(s) ${m[k]!.toFixed(0)} µs`).join(', ')}\n`);
    }
  }
  threads.forEach((t, k) => {
    const f = fit(cells[k]!);
    process.stdout.write(`layers ${layers}, ${t} thread(s): cost ≈ ${f.perRun.toFixed(1)} + T·(${f.perStep.toFixed(2)} + B·${f.perToken.toFixed(3)}) µs\n`);
  });
  await Promise.all(sessions.map((s) => s.release()));
}
