// Browser benchmark: onnxruntime-web (WASM) in Debian's Chromium against onnxruntime-node
// (native CPU) in this process, same models, same inputs, same run. Timed windows alternate
// Node then browser, so load from other processes hits both alike; throughputs are medians
// over the windows and the ratio (browser / Node) is the median of the per-window ratios.
//
// Inference: the Predictor (text ids → padded tensors → probabilities) on a Highway BiLSTM
// (vocab 20000, embed 100, hidden 50 per direction), ragged lengths 5…2·seqLen−5, as in
// scripts/bench/inference.ts. Training: src/web/train.ts's Training (the loop the demo page
// runs in a Web Worker; batches, masks and graph identical on both sides) on the built-in data,
// browser in a worker, Node over onnxruntime-node (nodeStepRuntime).
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { Rng } from '../../src/data/rng.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig, type ModelConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { loadModel } from '../../src/runtime/node.js';
import { nodeStepRuntime } from '../../src/train/node-runtime.js';
import { BROWSER_TRAIN_DEFAULTS, timeSteps, Training, type BrowserTrainOptions } from '../../src/web/train.js';
import { startHarness } from '../web-harness.js';
import { markdownTable, median, percentile } from './stats.js';

export interface BrowserBenchOptions {
  /** Inference models (Highway BiLSTM layers). */
  layers: number[];
  batches: number[];
  /** Seconds per inference cell, each side (split over the windows). */
  seconds: number;
  seqLen: number;
  /** Timed windows per cell (default 4). */
  windows?: number;
  /** Timed training steps per configuration, each side (default 60); 0 skips training. */
  trainSteps?: number;
  /**
   * Untimed warm-up, browser side: seconds of inference before the first cell (default 12) and of
   * training per configuration (default 15). Chromium runs WASM first from its baseline compiler
   * and tiers hot functions up to TurboFan in the background; on this 2-core machine under load
   * that took ~10 s (inference) and ~25 s (training) before the step time settled (3–4× faster).
   */
  warmupSeconds?: number;
  warmupTrainSeconds?: number;
  /** Node intra-op threads (default: onnxruntime's choice). */
  nodeThreads?: number;
  /**
   * Browser WASM threads (default: the web entry's defaultWasmThreads(): the page is cross-origin
   * isolated, so navigator.hardwareConcurrency capped at 4 — 2 on a 2-core machine).
   */
  browserThreads?: number;
}

export interface BrowserRow {
  kind: 'inference' | 'training';
  /** 'L layers' (inference) or the training model. */
  model: string;
  batch: number;
  unit: 'sentences/s' | 'steps/s';
  browser: number;
  node: number;
  /** browser / Node, median of the per-window ratios. */
  ratio: number;
  browserP50Ms: number;
  nodeP50Ms: number;
  browserThreads: number;
  nodeThreads: string;
  /** Timed calls (inference) or steps (training) per side. */
  iterations: number;
}

const TRAIN_MODELS: { name: string; model: Partial<ModelConfig> }[] = [
  { name: 'demo: 2-layer, embed 32, hidden 16', model: { ...BROWSER_TRAIN_DEFAULTS.model } },
  { name: 'npm start: 2-layer, embed 100, hidden 50', model: { kind: 'highway', layers: 2, embedDim: 100, hidden: 50, dropout: 0.1 } },
];

async function timeNode(fn: () => Promise<unknown>, seconds: number, minIters: number): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || times.length < minIters) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times;
}

export async function benchBrowser(opts: BrowserBenchOptions): Promise<BrowserRow[]> {
  const windows = opts.windows ?? 4;
  const warmupSeconds = opts.warmupSeconds ?? 12;
  const warmupTrainSeconds = opts.warmupTrainSeconds ?? 15;
  const trainSteps = opts.trainSteps ?? 60;
  const nodeThreads = opts.nodeThreads ? String(opts.nodeThreads) : 'default';
  const models = new Map(opts.layers.map((layers) => {
    const config = resolveConfig({ layers, vocabSize: 20000, embedDim: 100, hidden: 50, kind: 'highway' });
    return [layers, encodeModel(classifierModel(config, {}))] as const;
  }));
  const routes = Object.fromEntries([...models].map(([l, bytes]) => [`/models/bench-${l}.onnx`, bytes]));
  const h = await startHarness(routes);
  const rows: BrowserRow[] = [];
  try {
    const page: Page = await h.browser.newPage();
    page.on('pageerror', (e) => process.stderr.write(`  browser: ${e.message}\n`));
    await page.goto(`${h.server.url}bench.html`);
    await page.waitForFunction('window.highwayBench?.ready === true');
    if (opts.browserThreads) {
      await page.evaluate((n) => (window as unknown as { highwayBench: { configureWasm(s: { numThreads: number }): void } }).highwayBench.configureWasm({ numThreads: n }), opts.browserThreads);
    }

    for (const [layers, bytes] of models) {
      const node = await loadModel(bytes, { device: 'cpu', maxBatch: 1024, ...(opts.nodeThreads ? { threads: opts.nodeThreads } : {}) });
      const browserThreads = (await page.evaluate(async (url) => {
        const w = window as unknown as { highwayBench: { loadModel(u: string, o: object): Promise<{ threads: number }> }; __p: unknown };
        const p = await w.highwayBench.loadModel(url, { device: 'wasm', maxBatch: 1024 });
        w.__p = p;
        return p.threads;
      }, `models/bench-${layers}.onnx`)) as number;
      for (const batch of opts.batches) {
        const rng = new Rng(layers * 1000 + batch);
        const seqs = Array.from({ length: batch }, () => Array.from({ length: 5 + rng.nextInt(2 * opts.seqLen - 10) }, () => 2 + rng.nextInt(20000 - 2)));
        const inBrowser = (seconds: number): Promise<number[]> =>
          page.evaluate(
            ([s, secs]) => {
              const w = window as unknown as { highwayBench: { timePredict(p: unknown, b: number[][], o: object): Promise<number[]> }; __p: unknown };
              return w.highwayBench.timePredict(w.__p, s as number[][], { seconds: secs as number, minIters: 3 });
            },
            [seqs, seconds] as const,
          );
        // Warm-up (see warmupSeconds): long before the page's first cell, short after.
        await timeNode(() => node.predict(seqs), 1, 2);
        await inBrowser(rows.length === 0 ? warmupSeconds : 1);
        const all = { b: [] as number[], n: [] as number[] };
        const ratios: number[] = [];
        for (let w = 0; w < windows; w++) {
          const n = await timeNode(() => node.predict(seqs), opts.seconds / windows, 3);
          const b = await inBrowser(opts.seconds / windows);
          all.n.push(...n);
          all.b.push(...b);
          ratios.push(median(n) / median(b));
        }
        const bP50 = median(all.b);
        const nP50 = median(all.n);
        rows.push({
          kind: 'inference', model: `${layers} layer${layers === 1 ? '' : 's'}`, batch, unit: 'sentences/s',
          browser: (batch * 1000) / bP50, node: (batch * 1000) / nP50, ratio: median(ratios),
          browserP50Ms: bP50, nodeP50Ms: nP50, browserThreads, nodeThreads, iterations: Math.min(all.b.length, all.n.length),
        });
        process.stderr.write(`  browser inference layers=${layers} batch=${batch}: browser ${((batch * 1000) / bP50).toFixed(0)}/s, node ${((batch * 1000) / nP50).toFixed(0)}/s, ratio ${median(ratios).toFixed(3)}\n`);
      }
      await node.release();
      await page.evaluate(() => (window as unknown as { __p: { release(): Promise<void> } }).__p.release());
    }

    if (trainSteps > 0) {
      for (const { name, model } of TRAIN_MODELS) {
        const options: BrowserTrainOptions = { model, epochs: 1000 };
        const nodeTraining = await Training.open({ ...options, runtime: nodeStepRuntime({ device: 'cpu', ...(opts.nodeThreads ? { threads: opts.nodeThreads } : {}) }) });
        const trainThreads = (await page.evaluate(
          async ([o, n]) => {
            const w = window as unknown as { highwayBench: { openTrainer(o: object, n?: number): Promise<{ threads: number }> }; __t: unknown };
            const t = await w.highwayBench.openTrainer(o as object, (n as number) || undefined);
            w.__t = t;
            return t.threads;
          },
          [options, opts.browserThreads ?? 0] as const,
        )) as number;
        const browserSteps = (n: number): Promise<{ steps: number; seconds: number }> =>
          page.evaluate((k) => (window as unknown as { __t: { steps(n: number): Promise<{ steps: number; seconds: number }> } }).__t.steps(k), n);
        await timeSteps(nodeTraining, 20);
        for (let spent = 0; spent < warmupTrainSeconds; ) spent += (await browserSteps(10)).seconds;
        const per = Math.max(1, Math.round(trainSteps / windows));
        const b: number[] = [];
        const n: number[] = [];
        const ratios: number[] = [];
        for (let w = 0; w < windows; w++) {
          const tn = await timeSteps(nodeTraining, per);
          const tb = await browserSteps(per);
          n.push(tn.steps / tn.seconds);
          b.push(tb.steps / tb.seconds);
          ratios.push(tb.steps / tb.seconds / (tn.steps / tn.seconds));
        }
        await nodeTraining.release();
        await page.evaluate(() => (window as unknown as { __t: { close(): Promise<void> } }).__t.close());
        const sorted = { b: [...b].sort((x, y) => x - y), n: [...n].sort((x, y) => x - y) };
        rows.push({
          kind: 'training', model: name, batch: BROWSER_TRAIN_DEFAULTS.batchSize, unit: 'steps/s',
          browser: percentile(sorted.b, 50), node: percentile(sorted.n, 50), ratio: median(ratios),
          browserP50Ms: 1000 / percentile(sorted.b, 50), nodeP50Ms: 1000 / percentile(sorted.n, 50),
          browserThreads: trainThreads, nodeThreads, iterations: per * windows,
        });
        process.stderr.write(`  browser training ${name}: browser ${median(b).toFixed(1)} steps/s, node ${median(n).toFixed(1)} steps/s, ratio ${median(ratios).toFixed(3)}\n`);
      }
    }
    await page.close();
  } finally {
    await h.close();
  }
  return rows;
}

export function browserTable(rows: BrowserRow[]): string {
  const f = (x: number, d = 1): string => x.toFixed(d);
  return markdownTable(
    ['task', 'model', 'batch', 'unit', 'browser (WASM)', 'Node (native)', 'browser/Node', 'browser p50 ms', 'Node p50 ms', 'threads browser / Node', 'timed'],
    rows.map((r) => [
      r.kind, r.model, r.batch, r.unit, f(r.browser, r.unit === 'steps/s' ? 1 : 0), f(r.node, r.unit === 'steps/s' ? 1 : 0), f(r.ratio, 3),
      f(r.browserP50Ms, 2), f(r.nodeP50Ms, 2), `${r.browserThreads || '?'} / ${r.nodeThreads}`, r.iterations,
    ]),
  );
}

// `npm run bench:web [-- --quick] [--threads N | --browser-threads N --node-threads N]`: this benchmark alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const quick = process.argv.includes('--quick');
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const browserThreads = arg('browser-threads') ? Number(arg('browser-threads')) : threads;
  const nodeThreads = arg('node-threads') ? Number(arg('node-threads')) : threads;
  const rows = await benchBrowser({
    layers: (arg('layers') ?? (quick ? '1' : '1,4')).split(',').map(Number),
    batches: (arg('batches') ?? (quick ? '1,32' : '1,32,256')).split(',').map(Number),
    seconds: Number(arg('seconds') ?? (quick ? 1 : 3)),
    seqLen: 20,
    trainSteps: Number(arg('steps') ?? (quick ? 30 : 80)),
    ...(nodeThreads ? { nodeThreads } : {}),
    ...(browserThreads ? { browserThreads } : {}),
  });
  process.stdout.write(`${browserTable(rows)}\n`);
}
