// What WASM threads buy in the browser: two pages of the same Chromium, one on 1 thread and one on
// N (default: what the web entry picks on this machine), the same model and batch, timed in
// alternating windows so load from other processes hits both alike. Inference (Predictor,
// Highway BiLSTM, vocab 20000, embed 100, hidden 50) and training steps (the `npm start` model, in
// a worker). `npx tsx scripts/bench/browser-threads.ts [--threads N] [--batch 32] [--windows 6]
// [--seconds 2] [--steps 10]`; prints a markdown table.
import type { Page } from 'playwright-core';
import { Rng } from '../../src/data/rng.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { startHarness } from '../web-harness.js';
import { markdownTable, median } from './stats.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const batch = Number(arg('batch', '32'));
const windows = Number(arg('windows', '6'));
const seconds = Number(arg('seconds', '2'));
const steps = Number(arg('steps', '10'));
const asked = Number(arg('threads', '0'));

type Bench = {
  highwayBench: {
    configureWasm(s: object): void;
    defaultWasmThreads(): number;
    loadModel(u: string, o: object): Promise<{ threads: number }>;
    timePredict(p: unknown, b: number[][], o: object): Promise<number[]>;
    openTrainer(o: object, n?: number): Promise<{ threads: number; steps(n: number): Promise<{ steps: number; seconds: number }>; close(): Promise<void> }>;
  };
  __p: unknown;
  __t: { steps(n: number): Promise<{ steps: number; seconds: number }>; close(): Promise<void> };
};

const config = resolveConfig({ layers: 1, vocabSize: 20000, embedDim: 100, hidden: 50, kind: 'highway' });
const h = await startHarness({ '/models/bench.onnx': encodeModel(classifierModel(config, {})) });
try {
  const open = async (threads: number): Promise<{ page: Page; threads: number; trainThreads: number }> => {
    const page = await h.browser.newPage();
    await page.goto(`${h.server.url}bench.html`);
    await page.waitForFunction('window.highwayBench?.ready === true');
    const r = await page.evaluate(async ([n, o]) => {
      const w = window as unknown as Bench;
      const threads = (n as number) || w.highwayBench.defaultWasmThreads();
      w.highwayBench.configureWasm({ numThreads: threads });
      const p = await w.highwayBench.loadModel('models/bench.onnx', { device: 'wasm', maxBatch: 1024 });
      w.__p = p;
      const t = await w.highwayBench.openTrainer(o as object, threads);
      w.__t = t;
      return { threads: p.threads, trainThreads: t.threads };
    }, [threads, { model: { kind: 'highway', layers: 2, embedDim: 100, hidden: 50, dropout: 0.1 }, epochs: 1000 }] as const);
    return { page, ...r };
  };
  const one = await open(1);
  const many = await open(asked);
  const rng = new Rng(batch);
  const seqs = Array.from({ length: batch }, () => Array.from({ length: 5 + rng.nextInt(30) }, () => 2 + rng.nextInt(19998)));
  const predict = (page: Page, secs: number): Promise<number[]> =>
    page.evaluate(([s, t]) => { const w = window as unknown as Bench; return w.highwayBench.timePredict(w.__p, s as number[][], { seconds: t as number, minIters: 3 }); }, [seqs, secs] as const);
  const train = (page: Page, n: number): Promise<{ steps: number; seconds: number }> =>
    page.evaluate((k) => (window as unknown as Bench).__t.steps(k), n);
  // Warm-up: Chromium tiers WASM up in the background (see scripts/bench/browser.ts).
  for (const p of [one.page, many.page]) {
    await predict(p, 10);
    for (let spent = 0; spent < 10; ) spent += (await train(p, 5)).seconds;
  }
  const inf = { one: [] as number[], many: [] as number[], ratio: [] as number[] };
  const trn = { one: [] as number[], many: [] as number[], ratio: [] as number[] };
  for (let w = 0; w < windows; w++) {
    const a = median(await predict(one.page, seconds));
    const b = median(await predict(many.page, seconds));
    inf.one.push((batch * 1000) / a);
    inf.many.push((batch * 1000) / b);
    inf.ratio.push(a / b);
    const ta = await train(one.page, steps);
    const tb = await train(many.page, steps);
    trn.one.push(ta.steps / ta.seconds);
    trn.many.push(tb.steps / tb.seconds);
    trn.ratio.push(tb.steps / tb.seconds / (ta.steps / ta.seconds));
    process.stderr.write(`  window ${w + 1}: inference ${(a / b).toFixed(2)}×, training ${trn.ratio.at(-1)!.toFixed(2)}×\n`);
  }
  for (const p of [one.page, many.page]) await p.evaluate(() => (window as unknown as Bench).__t.close());
  const f = (x: number, d = 0): string => x.toFixed(d);
  process.stdout.write(`${markdownTable(
    ['task', 'batch', 'unit', '1 thread', `${many.threads} threads (training ${many.trainThreads})`, `${many.threads} / 1 thread`],
    [
      ['inference, 1 layer', batch, 'sentences/s', f(median(inf.one)), f(median(inf.many)), f(median(inf.ratio), 2)],
      ['training, npm start model', 32, 'steps/s', f(median(trn.one), 1), f(median(trn.many), 1), f(median(trn.ratio), 2)],
    ],
  )}\n`);
} finally {
  await h.close();
}
