// Training in a Web Worker, so the page stays responsive: the worker side (serveTraining)
// and the page side (trainInWorker) of one small message protocol.
import { configureWasm, type WasmSettings } from './ort.js';
import { defaultWasmThreads } from './threads.js';
import { trainInBrowser, type BrowserTrainOptions, type BrowserTrainResult, type TrainProgress } from './train.js';
import type { EpochEnd, StepInfo, TrainCallbacks } from '../train/loop.js';

/** The options that cross postMessage (no callbacks, no onnxruntime instance). */
export type WorkerTrainOptions = Omit<BrowserTrainOptions, 'onProgress' | 'shouldStop' | 'runtime' | 'onStep' | 'onEpochEnd' | 'signal'>;

export type TrainRequest = { type: 'train'; options: WorkerTrainOptions; wasm: WasmSettings } | { type: 'stop' };
export type TrainReply =
  | { type: 'progress'; progress: TrainProgress; step: StepInfo }
  | { type: 'epoch'; epoch: EpochEnd }
  | { type: 'done'; result: BrowserTrainResult }
  | { type: 'error'; message: string };

interface WorkerScope {
  onmessage: ((ev: MessageEvent<TrainRequest>) => void) | null;
  postMessage(message: TrainReply, transfer?: Transferable[]): void;
}

/** Call in the worker module: `serveTraining(self)`. One training run at a time. */
export function serveTraining(scope: WorkerScope): void {
  let stop: AbortController | null = null;
  let running = false;
  scope.onmessage = (ev) => {
    const req = ev.data;
    if (req.type === 'stop') {
      stop?.abort('stop');
      return;
    }
    if (running) {
      scope.postMessage({ type: 'error', message: 'a training run is already in progress' });
      return;
    }
    running = true;
    stop = new AbortController();
    configureWasm(req.wasm);
    // The last step's progress, sent with its StepInfo (onStep runs after onProgress).
    let progress: TrainProgress | null = null;
    trainInBrowser({
      ...req.options,
      signal: stop.signal,
      onProgress: (p) => {
        progress = p;
      },
      onStep: (step) => scope.postMessage({ type: 'progress', progress: progress!, step }),
      onEpochEnd: (epoch) => scope.postMessage({ type: 'epoch', epoch }),
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

/** The page's callbacks for a run in a worker: trainInBrowser's, delivered by message. */
export interface WorkerTrainCallbacks extends TrainCallbacks {
  onProgress?: (p: TrainProgress) => void;
}

/**
 * Page side: start a run in `worker` (a module worker that calls serveTraining). The fourth
 * argument is an onProgress function (as before) or the callbacks trainInBrowser takes:
 * onStep, onEpochEnd, and a signal whose abort stops the run (like TrainingRun.stop()). Without
 * `wasm.numThreads` the worker uses the page's thread count (defaultWasmThreads() here).
 */
export function trainInWorker(
  worker: Worker,
  options: WorkerTrainOptions,
  wasm: WasmSettings,
  callbacks: WorkerTrainCallbacks | ((p: TrainProgress) => void) = {},
): TrainingRun {
  const cb: WorkerTrainCallbacks = typeof callbacks === 'function' ? { onProgress: callbacks } : callbacks;
  const stop = (): void => worker.postMessage({ type: 'stop' } satisfies TrainRequest);
  const result = new Promise<BrowserTrainResult>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<TrainReply>) => {
      const msg = ev.data;
      if (msg.type === 'progress') {
        cb.onProgress?.(msg.progress);
        void cb.onStep?.(msg.step);
      } else if (msg.type === 'epoch') void cb.onEpochEnd?.(msg.epoch);
      else if (msg.type === 'done') resolve(msg.result);
      else reject(new Error(msg.message));
    };
    worker.onerror = (ev) => reject(new Error(`training worker failed: ${ev.message || 'could not start the worker'}`));
  });
  if (cb.signal?.aborted) queueMicrotask(stop);
  cb.signal?.addEventListener('abort', stop, { once: true });
  void result.finally(() => cb.signal?.removeEventListener('abort', stop)).catch(() => {});
  worker.postMessage({ type: 'train', options, wasm: { numThreads: defaultWasmThreads(), ...wasm } } satisfies TrainRequest);
  return { result, stop };
}
