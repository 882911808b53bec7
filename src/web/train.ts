// Training in the browser: the same training-step graph as Node (forward + backward + Adam,
// standard ai.onnx ops), run by onnxruntime-web. WebTrainSession is TrainSession's twin (the
// shared logic is src/train/step-runner.ts); Training is one run over the built-in data (batch
// order and dropout masks from the seed, as the Node trainer draws them); trainInBrowser() is
// its loop with progress, dev evaluation and export, made to run inside a Web Worker
// (src/web/worker.ts) so the page stays live.
import type * as OrtWeb from 'onnxruntime-web';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { Rng } from '../data/rng.js';
import { lengthBucketedBatches, padBatch, type PaddedBatch } from '../data/batches.js';
import type { Dataset, Example } from '../data/example.js';
import { resolveConfig, type ModelConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { classifierModel } from '../models/classifier.js';
import { encodeModel } from '../onnx/proto.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { optimizerState, type OptimizerSpec } from '../optim/index.js';
import { buildStepGraphs, type StepGraphs } from '../train/step-graph.js';
import { openStepRunner, StepRunner, type RuntimeTensor, type StepRuntime } from '../train/step-runner.js';
import { dropoutMask, stepRng } from '../train/dropout.js';
import { backendsFor, ortFor, sessionOptions, type Ort, type WebBackend, type WebDevice } from './ort.js';
import { WEBGPU_QUEUE } from '../runtime/run-queue.js';
import { DeviceUnavailableError } from '../runtime/errors.js';

/**
 * onnxruntime-web as a step runtime. On WebGPU, session creation, runs and release go through
 * the realm's WebGPU queue, like the Predictor's, so training and inference never overlap on
 * the shared device.
 */
export function webStepRuntime(ort: Ort, backend: WebBackend = 'wasm'): StepRuntime<OrtWeb.Tensor> {
  const serial = <T>(f: () => Promise<T>): Promise<T> => (backend === 'webgpu' ? WEBGPU_QUEUE.run(f) : f());
  return {
    tensor: (type: 'float32' | 'int64' | 'int32', data: Float32Array | BigInt64Array | Int32Array, dims: readonly number[]) => new ort.Tensor(type, data, dims),
    createSession: async (bytes: Uint8Array) => {
      const session = await serial(() => ort.InferenceSession.create(bytes, sessionOptions(backend)));
      return {
        run: (feeds: Record<string, OrtWeb.Tensor>) => serial(() => session.run(feeds)),
        release: () => serial(() => session.release()),
      };
    },
  } as StepRuntime<OrtWeb.Tensor>;
}

export class WebTrainSession extends StepRunner<OrtWeb.Tensor> {
  static async create(
    graphs: StepGraphs,
    params: Map<string, Tensor>,
    state: Map<string, Tensor>,
    opts: { backend?: WebBackend; ort?: Ort } = {},
  ): Promise<WebTrainSession> {
    const backend = opts.backend ?? 'wasm';
    const ort = opts.ort ?? (await ortFor(backend));
    const models = { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) };
    return new WebTrainSession(await openStepRunner(webStepRuntime(ort, backend), graphs, models, params, state));
  }
}

export interface BrowserTrainOptions {
  /** Default: the built-in sentiment data (`trainSize` / `devSize` sentences). */
  dataset?: Dataset;
  trainSize?: number;
  devSize?: number;
  /** Default: a small 2-layer Highway BiLSTM (embed 32, hidden 16, dropout 0.1). */
  model?: Partial<ModelConfig>;
  lr?: number;
  batchSize?: number;
  epochs?: number;
  /** Stop after this many steps (the page's budget). */
  maxSteps?: number;
  /** Evaluate on dev every this many steps (default: 4 times an epoch). */
  evalEvery?: number;
  seed?: number;
  /** Where the steps run, in the runtime's device vocabulary: 'cpu' (WASM, default), 'webgpu', or 'auto' (WebGPU on a hardware adapter, else WASM). */
  device?: WebDevice;
  /**
   * Run the steps on this runtime instead of onnxruntime-web: the same loop, batches and masks
   * on another onnxruntime (the benchmark's Node baseline passes nodeStepRuntime()).
   */
  runtime?: StepRuntime<RuntimeTensor>;
  /** Checked between steps: returns early with what has been trained. */
  shouldStop?: () => boolean;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  /** Training loss and accuracy of this step's batch, and their running means over the last 20 steps. */
  loss: number;
  accuracy: number;
  smoothLoss: number;
  smoothAccuracy: number;
  /** Set on evaluation steps. */
  devLoss?: number;
  devAccuracy?: number;
  stepsPerSec: number;
  seconds: number;
}

export interface BrowserTrainResult {
  /** The trained classifier (best dev accuracy), self-contained: vocabulary and labels inside. */
  modelBytes: Uint8Array;
  config: ModelConfig;
  steps: number;
  seconds: number;
  /** Mean training loss of the first and the last 10 steps. */
  firstLoss: number;
  lastLoss: number;
  bestDevAccuracy: number;
  history: TrainProgress[];
  stopped: boolean;
  /** Time to derive the training-step graph and to create the sessions. */
  buildMs: number;
  sessionMs: number;
  /** The onnxruntime-web backend the steps ran on ('node' when a runtime was passed in). */
  backend: WebBackend | 'node';
}

export const BROWSER_TRAIN_DEFAULTS = {
  trainSize: 2000,
  devSize: 200,
  model: { kind: 'highway', layers: 2, embedDim: 32, hidden: 16, dropout: 0.1, gateBias: -1 } as Partial<ModelConfig>,
  lr: 0.01,
  batchSize: 32,
  epochs: 6,
  seed: 1,
} as const;

interface Encoded {
  ids: number[][];
  labels: number[];
}

const encode = (examples: Example[], vocab: Vocabulary): Encoded => ({
  ids: examples.map((e) => vocab.encode(tokenize(e.text))),
  labels: examples.map((e) => e.label),
});

const batchesOf = (data: Encoded, order: number[][]): { batch: PaddedBatch; labels: BigInt64Array }[] =>
  order.map((idx) => ({ batch: padBatch(idx.map((i) => data.ids[i]!)), labels: BigInt64Array.from(idx, (i) => BigInt(data.labels[i]!)) }));

/** Let the event loop run (worker messages, a stop request) without the 4 ms setTimeout clamp. */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** The classifier with these parameters as one self-contained .onnx (gates output on). */
export function exportModel(config: ModelConfig, params: Map<string, Tensor>, vocab: Vocabulary): Uint8Array {
  return encodeModel(classifierModel({ ...config, gatesOutput: config.kind === 'highway' }, { params, vocab: vocab.toJSON() }));
}

/**
 * Open on the first backend that starts ('auto' lists WebGPU, then WASM): a WebGPU adapter
 * that fails to start falls back to the next. Throws the last backend's error.
 */
async function openOnFirst<T>(backends: WebBackend[], open: (b: WebBackend) => Promise<T>): Promise<{ session: T; backend: WebBackend }> {
  let last: unknown = new DeviceUnavailableError('no backend to train on');
  for (const b of backends) {
    try {
      return { session: await open(b), backend: b };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** One step's outcome, with the batch it ran on. */
export interface TrainingStep {
  step: number;
  epoch: number;
  loss: number;
  correct: number;
  size: number;
  /** Valid (unpadded) tokens in the batch. */
  tokens: number;
}

/**
 * A training run opened and ready to step: data, vocabulary, step graphs, sessions, and the
 * batch order (length-bucketed, reshuffled per epoch from the seed) and dropout masks (from
 * (seed, step)) that make a run repeat exactly. trainInBrowser() loops over it; the browser
 * benchmark times its steps on onnxruntime-web and onnxruntime-node alike.
 */
export class Training {
  step = 0;
  private epoch = 0;
  private queue: { batch: PaddedBatch; labels: BigInt64Array }[] = [];

  private constructor(
    readonly config: ModelConfig,
    readonly vocab: Vocabulary,
    readonly session: StepRunner<RuntimeTensor>,
    private readonly train: Encoded,
    readonly dev: { batch: PaddedBatch; labels: BigInt64Array }[],
    readonly settings: { seed: number; lr: number; batchSize: number; epochs: number },
    readonly totalSteps: number,
    readonly stepsPerEpoch: number,
    readonly buildMs: number,
    readonly sessionMs: number,
    readonly backend: WebBackend | 'node',
  ) {}

  static async open(opts: BrowserTrainOptions = {}): Promise<Training> {
    const D = BROWSER_TRAIN_DEFAULTS;
    const settings = { seed: opts.seed ?? D.seed, lr: opts.lr ?? D.lr, batchSize: opts.batchSize ?? D.batchSize, epochs: opts.epochs ?? D.epochs };
    const dataset = opts.dataset ?? builtinDataset({ seed: settings.seed, trainSize: opts.trainSize ?? D.trainSize, devSize: opts.devSize ?? D.devSize, testSize: 0 });
    const vocab = Vocabulary.build(dataset.train.map((e) => tokenize(e.text)));
    const config = resolveConfig({
      seed: settings.seed, ...D.model, ...opts.model, vocabSize: vocab.size, classes: dataset.labels.length, labels: dataset.labels, gatesOutput: false,
    });
    const train = encode(dataset.train, vocab);
    const devData = encode(dataset.dev, vocab);
    const dev = batchesOf(devData, lengthBucketedBatches(devData.ids, 128, null));
    const stepsPerEpoch = Math.ceil(train.ids.length / settings.batchSize);
    const totalSteps = Math.min(opts.maxSteps ?? Infinity, stepsPerEpoch * settings.epochs);

    const optimizer: OptimizerSpec = { kind: 'adam', clipNorm: 5 };
    let t = performance.now();
    const params = initParams(config);
    const graphs = buildStepGraphs(config, optimizer, { params });
    const buildMs = performance.now() - t;
    const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
    t = performance.now();
    let backend: WebBackend | 'node' = 'node';
    let session: StepRunner<RuntimeTensor>;
    if (opts.runtime) session = new StepRunner(await openStepRunner(opts.runtime, graphs, { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) }, params, state));
    else ({ session, backend } = await openOnFirst((await backendsFor(opts.device ?? 'cpu')).backends, (b) => WebTrainSession.create(graphs, params, state, { backend: b })));
    const sessionMs = performance.now() - t;
    return new Training(config, vocab, session, train, dev, settings, totalSteps, stepsPerEpoch, buildMs, sessionMs, backend);
  }

  get done(): boolean {
    return this.step >= this.totalSteps;
  }

  /** Run the next step; null once totalSteps are done. A non-finite loss throws (nothing is updated). */
  async next(): Promise<TrainingStep | null> {
    if (this.done) return null;
    if (this.queue.length === 0) {
      const { seed, batchSize } = this.settings;
      this.queue = batchesOf(this.train, lengthBucketedBatches(this.train.ids, batchSize, new Rng(seed * 7919 + this.epoch)));
      this.epoch++;
    }
    const { batch, labels } = this.queue.shift()!;
    const step = this.step + 1;
    const { seed, lr } = this.settings;
    const rng = stepRng(seed, step);
    const r = await this.session.step({
      batch, labels, lr, step,
      embeddingMask: dropoutMask(rng, batch.time * batch.batch * this.config.embedDim, this.config.dropout),
      outputMask: dropoutMask(rng, batch.batch * 2 * this.config.hidden, this.config.dropout),
    });
    if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${step}; lower the learning rate (now ${lr})`);
    this.step = step;
    return { step, epoch: this.epoch, loss: r.loss, correct: r.correct, size: batch.batch, tokens: batch.lengths.reduce((a, b) => a + b, 0) };
  }

  async evaluateDev(): Promise<{ loss: number; accuracy: number }> {
    const ev = await this.session.evaluate(this.dev);
    return { loss: ev.loss / ev.total, accuracy: ev.correct / ev.total };
  }

  params(): Map<string, Tensor> {
    return this.session.params();
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Run up to n steps and time them (benchmarks: the same call on every runtime). */
export async function timeSteps(t: Training, n: number): Promise<{ steps: number; seconds: number; tokens: number; loss: number }> {
  let steps = 0;
  let tokens = 0;
  let loss = Number.NaN;
  const t0 = performance.now();
  for (; steps < n; steps++) {
    const r = await t.next();
    if (!r) break;
    tokens += r.tokens;
    loss = r.loss;
  }
  return { steps, seconds: (performance.now() - t0) / 1000, tokens, loss };
}

export async function trainInBrowser(opts: BrowserTrainOptions = {}): Promise<BrowserTrainResult> {
  const training = await Training.open(opts);
  const { totalSteps, stepsPerEpoch, config, vocab } = training;
  const evalEvery = opts.evalEvery ?? Math.max(1, Math.round(stepsPerEpoch / 4));
  const history: TrainProgress[] = [];
  const losses: number[] = [];
  const accs: number[] = [];
  let best = { accuracy: -1, params: training.params() };
  let stopped = false;
  const t0 = performance.now();
  let lastYield = t0;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  try {
    while (!training.done) {
      if (opts.shouldStop?.()) {
        stopped = true;
        break;
      }
      const r = (await training.next())!;
      losses.push(r.loss);
      accs.push(r.correct / r.size);
      const seconds = (performance.now() - t0) / 1000;
      const p: TrainProgress = {
        step: r.step, totalSteps, epoch: r.epoch, loss: r.loss, accuracy: r.correct / r.size,
        smoothLoss: mean(losses.slice(-20)), smoothAccuracy: mean(accs.slice(-20)), stepsPerSec: r.step / seconds, seconds,
      };
      if (r.step % evalEvery === 0 || training.done) {
        const ev = await training.evaluateDev();
        p.devLoss = ev.loss;
        p.devAccuracy = ev.accuracy;
        if (ev.accuracy > best.accuracy) best = { accuracy: ev.accuracy, params: training.params() };
      }
      history.push(p);
      opts.onProgress?.(p);
      if (performance.now() - lastYield > 30) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    // Stopped before the first evaluation: evaluate what there is.
    if (best.accuracy < 0) best = { accuracy: (await training.evaluateDev()).accuracy, params: training.params() };
  } finally {
    await training.release();
  }
  return {
    modelBytes: exportModel(config, best.params, vocab),
    config: { ...config, gatesOutput: config.kind === 'highway' },
    steps: training.step,
    seconds: (performance.now() - t0) / 1000,
    firstLoss: mean(losses.slice(0, 10)),
    lastLoss: mean(losses.slice(-10)),
    bestDevAccuracy: best.accuracy,
    history,
    stopped,
    buildMs: training.buildMs,
    sessionMs: training.sessionMs,
    backend: training.backend,
  };
}
