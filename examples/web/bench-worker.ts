// Benchmark worker: a Training opened on request, stepped n steps at a time and timed here,
// so the page's round trips stay out of the measurement (scripts/bench/browser.ts).
import { configureWasm, ortFor, timeSteps, Training, type BrowserTrainOptions, type WasmSettings } from 'highway-onnx/web';

type Request = { type: 'open'; options: Omit<BrowserTrainOptions, 'runtime' | 'onProgress' | 'shouldStop'>; wasm: WasmSettings } | { type: 'steps'; n: number } | { type: 'close' };

const scope = self as unknown as { onmessage: (ev: MessageEvent<Request>) => void; postMessage(m: unknown): void };
let training: Training | null = null;

scope.onmessage = (ev) => {
  const m = ev.data;
  const reply = async (): Promise<unknown> => {
    if (m.type === 'open') {
      configureWasm(m.wasm);
      training = await Training.open(m.options);
      // The WASM threads this worker's runtime really runs (training is on the 'wasm' flavour).
      const threads = (await ortFor('wasm')).env.wasm.numThreads ?? 1;
      return { buildMs: training.buildMs, sessionMs: training.sessionMs, totalSteps: training.totalSteps, threads };
    }
    if (!training) throw new Error('no training open');
    if (m.type === 'steps') return timeSteps(training, m.n);
    await training.release();
    training = null;
    return {};
  };
  reply().then(
    (r) => scope.postMessage({ ok: true, ...(r as object) }),
    (e: unknown) => scope.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) }),
  );
};
