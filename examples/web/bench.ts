// Harness page for scripts/bench/browser.ts: the browser entry's API on `window.highwayBench`,
// timing loops that run inside the page (no round trip per call), and a training worker
// that is stepped on request.
import * as web from 'highway-onnx/web';

const wasmPaths = new URL('ort/', document.baseURI).href;
web.configureWasm({ wasmPaths });

/** Latencies (ms) of predictor.predict(batch) over `seconds` (at least minIters calls). */
async function timePredict(p: web.Predictor, batch: number[][], opts: { seconds: number; minIters: number }): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + opts.seconds * 1000;
  while (performance.now() < end || times.length < opts.minIters) {
    const t = performance.now();
    await p.predict(batch);
    times.push(performance.now() - t);
  }
  return times;
}

interface StepTimes {
  steps: number;
  seconds: number;
  tokens: number;
  loss: number;
}

/** A Training in a worker (as the demo trains): steps(n) runs and times n steps there. */
async function openTrainer(options: web.BrowserTrainOptions, numThreads?: number) {
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  const call = <T>(msg: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      worker.onmessage = (ev: MessageEvent<{ ok: boolean; message?: string } & T>) => (ev.data.ok ? resolve(ev.data) : reject(new Error(ev.data.message)));
      worker.onerror = (ev) => reject(new Error(ev.message || 'benchmark worker failed'));
      worker.postMessage(msg);
    });
  const opened = await call<{ buildMs: number; sessionMs: number; totalSteps: number; threads: number }>({ type: 'open', options, wasm: { wasmPaths, ...(numThreads ? { numThreads } : {}) } });
  return {
    ...opened,
    steps: (n: number) => call<StepTimes>({ type: 'steps', n }),
    close: async () => {
      await call({ type: 'close' });
      worker.terminate();
    },
  };
}

(window as unknown as { highwayBench: unknown }).highwayBench = { ...web, timePredict, openTrainer, ready: true };
