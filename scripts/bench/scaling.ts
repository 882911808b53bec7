// How cost grows: time per token of inference and of a training step as the sequence length
// (16…512, batch 32) and the batch size (1…1024, length 32) grow. Every sequence of a batch
// has the full length (no padding), so time per token is the model's own cost; a flat or
// falling curve means linear (or better) growth, a rising one superlinear.
//
// Model: Highway BiLSTM, 1 layer, carry projection, embed 100, hidden 50, vocabulary 16,000,
// random ids. Inference: a raw onnxruntime-node session with the project's session options
// (the Predictor's overhead is measured in the main bench). Training: the training-step graph
// (forward + backward + Adam), with the dense and with the lazy embedding update. Per cell:
// one untimed run, then runs until 0.3 s have passed (at least 3, at most 20); the median of
// wall time and of this process's CPU time (all threads). The chart shows CPU time: on a shared
// machine wall time measures the other processes as much as ours.
import * as ort from 'onnxruntime-node';
import { lineChart, panelGrid } from '../../src/charts/index.js';
import { Rng } from '../../src/data/rng.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig, type ModelConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { allocate, type Tensor } from '../../src/onnx/tensor.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';
import { dropoutMask, stepRng } from '../../src/train/dropout.js';
import { buildStepGraphs } from '../../src/train/step-graph.js';
import { TrainSession } from '../../src/train/node-runtime.js';
import { markdownTable, median } from './stats.js';

export type ScalingSeries = 'inference' | 'training (dense Adam)' | 'training (lazy embedding)';

export interface ScalingPoint {
  series: ScalingSeries;
  /** Which sweep: over the sequence length (batch fixed) or the batch size (length fixed). */
  sweep: 'length' | 'batch';
  batch: number;
  length: number;
  /** Median milliseconds per run (inference) or step (training). */
  ms: number;
  /** Microseconds per token (ms / (batch × length) × 1000). */
  usPerToken: number;
  /** CPU microseconds per token, all threads of this process (median): what the work costs, less disturbed by other processes than wall time. */
  cpuUsPerToken: number;
  runs: number;
}

export interface ScalingOptions {
  lengths: number[];
  batches: number[];
  /** The batch of the length sweep and the length of the batch sweep. */
  fixedBatch: number;
  fixedLength: number;
  threads: number;
  /** Minimum seconds of timed runs per cell. */
  seconds: number;
}

export const DEFAULT_SCALING: ScalingOptions = {
  lengths: [16, 32, 64, 128, 256, 512],
  batches: [1, 4, 16, 64, 256, 1024],
  fixedBatch: 32,
  fixedLength: 32,
  threads: 2,
  seconds: 0.3,
};

async function timeIt(run: () => Promise<unknown>, seconds: number): Promise<{ ms: number; cpuMs: number; runs: number }> {
  await run();
  const times: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (times.length < 20 && (times.length < 3 || performance.now() < end)) {
    const t = performance.now();
    const c0 = process.cpuUsage();
    await run();
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(times), cpuMs: median(cpu), runs: times.length };
}

function randomIds(rng: Rng, batch: number, length: number, vocab: number): BigInt64Array {
  return BigInt64Array.from({ length: batch * length }, () => BigInt(2 + rng.nextInt(vocab - 2)));
}

/** Time inference and training steps over the length sweep and the batch sweep; one point per series and cell. */
export async function benchScaling(opts: ScalingOptions = DEFAULT_SCALING): Promise<ScalingPoint[]> {
  const config: ModelConfig = resolveConfig({ kind: 'highway', layers: 1, vocabSize: 16000, embedDim: 100, hidden: 50, classes: 2, carry: 'projection', dropout: 0.5, gatesOutput: false });
  const cells: { sweep: 'length' | 'batch'; batch: number; length: number }[] = [
    ...opts.lengths.map((length) => ({ sweep: 'length' as const, batch: opts.fixedBatch, length })),
    ...opts.batches.map((batch) => ({ sweep: 'batch' as const, batch, length: opts.fixedLength })),
  ];
  const rng = new Rng(13);
  const points: ScalingPoint[] = [];
  const push = (series: ScalingSeries, c: (typeof cells)[number], t: { ms: number; cpuMs: number; runs: number }): void => {
    const tokens = c.batch * c.length;
    const p = { series, ...c, ms: t.ms, usPerToken: (1000 * t.ms) / tokens, cpuUsPerToken: (1000 * t.cpuMs) / tokens, runs: t.runs };
    points.push(p);
    process.stderr.write(`  scaling ${series} ${c.sweep} sweep batch=${c.batch} length=${c.length}: ${p.ms.toFixed(2)} ms, ${p.usPerToken.toFixed(2)} µs/token (CPU ${p.cpuUsPerToken.toFixed(2)})\n`);
  };

  const session = await ort.InferenceSession.create(encodeModel(classifierModel(config)), { ...cpuSessionOptions({ threads: opts.threads }), executionProviders: ['cpu'] });
  for (const c of cells) {
    const feeds = {
      ids: new ort.Tensor('int64', randomIds(rng, c.batch, c.length, config.vocabSize), [c.batch, c.length]),
      lengths: new ort.Tensor('int32', new Int32Array(c.batch).fill(c.length), [c.batch]),
    };
    push('inference', c, await timeIt(() => session.run(feeds), opts.seconds));
  }
  await session.release();

  const updates: [ScalingSeries, OptimizerSpec][] = [
    ['training (dense Adam)', { kind: 'adam' }],
    ['training (lazy embedding)', { kind: 'adam', embeddingUpdate: 'lazy' }],
  ];
  for (const [series, optimizer] of updates) {
    const params = initParams(config);
    const graphs = buildStepGraphs(config, optimizer, { params });
    const state = new Map<string, Tensor>(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
    const train = await TrainSession.create(graphs, params, state, { device: 'cpu', threads: opts.threads });
    let step = 0;
    for (const c of cells) {
      const batch = { ids: randomIds(rng, c.batch, c.length, config.vocabSize), lengths: new Int32Array(c.batch).fill(c.length), batch: c.batch, time: c.length };
      const labels = BigInt64Array.from({ length: c.batch }, () => BigInt(rng.nextInt(2)));
      const run = async (): Promise<void> => {
        step++;
        const r = stepRng(config.seed, step);
        await train.step({
          batch, labels,
          embeddingMask: dropoutMask(r, c.length * c.batch * config.embedDim, config.dropout),
          outputMask: dropoutMask(r, c.batch * 2 * config.hidden, config.dropout),
        }, { lr: 1e-3, step });
      };
      push(series, c, await timeIt(run, opts.seconds));
    }
    await train.release();
  }
  return points;
}

/** Two panels (length sweep, batch sweep), CPU µs per token on a log scale, one line per series. */
export function scalingChart(points: ScalingPoint[], opts: ScalingOptions = DEFAULT_SCALING): string {
  const seriesNames = [...new Set(points.map((p) => p.series))];
  const panel = (sweep: 'length' | 'batch'): string =>
    lineChart(
      seriesNames.map((name) => ({
        name,
        points: points.filter((p) => p.series === name && p.sweep === sweep).map((p) => ({ x: sweep === 'length' ? p.length : p.batch, y: p.cpuUsPerToken })),
        dash: name !== 'inference' && name.includes('dense'),
      })),
      {
        title: sweep === 'length' ? `time per token vs sequence length (batch ${opts.fixedBatch})` : `time per token vs batch size (length ${opts.fixedLength})`,
        xLabel: sweep === 'length' ? 'sequence length (tokens)' : 'batch size (sentences)',
        yLabel: 'CPU µs per token (all threads, median)',
        xScale: 'log',
        yScale: 'log',
        xTicks: sweep === 'length' ? opts.lengths : opts.batches,
        width: 560,
        height: 380,
      },
    );
  return panelGrid([panel('length'), panel('batch')], 2, { title: 'Highway BiLSTM (1 layer, embed 100, hidden 50): how cost grows — flat = linear' });
}

/** One row per cell, one column per series: CPU µs per token with wall µs in brackets. */
export function scalingTable(points: ScalingPoint[]): string {
  const cells = [...new Map(points.map((p) => [`${p.sweep}:${p.batch}:${p.length}`, p])).values()];
  const seriesNames = [...new Set(points.map((p) => p.series))];
  return markdownTable(
    ['sweep', 'batch', 'length', ...seriesNames.map((s) => `${s} µs/token: CPU (wall)`)],
    cells.map((c) => [
      c.sweep, c.batch, c.length,
      ...seriesNames.map((s) => {
        const p = points.find((q) => q.series === s && q.sweep === c.sweep && q.batch === c.batch && q.length === c.length);
        return p ? `${p.cpuUsPerToken.toFixed(2)} (${p.usPerToken.toFixed(2)})` : '–';
      }),
    ]),
  );
}
