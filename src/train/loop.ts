// The one training loop: batches in the seeded epoch order, steps on a StepRunner, loss
// checks, epoch sums, dev evaluation, best-epoch tracking, early stopping, step limits,
// AbortSignal and the fit-style callbacks. Node's train(), the browser's trainInBrowser() and
// fine-tuning drive it and keep only their own I/O (checkpoints, files, progress bars,
// messages to a page) in LoopHooks. Browser-safe: nothing here imports a Node module.
import { lengthBucketedBatches } from '../data/batches.js';
import { Rng } from '../data/rng.js';
import type { StepResult } from './training-step.js';
import type { RuntimeTensor, StepRunner } from './step-runner.js';

/**
 * The batch order of one epoch (0-based): length-bucketed batches of example indices,
 * shuffled from `seed * 7919 + epoch`. A reproducibility contract: a resumed run, the browser
 * and fine-tuning see the same batches for the same seed.
 */
export function epochOrder(ids: readonly (readonly number[])[], batchSize: number, seed: number, epoch: number): number[][] {
  return lengthBucketedBatches(ids, batchSize, new Rng(seed * 7919 + epoch));
}

/** Where a run stands: what a checkpoint records so a resumed run repeats exactly. */
export interface LoopPosition {
  /** Completed optimizer steps (the next step is step + 1). */
  step: number;
  /** Epoch in progress (0-based) and batches of it already consumed. */
  epoch: number;
  batchInEpoch: number;
  bestDevAccuracy: number;
  /** The best epoch's value of the selection metric (selectBy 'macro-f1'); absent: selection by accuracy. */
  bestDevScore?: number;
  bestEpoch: number;
  /** Step after which the best dev score was measured (set by selection within epochs; absent otherwise). */
  bestStep?: number;
  epochsWithoutImprovement: number;
  /** The run's seed: shuffling and dropout derive from (seed, epoch, step). */
  seed: number;
  /**
   * Running sums over the batches of the epoch in progress already consumed, so that an epoch
   * resumed mid-way reports averages over the whole epoch. Absent in older checkpoints.
   */
  epochSums?: EpochSums;
  /**
   * Lines metrics.jsonl held when this checkpoint was written: a resume drops later lines (they
   * are written again, identically, by the resumed run). Absent in older checkpoints.
   */
  metricsLines?: number;
}

/** Sums over the consumed batches of one epoch (losses weighted by batch size). */
export interface EpochSums {
  /** Σ loss × batch size. */
  loss: number;
  /** Correctly classified training examples. */
  correct: number;
  /** Training examples seen. */
  seen: number;
  /** Non-padding tokens seen. */
  tokens: number;
  /** Seconds spent in training steps of this epoch, over all invocations. */
  seconds: number;
}

/** One finished training step, as onStep sees it. */
export interface StepInfo {
  /** Global 1-based step (over resumed invocations too). */
  step: number;
  /** 1-based epoch, and this batch's 1-based place among the epoch's `batches`. */
  epoch: number;
  batch: number;
  batches: number;
  /** This batch's mean loss, accuracy and gradient norm (before clipping). */
  loss: number;
  accuracy: number;
  /** Correctly classified examples of the batch (accuracy × size, exactly). */
  correct: number;
  gradNorm: number;
  /** Examples and valid tokens in the batch; seconds the step took. */
  size: number;
  tokens: number;
  seconds: number;
  /** Running means over the epoch so far, and its training speed. */
  epochLoss: number;
  epochAccuracy: number;
  tokensPerSecond: number;
  /** Set when dev was evaluated after this step (evalEvery, or the epoch's end). */
  devLoss?: number;
  devAccuracy?: number;
}

/** One finished epoch, as onEpochEnd sees it (Node's metrics.jsonl `epoch` records hold the same fields). */
export interface EpochEnd {
  /** 1-based epoch; global step count at its end. */
  epoch: number;
  steps: number;
  /** Means over the whole epoch (batches before a resume included). */
  trainLoss: number;
  trainAccuracy: number;
  /** Mean dev loss and accuracy; null when there is no dev data. */
  devLoss: number | null;
  devAccuracy: number | null;
  /** Macro-F1 and balanced accuracy on dev, where the driver computes them (Node's train()). */
  devMacroF1?: number;
  devBalancedAccuracy?: number;
  /** Seconds of training steps in the epoch (over all invocations) and tokens per second. */
  seconds: number;
  tokensPerSecond: number;
}

/** Fit-style callbacks and cancellation: the same names on train(), trainInBrowser() and finetune(). */
export interface TrainCallbacks {
  /**
   * After every optimizer step. A returned promise is awaited, any other value ignored (typed
   * `unknown` so `(s) => log.push(s)` type-checks). An exception stops the run and propagates.
   */
  onStep?: (s: StepInfo) => unknown;
  /** After every epoch's dev evaluation (also after a partial epoch where the driver evaluates one); returns as onStep. */
  onEpochEnd?: (e: EpochEnd) => unknown;
  /** Checked before every step: once aborted, the run stops (Node writes a checkpoint to resume from). */
  signal?: AbortSignal;
}

/** Dev metrics the driver's evaluation returns. */
export interface DevMetrics {
  loss: number;
  accuracy: number;
  macroF1?: number;
  balancedAccuracy?: number;
}

export interface LoopSettings {
  seed: number;
  lr: number;
  batchSize: number;
  epochs: number;
  /** Stop after this many epochs without a better dev score (default: never). */
  patience?: number;
  /** The dev score that picks the best epoch (default 'accuracy'). */
  selectBy?: 'accuracy' | 'macro-f1';
  /** Stop once the global step count reaches this. */
  maxSteps?: number;
  /** Also evaluate dev every this many steps (the browser's progress; Node's --eval-every). */
  evalEvery?: number;
  /**
   * Let the evaluations inside an epoch (evalEvery) choose the best parameters too, not only the
   * epoch ends: an epoch counts as improved (patience) when any of its evaluations set a new best.
   */
  selectWithinEpoch?: boolean;
  /** When stopped mid-epoch, still evaluate and report the partial epoch (fine-tuning, the browser); Node's train() writes a checkpoint instead. */
  finishStoppedEpoch?: boolean;
}

/** The driver's I/O around the loop; every hook is optional except evaluate and diverged. */
export interface LoopHooks {
  /** Dev metrics with the current parameters; null when there is no dev data. */
  evaluate(): Promise<DevMetrics | null>;
  /** The error to throw for a non-finite loss or gradient norm (nothing was updated). */
  diverged(r: StepResult, step: number, epoch: number): Error | Promise<Error>;
  /** An epoch starts (or resumes at batch `done` of `batches`). */
  epochStart?(epoch: number, batches: number, done: number): void;
  /** After each step and its onStep callback (metrics lines, checkpoints when due, yielding). */
  afterStep?(s: StepInfo): Promise<void>;
  /** The epoch's steps are over (progress bars). */
  epochStop?(): void;
  /** After an epoch's record, before onEpochEnd (logs, the best model, a checkpoint); `improved`: its end-of-epoch evaluation is the new best. */
  afterEpoch?(record: EpochEnd, improved: boolean): Promise<void>;
  /** selectWithinEpoch: after an evaluation inside an epoch (not its last batch), before onStep; `improved`: the new best. */
  afterEvaluation?(s: StepInfo, dev: DevMetrics, improved: boolean): Promise<void>;
  /** Early stopping ended the run. */
  earlyStop?(): void;
  /** The run stopped before its epochs were done (step limit or signal). */
  stopped?(by: 'maxSteps' | 'signal'): Promise<void>;
}

/** What a loop's run() did in this invocation. */
export interface LoopResult {
  records: EpochEnd[];
  stepLosses: number[];
  stoppedEarly: boolean;
  stoppedBy?: 'maxSteps' | 'signal';
}

export const zeroSums = (): EpochSums => ({ loss: 0, correct: 0, seen: 0, tokens: 0, seconds: 0 });

/** A fresh run's loop position. */
export const startPosition = (seed: number, step = 0): LoopPosition => ({
  step, epoch: 0, batchInEpoch: 0, bestDevAccuracy: -1, bestEpoch: -1, epochsWithoutImprovement: 0, seed,
});

/** The parts a TrainingLoop is made of. */
export interface LoopParts<B, T extends RuntimeTensor> {
  runner: StepRunner<B, T>;
  /** Token ids of every training example (the epoch order indexes them). */
  ids: readonly (readonly number[])[];
  /** The batch of these example indices for global step `step` (dropout masks derive from it). */
  batch(indices: number[], step: number): B;
  /** Valid tokens in a batch. */
  tokens(b: B): number;
  settings: LoopSettings;
  callbacks?: TrainCallbacks;
  hooks: LoopHooks;
  /** Where to start (a checkpoint's position; default: a fresh run) and the epoch's sums so far. */
  position?: LoopPosition;
  sums?: EpochSums;
}

/**
 * The training loop over a StepRunner. `run()` trains to the end (epochs, early stopping, step
 * limit, signal) with the callbacks and the driver's hooks; `next()` takes one step alone (the
 * browser benchmark). The position (`pos`) and the epoch's sums are what a checkpoint saves.
 */
export class TrainingLoop<B, T extends RuntimeTensor = RuntimeTensor> {
  readonly pos: LoopPosition;
  sums: EpochSums;
  readonly stepLosses: number[] = [];
  readonly records: EpochEnd[] = [];
  stoppedBy: 'maxSteps' | 'signal' | undefined;
  stoppedEarly = false;
  private order: number[][] | null = null;
  private lastDev: { step: number; dev: DevMetrics | null } | null = null;

  constructor(private readonly parts: LoopParts<B, T>) {
    this.pos = parts.position ?? startPosition(parts.settings.seed);
    this.sums = parts.sums ?? (this.pos.batchInEpoch > 0 && this.pos.epochSums ? { ...this.pos.epochSums } : zeroSums());
  }

  get settings(): LoopSettings {
    return this.parts.settings;
  }

  /** Batches in the epoch in progress. */
  get batchesInEpoch(): number {
    return this.epochBatches().length;
  }

  private epochBatches(): number[][] {
    this.order ??= epochOrder(this.parts.ids, this.parts.settings.batchSize, this.parts.settings.seed, this.pos.epoch);
    return this.order;
  }

  /** Move to the next epoch's first batch. */
  nextEpoch(): void {
    this.pos.epoch++;
    this.pos.batchInEpoch = 0;
    this.sums = zeroSums();
    this.order = null;
  }

  /** True (and `stoppedBy` set) when the signal is aborted or the step limit is reached. */
  stopRequested(): boolean {
    if (this.parts.callbacks?.signal?.aborted) this.stoppedBy = 'signal';
    else if (this.parts.settings.maxSteps !== undefined && this.pos.step >= this.parts.settings.maxSteps) this.stoppedBy = 'maxSteps';
    return this.stoppedBy !== undefined;
  }

  /**
   * One optimizer step on the epoch's next batch; null when the epoch's batches are done (no
   * callbacks, no evaluation: run() adds those).
   * @throws the hooks' diverged() error on a non-finite loss; the runner's ModelRunError.
   */
  async next(): Promise<StepInfo | null> {
    const order = this.epochBatches();
    const { pos, sums } = this;
    if (pos.batchInEpoch >= order.length) return null;
    const step = pos.step + 1;
    const b = this.parts.batch(order[pos.batchInEpoch]!, step);
    const t0 = performance.now();
    const r = await this.parts.runner.step(b, { lr: this.parts.settings.lr, step });
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) throw await this.parts.hooks.diverged(r, step, pos.epoch);
    const seconds = (performance.now() - t0) / 1000;
    const size = this.parts.runner.feeder.size(b);
    const tokens = this.parts.tokens(b);
    pos.step = step;
    pos.batchInEpoch++;
    this.stepLosses.push(r.loss);
    sums.loss += r.loss * size;
    sums.correct += r.correct;
    sums.seen += size;
    sums.tokens += tokens;
    sums.seconds += seconds;
    return {
      step, epoch: pos.epoch + 1, batch: pos.batchInEpoch, batches: order.length,
      loss: r.loss, accuracy: r.correct / size, correct: r.correct, gradNorm: r.gradNorm, size, tokens, seconds,
      epochLoss: sums.loss / sums.seen, epochAccuracy: sums.correct / sums.seen, tokensPerSecond: sums.tokens / sums.seconds,
    };
  }

  private async evaluate(): Promise<DevMetrics | null> {
    if (this.lastDev?.step === this.pos.step) return this.lastDev.dev;
    const dev = await this.parts.hooks.evaluate();
    this.lastDev = { step: this.pos.step, dev };
    return dev;
  }

  /** Evaluate after this step already? (evalEvery, the epoch's last batch, or a step limit a partial epoch is reported at). */
  private evaluatesAfter(s: StepInfo): boolean {
    const { evalEvery, maxSteps, finishStoppedEpoch } = this.parts.settings;
    return (evalEvery !== undefined && s.step % evalEvery === 0) || (evalEvery !== undefined && s.batch === s.batches)
      || (finishStoppedEpoch === true && maxSteps !== undefined && s.step >= maxSteps);
  }

  /** Train until the epochs are done, early stopping, the step limit or the signal. */
  async run(): Promise<LoopResult> {
    const { pos, parts } = this;
    const { hooks, callbacks, settings } = parts;
    const patience = settings.patience ?? Infinity;
    for (; pos.epoch < settings.epochs; this.nextEpoch()) {
      if (pos.epochsWithoutImprovement >= patience) {
        this.stoppedEarly = true; // an early-stopped run, resumed: nothing more to train
        break;
      }
      const n = this.batchesInEpoch;
      hooks.epochStart?.(pos.epoch, n, pos.batchInEpoch);
      while (pos.batchInEpoch < n && !this.stopRequested()) {
        const s = (await this.next())!;
        if (this.evaluatesAfter(s)) {
          const dev = await this.evaluate();
          if (dev) Object.assign(s, { devLoss: dev.loss, devAccuracy: dev.accuracy });
          // The epoch's last evaluation is judged by endEpoch, with the epoch's record.
          if (dev && settings.selectWithinEpoch && s.batch < s.batches) await hooks.afterEvaluation?.(s, dev, this.select(dev, s.epoch));
        }
        await callbacks?.onStep?.(s);
        await hooks.afterStep?.(s);
      }
      hooks.epochStop?.();
      // A stop reported as a partial epoch only if the epoch took a step (not a stop between epochs).
      if (this.stoppedBy && (!settings.finishStoppedEpoch || pos.batchInEpoch === 0)) break;
      const { record, improved } = await this.endEpoch();
      await hooks.afterEpoch?.(record, improved);
      await callbacks?.onEpochEnd?.(record);
      if (this.stoppedBy) break;
      if (pos.epochsWithoutImprovement >= patience) {
        this.stoppedEarly = true;
        hooks.earlyStop?.();
        pos.epoch++;
        break;
      }
    }
    if (!this.stoppedBy && callbacks?.signal?.aborted) this.stoppedBy = 'signal'; // arrived during the last evaluation
    if (this.stoppedBy) await hooks.stopped?.(this.stoppedBy);
    return { records: this.records, stepLosses: this.stepLosses, stoppedEarly: this.stoppedEarly, ...(this.stoppedBy ? { stoppedBy: this.stoppedBy } : {}) };
  }

  /** The epoch's record; the best epoch and the epochs without improvement move on. */
  private async endEpoch(): Promise<{ record: EpochEnd; improved: boolean }> {
    const { pos, sums } = this;
    const dev = await this.evaluate();
    const record: EpochEnd = {
      epoch: pos.epoch + 1, steps: pos.step, trainLoss: sums.loss / Math.max(sums.seen, 1), trainAccuracy: sums.correct / Math.max(sums.seen, 1),
      devLoss: dev ? dev.loss : null, devAccuracy: dev ? dev.accuracy : null,
      ...(dev?.macroF1 !== undefined ? { devMacroF1: dev.macroF1 } : {}), ...(dev?.balancedAccuracy !== undefined ? { devBalancedAccuracy: dev.balancedAccuracy } : {}),
      seconds: sums.seconds, tokensPerSecond: sums.tokens / Math.max(sums.seconds, 1e-9),
    };
    this.records.push(record);
    if (!dev) return { record, improved: false };
    const improved = this.select(dev, record.epoch);
    // With selection inside epochs, an earlier evaluation of this epoch may have set the best.
    const epochFirstStep = pos.step - pos.batchInEpoch + 1;
    const improvedInEpoch = improved || (pos.bestStep !== undefined && pos.bestStep >= epochFirstStep);
    pos.epochsWithoutImprovement = improvedInEpoch ? 0 : pos.epochsWithoutImprovement + 1;
    return { record, improved };
  }

  /** Is this evaluation (after the current step, in 1-based `epoch`) the best so far? If so the position records it. */
  private select(dev: DevMetrics, epoch: number): boolean {
    const { pos } = this;
    const byF1 = this.parts.settings.selectBy === 'macro-f1';
    const score = byF1 ? dev.macroF1 ?? 0 : dev.accuracy;
    const improved = score > (byF1 ? (pos.bestDevScore ?? -1) : pos.bestDevAccuracy);
    if (improved) {
      pos.bestDevAccuracy = dev.accuracy;
      if (byF1) pos.bestDevScore = score;
      pos.bestEpoch = epoch;
      if (this.parts.settings.selectWithinEpoch) pos.bestStep = pos.step;
    }
    return improved;
  }
}
