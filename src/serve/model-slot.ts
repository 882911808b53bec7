// One loaded model as the server serves it: its Predictor, its own micro-batcher, and the requests
// pinned to it. A reload swaps in a new slot; the old one finishes the requests pinned to it (their
// token ids come from its vocabulary and their labels from its label list, so only it can score
// them) and releases its onnxruntime session when the last of them leaves.
import type { Predictor } from '../runtime/predictor.js';
import { MicroBatcher, type BatcherOptions } from './batcher.js';

/** What a batch run gives back per text: the winning label and the probabilities in label order. */
export interface Scored {
  label: string;
  probs: number[];
}

/**
 * One text as a slot scores it: its token ids, or, for a raw-text model (export-text, which
 * tokenizes inside its graph), the text itself; `tokens` is its length in tokens either way.
 */
export interface SlotInput {
  input: number[] | string;
  tokens: number;
}

/** Micro-batching settings of a slot's batcher (lengths are token counts, measured by the slot). */
export type SlotBatcherOptions = Omit<BatcherOptions<SlotInput>, 'lengthOf'>;

/** A model the server serves or has just replaced: token ids (or texts) in, `Scored` out, through its own batcher. */
export class ModelSlot {
  readonly batcher: MicroBatcher<SlotInput, Scored>;
  /** When this model started serving. */
  readonly loadedAt = new Date();
  private leases = 0;
  private retired = false;
  private releasing: Promise<void> | null = null;
  private onReleased: (() => void) | null = null;
  /** Resolves once the slot has been retired and its predictor released. */
  readonly released: Promise<void>;

  /**
   * @param predictor the model; the slot owns it from now on and releases it after retirement.
   * @param generation 1 for the model loaded at start, +1 per successful reload.
   * @param batcher micro-batching settings; `stragglers` is consulted only while the slot is
   *   current (a retired slot gets no new requests, so it never waits for one).
   * @param onReleaseError called when onnxruntime fails to release the retired session.
   */
  constructor(
    readonly predictor: Predictor,
    readonly generation: number,
    batcher: SlotBatcherOptions,
    private readonly onReleaseError: (e: unknown) => void = () => undefined,
  ) {
    const stragglers = batcher.stragglers;
    const score = async (items: SlotInput[]): Promise<Scored[]> => {
      const inputs = items.map((i) => i.input);
      const preds = await (predictor.takesText ? predictor.predict(inputs as string[]) : predictor.predict(inputs as number[][]));
      return preds.map((p) => ({ label: p.label, probs: p.probs }));
    };
    this.batcher = new MicroBatcher(score, {
      ...batcher,
      stragglers: () => (this.retired ? 0 : (stragglers?.() ?? 0)),
      lengthOf: (item) => item.tokens,
    });
    this.released = new Promise((resolve) => (this.onReleased = resolve));
  }

  /** True once a newer model has replaced this one (or the server stopped using it). */
  get isRetired(): boolean {
    return this.retired;
  }

  /** Requests currently scored by this model. */
  get pinned(): number {
    return this.leases;
  }

  /**
   * Pins a request to this model until the returned function is called (idempotent): the slot is
   * not released while any request is pinned.
   */
  acquire(): () => void {
    this.leases++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.leases--;
      if (this.retired && this.leases === 0) void this.release();
    };
  }

  /**
   * Stops taking requests: batches already waiting leave at once (no wait for stragglers), and the
   * predictor is released once no request is pinned. Resolves when it has been released.
   */
  retire(): Promise<void> {
    if (!this.retired) {
      this.retired = true;
      void this.batcher.drain();
      if (this.leases === 0) void this.release();
    }
    return this.released;
  }

  private release(): Promise<void> {
    this.releasing ??= this.predictor
      .release()
      .catch((e: unknown) => this.onReleaseError(e))
      .finally(() => this.onReleased?.());
    return this.releasing;
  }
}
