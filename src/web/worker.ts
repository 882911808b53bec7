// Training in a Web Worker, so the page stays responsive: the worker side (serveTraining)
// and the page side (trainInWorker) of one small message protocol.
import { configureWasm, type WasmSettings } from './ort.js';
import { defaultWasmThreads } from './threads.js';
import { trainInBrowser, type BrowserTrainOptions, type BrowserTrainResult, type TrainProgress } from './train.js';

/** The options that cross postMessage (no callbacks, no onnxruntime instance). */
export type WorkerTrainOptions = Omit<BrowserTrainOptions, 'onProgress' | 'shouldStop' | 'runtime'>;

export type TrainRequest = { type: 'train'; options: WorkerTrainOptions; wasm: WasmSettings } | { type: 'stop' };
export type TrainReply =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; result: BrowserTrainResult }
  | { type: 'error'; message: string };

interface WorkerScope {
  onmessage: ((ev: MessageEvent<TrainRequest>) => void) | null;
  postMessage(message: TrainReply, transfer?: Transferable[]): void;
}

/** Call in the worker module: `serveTraining(self)`. One training run at a time. */
export function serveTraining(scope: WorkerScope): void {
  let stop = false;
  let running = false;
  scope.onmessage = (ev) => {
    const req = ev.data;
    if (req.type === 'stop') {
      stop = true;
      return;
    }
    if (running) {
      scope.postMessage({ type: 'error', message: 'a training run is already in progress' });
      return;
    }
    running = true;
    stop = false;
    configureWasm(req.wasm);
    trainInBrowser({
      ...req.options,
      shouldStop: () => stop,
      onProgress: (progress) => scope.postMessage({ type: 'progress', progress }),
    }).then(
      (result) => scope.postMessage({ type: 'done', result }, [result.modelBytes.buffer as ArrayBuffer]),
      (e: unknown) => scope.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    ).finally(() => {
      running = false;
    });
  };
}

export interface TrainingRun {
  /** Resolves with the trained model (also when stopped early); rejects on an error. */
  result: Promise<BrowserTrainResult>;
  /** Ask the worker to stop after the current step; `result` then resolves with what was trained. */
  stop(): void;
}

/**
 * Page side: start a run in `worker` (a module worker that calls serveTraining). Without
 * `wasm.numThreads` the worker uses the page's thread count (defaultWasmThreads() here).
 */
export function trainInWorker(
  worker: Worker,
  options: WorkerTrainOptions,
  wasm: WasmSettings,
  onProgress: (p: TrainProgress) => void = () => {},
): TrainingRun {
  const result = new Promise<BrowserTrainResult>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<TrainReply>) => {
      const msg = ev.data;
      if (msg.type === 'progress') onProgress(msg.progress);
      else if (msg.type === 'done') resolve(msg.result);
      else reject(new Error(msg.message));
    };
    worker.onerror = (ev) => reject(new Error(`training worker failed: ${ev.message || 'could not start the worker'}`));
  });
  worker.postMessage({ type: 'train', options, wasm: { numThreads: defaultWasmThreads(), ...wasm } } satisfies TrainRequest);
  return { result, stop: () => worker.postMessage({ type: 'stop' } satisfies TrainRequest) };
}
