// The models a server serves: the current one, which new requests go to, and the ones a swap
// replaced, still finishing the requests pinned to them. Installing vets the model for serving and
// swaps it in atomically; reloads run one at a time and coalesce.
import type { Predictor } from '../runtime/predictor.js';
import { CodedError } from '../errors.js';
import { ModelLoadError } from '../runtime/errors.js';
import { METADATA_KEYS } from '../models/classifier-metadata.js';
import { ReloadRefusedError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import { ModelSlot } from './model-slot.js';

/** The result of `reload`: the generation now serving, and the error when the new model was refused. */
export type ReloadOutcome = { ok: true; generation: number; predictor: Predictor } | { ok: false; generation: number; error: CodedError };

/** What the models of one server share: batching settings, metrics, log, and the server's state. */
export interface ServedModelsOptions {
  /** Most texts in one onnxruntime run. */
  maxBatch: number;
  /** Longest a text waits for others to fill its batch, ms. */
  maxWaitMs: number;
  /** Texts allowed to wait at once (undefined or 0: the batcher's default). */
  maxQueue: number | undefined;
  /** How long (ms) a request waits for room in a full queue (undefined: the batcher's default). */
  queueTimeoutMs: number | undefined;
  metrics: ServerMetrics;
  log: (line: string) => void;
  /** Requests whose body is still arriving: a batch may wait for them (MicroBatcher's stragglers). */
  stragglers: () => number;
  /** True once shutdown has begun: no model is installed any more. */
  closed: () => boolean;
}

/** The current model and those it replaced, with the swap and reload logic between them. */
export class ServedModels {
  /** The model new requests go to (null while the first one loads). */
  private slot: ModelSlot | null = null;
  /** Replaced models still finishing their requests. */
  private readonly retiring = new Set<ModelSlot>();
  private generations = 0;
  private reloading: Promise<ReloadOutcome> | null = null;
  private reloadAgain: Promise<ReloadOutcome> | null = null;

  constructor(private readonly opts: ServedModelsOptions) {
    opts.metrics.generation.set(0);
  }

  /** The model new requests go to (null while the first one loads). */
  get current(): ModelSlot | null {
    return this.slot;
  }

  /** The generation serving: 0 while the first model loads, 1 for the first, +1 per swap. */
  get generation(): number {
    return this.slot?.generation ?? 0;
  }

  /** Texts waiting for a batch, over the current model and those finishing their requests. */
  get queuedTexts(): number {
    let n = this.slot?.batcher.queued ?? 0;
    for (const s of this.retiring) n += s.batcher.queued;
    return n;
  }

  /**
   * Serves `predictor` from now on (see PredictServer.install); returns the new generation.
   * @throws ModelLoadError (E_MODEL_LOAD) when the model has no vocabulary or is a pre-tokenized
   *   raw-text model; ReloadRefusedError (E_SHUTTING_DOWN) once shutdown has begun.
   */
  install(predictor: Predictor): number {
    if (!predictor.info.vocab) throw new ModelLoadError(`the model carries no vocabulary (metadata ${METADATA_KEYS.vocab}), so it cannot score texts: build or export it with one`);
    if (predictor.takesText && predictor.info.textInput?.tokenizer !== 'graph') {
      // Clients send raw text; such a graph would score it cut differently from the source model.
      throw new ModelLoadError("the model is a pre-tokenized raw-text model (export-text --pretokenized): its graph only lower-cases and splits on spaces, and serve receives raw texts. Export it again with --unicode-by-caller (the tokenizer inside the graph), or serve the ids model");
    }
    if (this.opts.closed()) throw new ReloadRefusedError('the server is shutting down: the new model is not installed');
    const m = this.opts.metrics;
    const slot = new ModelSlot(
      predictor,
      ++this.generations,
      {
        maxBatch: this.opts.maxBatch,
        maxWaitMs: this.opts.maxWaitMs,
        ...(this.opts.maxQueue ? { maxQueue: this.opts.maxQueue } : {}),
        ...(this.opts.queueTimeoutMs !== undefined ? { queueTimeoutMs: this.opts.queueTimeoutMs } : {}),
        onBatch: (size, seconds) => {
          m.batchSize.observe(size);
          m.batchSeconds.observe(seconds);
          m.texts.inc(size);
        },
        onQueue: () => m.queued.set(this.queuedTexts),
        stragglers: this.opts.stragglers,
      },
      (e) => this.opts.log(`highway-onnx: releasing the replaced model (generation ${slot.generation}) failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`),
    );
    const previous = this.slot;
    this.slot = slot;
    if (previous) this.retireSlot(previous);
    const cfg = predictor.info.config;
    m.info.reset();
    m.info.set({ kind: cfg.kind, layers: String(cfg.layers), labels: predictor.labels.join(','), provider: predictor.provider }, 1);
    m.generation.set(slot.generation);
    return slot.generation;
  }

  /** Loads with `load` and installs (see PredictServer.reload): one reload at a time, later calls coalesce. */
  reload(load: () => Promise<Predictor>): Promise<ReloadOutcome> {
    if (this.reloadAgain) return this.reloadAgain;
    if (this.reloading) {
      const again = this.reloading.then(() => {
        this.reloadAgain = null;
        return this.runReload(load);
      });
      this.reloadAgain = again;
      return again;
    }
    return this.runReload(load);
  }

  /** Lets every waiting batch leave at once, current model and replaced ones (shutdown). */
  drainBatches(): void {
    void this.slot?.batcher.drain();
    for (const s of this.retiring) void s.batcher.drain();
  }

  /** Resolves once every replaced model has finished its requests and been released. */
  async releaseReplaced(): Promise<void> {
    await Promise.all([...this.retiring].map((s) => s.retire()));
  }

  private runReload(load: () => Promise<Predictor>): Promise<ReloadOutcome> {
    const run = (async (): Promise<ReloadOutcome> => {
      let predictor: Predictor;
      try {
        predictor = await load();
      } catch (e) {
        return this.reloadFailed(e);
      }
      try {
        return { ok: true, generation: this.install(predictor), predictor };
      } catch (e) {
        await predictor.release().catch(() => undefined);
        return this.reloadFailed(e);
      }
    })();
    this.reloading = run;
    void run.finally(() => {
      if (this.reloading === run) this.reloading = null;
    });
    return run;
  }

  private reloadFailed(e: unknown): ReloadOutcome {
    this.opts.metrics.reloads.inc({ result: 'failed' });
    const error = e instanceof CodedError ? e : new ModelLoadError(e instanceof Error ? e.message : String(e));
    return { ok: false, generation: this.generation, error };
  }

  private retireSlot(slot: ModelSlot): void {
    this.opts.metrics.reloads.inc({ result: 'ok' });
    this.retiring.add(slot);
    void slot.retire().then(() => {
      this.retiring.delete(slot);
      this.opts.metrics.queued.set(this.queuedTexts);
    });
  }
}
