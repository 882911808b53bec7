// Training in the browser: the same training-step graph as Node (forward + backward + Adam,
// standard ai.onnx ops), run by onnxruntime-web through the same StepRunner and the same
// TrainingLoop (src/train/loop.ts: batch order, dropout masks, loss checks, callbacks) as
// Node's train(). BrowserTraining is one opened run over the built-in data; trainInBrowser()
// runs it with progress, dev evaluation and export, made to run inside a Web Worker
// (src/web/worker.ts) so the page stays live. This file keeps only the browser's own I/O.
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { lengthBucketedBatches } from '../data/batches.js';
import type { Dataset, Example } from '../data/example.js';
import { resolveConfig, type ModelConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { classifierModel } from '../models/classifier.js';
import { encodeModel } from '../onnx/proto.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { optimizerState, type OptimizerSpec } from '../optim/index.js';
import { buildStepGraphs } from '../train/step-graph.js';
import type { RuntimeTensor, StepRuntime } from '../train/step-runner.js';
import { openOnFirst, openWebClassifierRunner } from './step-runtime.js';
import { labelledBatch, openClassifierRunner, withDropout, type ClassifierBatch, type ClassifierRunner, type Encoded, type LabelledBatch } from '../train/classifier-feeds.js';
import { TrainingLoop, type LoopHooks, type StepInfo, type TrainCallbacks } from '../train/loop.js';
import { TrainingDivergedError } from '../train/errors.js';
import { backendsFor, type WebBackend, type WebDevice } from './ort.js';

export { webStepRuntime, openWebClassifierRunner, WebTrainSession } from './step-runtime.js';

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
  /** @deprecated Use `signal`. Checked between steps: returns early with what has been trained. */
  shouldStop?: () => boolean;
  /** Every step's progress (smoothed figures, dev metrics on evaluation steps). */
  onProgress?: (p: TrainProgress) => void;
  /** After every step (src/train/loop.ts StepInfo); the same callback as Node's train(). */
  onStep?: TrainCallbacks['onStep'];
  /** After every epoch's dev evaluation (and the partial epoch a stop ends). */
  onEpochEnd?: TrainCallbacks['onEpochEnd'];
  /** Abort to stop after the current step; the result holds what was trained (`stopped: true`). */
  signal?: AbortSignal;
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

const encode = (examples: Example[], vocab: Vocabulary): Encoded => ({
  ids: examples.map((e) => vocab.encode(tokenize(e.text))),
  labels: examples.map((e) => e.label),
});

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
 * A browser training run opened and ready to step: data, vocabulary, step graphs, the step
 * runner and the TrainingLoop (batch order from the seed, dropout masks from (seed, step), as
 * Node's train() draws them). trainInBrowser() runs its loop; the browser benchmark steps it
 * with next() on onnxruntime-web and onnxruntime-node alike.
 */
export class BrowserTraining {
  private constructor(
    readonly config: ModelConfig,
    readonly vocab: Vocabulary,
    readonly runner: ClassifierRunner,
    readonly loop: TrainingLoop<ClassifierBatch | LabelledBatch>,
    readonly dev: LabelledBatch[],
    readonly settings: { seed: number; lr: number; batchSize: number; epochs: number },
    readonly totalSteps: number,
    readonly stepsPerEpoch: number,
    readonly buildMs: number,
    readonly sessionMs: number,
    readonly backend: WebBackend | 'node',
  ) {}

  /**
   * Build the run: data (default: the built-in set), vocabulary, graphs and the runner on the
   * first backend that starts (or `opts.runtime`). `hooks` add the driver's I/O to the loop's.
   */
  static async open(opts: BrowserTrainOptions = {}, hooks: Partial<LoopHooks> = {}, callbacks: TrainCallbacks = {}): Promise<BrowserTraining> {
    const D = BROWSER_TRAIN_DEFAULTS;
    const settings = { seed: opts.seed ?? D.seed, lr: opts.lr ?? D.lr, batchSize: opts.batchSize ?? D.batchSize, epochs: opts.epochs ?? D.epochs };
    const dataset = opts.dataset ?? builtinDataset({ seed: settings.seed, trainSize: opts.trainSize ?? D.trainSize, devSize: opts.devSize ?? D.devSize, testSize: 0 });
    const vocab = Vocabulary.build(dataset.train.map((e) => tokenize(e.text)));
    const config = resolveConfig({
      seed: settings.seed, ...D.model, ...opts.model, vocabSize: vocab.size, classes: dataset.labels.length, labels: dataset.labels, gatesOutput: false,
    });
    const train = encode(dataset.train, vocab);
    const devData = encode(dataset.dev, vocab);
    const dev = lengthBucketedBatches(devData.ids, 128, null).map((idx) => labelledBatch(devData, idx));
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
    let runner: ClassifierRunner;
    if (opts.runtime) runner = await openClassifierRunner(opts.runtime, graphs, { trainStep: encodeModel(graphs.trainStep), eval: encodeModel(graphs.eval) }, params, state);
    else ({ session: runner, backend } = await openOnFirst((await backendsFor(opts.device ?? 'cpu')).backends, (b) => openWebClassifierRunner(graphs, params, state, { backend: b })));
    const sessionMs = performance.now() - t;
    const loop = new TrainingLoop<ClassifierBatch | LabelledBatch>({
      runner, ids: train.ids,
      batch: (idx, step) => withDropout(labelledBatch(train, idx), config, settings.seed, step),
      tokens: (b) => b.batch.lengths.reduce((x, y) => x + y, 0),
      settings: {
        ...settings, finishStoppedEpoch: true,
        ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
        evalEvery: opts.evalEvery ?? Math.max(1, Math.round(stepsPerEpoch / 4)),
      },
      callbacks,
      hooks: {
        evaluate: async () => {
          const ev = await runner.evaluate(dev);
          return { loss: ev.loss / ev.total, accuracy: ev.correct / ev.total };
        },
        diverged: (r, step) => new TrainingDivergedError(`loss became ${r.loss} (gradient norm ${r.gradNorm}) at step ${step}; lower the learning rate (now ${settings.lr})`),
        ...hooks,
      },
    });
    return new BrowserTraining(config, vocab, runner, loop, dev, settings, totalSteps, stepsPerEpoch, buildMs, sessionMs, backend);
  }

  /** Steps done. */
  get step(): number {
    return this.loop.pos.step;
  }

  get done(): boolean {
    return this.step >= this.totalSteps;
  }

  /** Run the next step (into the next epoch when one ends); null once totalSteps are done. A non-finite loss throws TrainingDivergedError (nothing is updated). */
  async next(): Promise<TrainingStep | null> {
    if (this.done) return null;
    let s = await this.loop.next();
    if (!s) {
      this.loop.nextEpoch();
      s = (await this.loop.next())!;
    }
    return { step: s.step, epoch: s.epoch, loss: s.loss, correct: s.correct, size: s.size, tokens: s.tokens };
  }

  /** Mean loss and accuracy on dev with the current parameters. */
  async evaluateDev(): Promise<{ loss: number; accuracy: number }> {
    const ev = await this.runner.evaluate(this.dev);
    return { loss: ev.loss / ev.total, accuracy: ev.correct / ev.total };
  }

  params(): Map<string, Tensor> {
    return this.runner.params();
  }

  release(): Promise<void> {
    return this.runner.release();
  }
}

/** @deprecated The opened browser run is BrowserTraining. */
export const Training = BrowserTraining;
/** @deprecated The opened browser run is BrowserTraining. */
export type Training = BrowserTraining;

/** Run up to n steps and time them (benchmarks: the same call on every runtime). */
export async function timeSteps(t: BrowserTraining, n: number): Promise<{ steps: number; seconds: number; tokens: number; loss: number }> {
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

/**
 * Train a small classifier in the browser (or on `opts.runtime`): the TrainingLoop with dev
 * evaluation every `evalEvery` steps and at each epoch end, the best evaluated parameters kept,
 * the event loop given a turn every ~30 ms (worker messages, a stop request). Resolves with the
 * best model as .onnx bytes, also when stopped by `signal` (`stopped: true`).
 * @throws TrainingDivergedError (E_DIVERGED) on a non-finite loss; ModelRunError (E_MODEL_RUN).
 */
export async function trainInBrowser(opts: BrowserTrainOptions = {}): Promise<BrowserTrainResult> {
  const history: TrainProgress[] = [];
  const losses: number[] = [];
  const accs: number[] = [];
  let best: { accuracy: number; params: Map<string, Tensor> } | null = null;
  const t0 = performance.now();
  let lastYield = t0;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  // One signal for the loop: the caller's, or the deprecated shouldStop() polled between steps.
  const stop = new AbortController();
  const follow = (): void => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) follow();
  opts.signal?.addEventListener('abort', follow, { once: true });
  if (opts.shouldStop?.()) stop.abort('shouldStop');
  let training: BrowserTraining | undefined;
  const onStep = async (s: StepInfo): Promise<void> => {
    losses.push(s.loss);
    accs.push(s.accuracy);
    const seconds = (performance.now() - t0) / 1000;
    const p: TrainProgress = {
      step: s.step, totalSteps: training!.totalSteps, epoch: s.epoch, loss: s.loss, accuracy: s.accuracy,
      smoothLoss: mean(losses.slice(-20)), smoothAccuracy: mean(accs.slice(-20)), stepsPerSec: s.step / seconds, seconds,
      ...(s.devLoss !== undefined ? { devLoss: s.devLoss, devAccuracy: s.devAccuracy! } : {}),
    };
    history.push(p);
    opts.onProgress?.(p);
    await opts.onStep?.(s);
  };
  let result;
  try {
    training = await BrowserTraining.open(opts, {
      evaluate: async () => {
        const dev = await training!.evaluateDev();
        if (!best || dev.accuracy > best.accuracy) best = { accuracy: dev.accuracy, params: training!.params() };
        return dev;
      },
      afterStep: async () => {
        if (opts.shouldStop?.()) stop.abort('shouldStop');
        if (performance.now() - lastYield > 30) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      },
    }, { signal: stop.signal, onStep, ...(opts.onEpochEnd ? { onEpochEnd: opts.onEpochEnd } : {}) });
    try {
      result = await training.loop.run();
      // Stopped before the first evaluation: evaluate what there is.
      if (!best) best = { accuracy: (await training.evaluateDev()).accuracy, params: training.params() };
    } finally {
      await training.release();
    }
  } finally {
    opts.signal?.removeEventListener('abort', follow);
  }
  const t = training;
  const { config, vocab } = t;
  const kept = best as { accuracy: number; params: Map<string, Tensor> };
  return {
    modelBytes: exportModel(config, kept.params, vocab),
    config: { ...config, gatesOutput: config.kind === 'highway' },
    steps: t.step,
    seconds: (performance.now() - t0) / 1000,
    firstLoss: mean(losses.slice(0, 10)),
    lastLoss: mean(losses.slice(-10)),
    bestDevAccuracy: kept.accuracy,
    history,
    stopped: result.stoppedBy === 'signal',
    buildMs: t.buildMs,
    sessionMs: t.sessionMs,
    backend: t.backend,
  };
}
