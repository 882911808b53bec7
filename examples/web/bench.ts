// Harness page for scripts/bench/browser.ts and test/web: the browser entry's API on `window`,
// plus timing loops that run inside the page (no round trip per call).
import * as web from '../../src/web/index.js';
import { trainInWorker, type WorkerTrainOptions } from '../../src/web/worker.js';

web.configureWasm({ wasmPaths: new URL('ort/', document.baseURI).href });

/** Latencies (ms) of predictor.predict(batch) over `seconds`, after `warmup` calls. */
async function timePredict(p: web.Predictor, batch: number[][], opts: { seconds: number; minIters: number; warmup: number }): Promise<number[]> {
  for (let i = 0; i < opts.warmup; i++) await p.predict(batch);
  const times: number[] = [];
  const end = performance.now() + opts.seconds * 1000;
  while (performance.now() < end || times.length < opts.minIters) {
    const t = performance.now();
    await p.predict(batch);
    times.push(performance.now() - t);
  }
  return times;
}

function trainWorker(options: WorkerTrainOptions): Promise<web.BrowserTrainResult> {
  const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  return trainInWorker(worker, options, { wasmPaths: new URL('ort/', document.baseURI).href }).result.finally(() => worker.terminate());
}

(window as unknown as { highwayBench: unknown }).highwayBench = { ...web, timePredict, trainWorker, ready: true };
