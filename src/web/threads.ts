// WASM threads for onnxruntime-web: how many, and where its thread workers load their code from.
//
// onnxruntime-web's default ESM build embeds its Emscripten runtime, whose thread workers are
// started with `new Worker(new URL(import.meta.url), { name: 'em-pthread' })`: they load the
// script that holds the runtime and expect nothing else in it. Once a bundler has put the runtime
// into a chunk with the app's own code (a single-file build, `inlineDynamicImports`, a shared chunk
// the runtime imports), every thread worker runs the app instead (`document is not defined`) and
// the runtime waits for them forever. So thread workers are started from entries of our own
// (ort-thread-wasm.ts, ort-thread-webgpu.ts) that hold nothing but onnxruntime-web: bundlers see
// the literal `new Worker(new URL('./…', import.meta.url), …)` below and emit each as a
// self-contained worker script. A thread worker that fails to start is a WasmThreadsError, not a hang.
import { CodedError } from '../errors.js';

/** More WASM threads than this buys little for these models, and takes cores from the page. */
export const MAX_WASM_THREADS = 4;

/** The thread workers did not start (their script failed to load or run). Code E_WASM_THREADS. */
export class WasmThreadsError extends CodedError {
  constructor(message: string) {
    super('E_WASM_THREADS', 'WasmThreadsError', message);
  }
}

/** What the thread policy reads from the page or worker: `self` in a browser. */
export interface ThreadScope {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}

/**
 * WASM threads onnxruntime-web should use here: 1 unless the scope is cross-origin isolated
 * (SharedArrayBuffer needs COOP/COEP), else `navigator.hardwareConcurrency` capped at
 * MAX_WASM_THREADS (onnxruntime-web's own default is half that, which is 1 on a 2-core machine).
 */
export function defaultWasmThreads(scope: ThreadScope = globalThis as ThreadScope): number {
  if (scope.crossOriginIsolated !== true) return 1;
  const cores = scope.navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(MAX_WASM_THREADS, Number.isInteger(cores) && cores! > 0 ? cores! : 1));
}

/** How long a thread worker may take to answer (it compiles nothing: the page sends the module). */
export const THREAD_START_TIMEOUT_MS = 60_000;

type WorkerCtor = new (url: string | URL, options?: WorkerOptions) => Worker;
type Flavour = 'wasm' | 'webgpu';

let failure: WasmThreadsError | null = null;
const waiting = new Set<(e: WasmThreadsError) => void>();

function failed(url: string, message: string): void {
  failure ??= new WasmThreadsError(
    `onnxruntime-web's WASM thread worker (${url}) failed to start: ${message}. ` +
      'Serve onnxruntime-web\'s dist files and pass { wasmPaths }, or pass { numThreads: 1 }; then reload the page',
  );
  for (const reject of waiting) reject(failure);
  waiting.clear();
}

/** Start one thread worker from our own entry for `flavour`, and report it if it fails to start. */
function startThreadWorker(flavour: Flavour, Worker: WorkerCtor): Worker {
  // Literal `new Worker(new URL('…', import.meta.url), { static options })`: the form bundlers
  // (Vite, webpack, Parcel) turn into a worker script of its own. The name is what the runtime
  // checks to run as a thread.
  const worker = flavour === 'webgpu'
    ? new Worker(new URL('./ort-thread-webgpu.js', import.meta.url), { type: 'module', name: 'em-pthread' })
    : new Worker(new URL('./ort-thread-wasm.js', import.meta.url), { type: 'module', name: 'em-pthread' });
  // Before its first message (the runtime's 'loaded') an error means the script did not start;
  // no message at all (a script that loads but never runs the runtime) is the same, after a while.
  let started = false;
  const where = `the ${flavour} thread entry`;
  const deadline = setTimeout(() => failed(where, `no answer within ${THREAD_START_TIMEOUT_MS / 1000} s`), THREAD_START_TIMEOUT_MS);
  worker.addEventListener('message', () => {
    started = true;
    clearTimeout(deadline);
  }, { once: true });
  worker.addEventListener('error', (ev: ErrorEvent) => {
    if (started) return;
    clearTimeout(deadline);
    failed(ev.filename || where, ev.message || 'its script could not be loaded');
  });
  return worker;
}

let installed: Flavour | null = null;

/**
 * Start onnxruntime-web's thread workers (the ones it names 'em-pthread') from our entry for
 * `flavour` instead of from whatever chunk holds its runtime; other workers are untouched. Only
 * where there is a `Worker` (a browser page or worker) and onnxruntime-web's embedded runtime is
 * used (no wasmPaths: with wasmPaths its workers load onnxruntime-web's own .mjs, which is fine).
 * One flavour per page: the second returns false and leaves threads to onnxruntime-web.
 */
export function redirectThreadWorkers(flavour: Flavour): boolean {
  const g = globalThis as { Worker?: WorkerCtor; process?: { versions?: { node?: string } } };
  // Node (onnxruntime-web under Node starts worker_threads itself, from its own files).
  if (typeof g.Worker !== 'function' || typeof g.process?.versions?.node === 'string') return false;
  if (installed !== null) return installed === flavour;
  const Base = g.Worker;
  const Redirect = function (this: unknown, url: string | URL, options?: WorkerOptions): Worker {
    if (options?.name?.startsWith('em-pthread')) return startThreadWorker(flavour, Base);
    return new Base(url, options);
  } as unknown as WorkerCtor;
  Object.setPrototypeOf(Redirect, Base);
  (Redirect as unknown as { prototype: unknown }).prototype = Base.prototype;
  g.Worker = Redirect;
  installed = flavour;
  return true;
}

/**
 * `work` (the first session of a flavour, which starts the thread workers), or WasmThreadsError
 * as soon as a thread worker fails to start (onnxruntime-web itself would wait for it forever).
 */
export function failFastOnThreadWorkers<T>(work: Promise<T>): Promise<T> {
  if (failure) return Promise.reject(failure);
  let reject: ((e: WasmThreadsError) => void) | undefined;
  const failedStart = new Promise<never>((_, r) => {
    reject = r;
    waiting.add(r);
  });
  return Promise.race([work, failedStart]).finally(() => waiting.delete(reject!));
}
