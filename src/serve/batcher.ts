// Dynamic micro-batching: texts from concurrent requests share one onnxruntime run.
//
// A batch leaves when it is full (maxBatch texts), when its oldest text has waited maxWaitMs,
// when nothing else could join it (no other request is being received: waiting would only add
// latency — a lone client never waits), or at once while draining. One batch runs at a time;
// texts arriving meanwhile queue up and leave together when it ends, so under load batches
// fill by themselves (maxWaitMs 0: never wait, batch only what queued during a run).
// A request larger than maxBatch spans several batches. Which texts share a batch (similar
// lengths, requests taking turns) is the FairQueue's choice. If a mixed batch fails, each request
// in it is retried alone, so one poisonous input fails only its own request.
import { HttpError } from './errors.js';
import { FairQueue } from './fair-queue.js';

export interface BatcherOptions<I = unknown> {
  maxBatch: number;
  maxWaitMs: number;
  /** Texts allowed to wait for a batch at once (default 16 × maxBatch, at least 1024). */
  maxQueue?: number;
  /**
   * How long (ms) a request may wait for room when the queue is full before submit() refuses it
   * with 503 (default 1000; 0 refuses at once). Requests waiting for room get it oldest first.
   */
  queueTimeoutMs?: number;
  /** Observes every run: its size and duration (seconds). */
  onBatch?: (size: number, seconds: number) => void;
  /** Observes the queue length after every change. */
  onQueue?: (texts: number) => void;
  /** Requests being received that may still join a batch; at 0 a waiting batch leaves at once. */
  stragglers?: () => number;
  /** An input's length (tokens): batches group inputs of similar length (default: all alike). */
  lengthOf?: (item: I) => number;
}

interface Request<I, O> {
  items: I[];
  results: O[];
  remaining: number;
  enqueuedAt: number;
  settled: boolean;
  resolve: (out: O[]) => void;
  reject: (e: unknown) => void;
}

interface Slot<I, O> {
  req: Request<I, O>;
  index: number;
}

/** Seconds a client refused for overload is told to wait (Retry-After). */
const RETRY_AFTER_S = 1;

export class MicroBatcher<I, O> {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly maxQueue: number;
  private readonly queue = new FairQueue<Request<I, O>>();
  /** Requests waiting for room in a full queue, oldest first. */
  private admitting: { req: Request<I, O>; timer: NodeJS.Timeout }[] = [];
  readonly queueTimeoutMs: number;
  private running = false;
  private draining = false;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions<I>,
  ) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, found ${opts.maxBatch}`);
    if (!(opts.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be ≥ 0, found ${opts.maxWaitMs}`);
    this.maxBatch = opts.maxBatch;
    this.maxWaitMs = opts.maxWaitMs;
    this.maxQueue = opts.maxQueue ?? Math.max(1024, 16 * opts.maxBatch);
    this.queueTimeoutMs = opts.queueTimeoutMs ?? 1000;
  }

  /** Requests waiting for room in the full queue. */
  get waitingForRoom(): number {
    return this.admitting.length;
  }

  /** Texts waiting for a batch. */
  get queued(): number {
    return this.queue.size;
  }

  /** The 503 refusal for `incoming` more texts (E_OVERLOADED, with Retry-After). */
  overloaded(incoming: number): HttpError {
    return new HttpError(503, 'E_OVERLOADED', `the server is overloaded: ${this.queued} texts are waiting and ${incoming} more would exceed the limit of ${this.maxQueue} (--max-queue); retry after ${RETRY_AFTER_S} s`, { 'retry-after': String(RETRY_AFTER_S) });
  }

  /**
   * Scores `items` in one or more shared batches. When the queue is full the request waits for
   * room (oldest first) up to queueTimeoutMs, then is refused with a 503 HttpError (E_OVERLOADED):
   * under overload, clients that retry at once are parked rather than spinning on refusals that
   * would take the CPU from the requests admitted, and admitted requests wait at most
   * queueTimeoutMs plus the queue's own length.
   */
  submit(items: I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    const fits = this.admitting.length === 0 && this.queued + items.length <= this.maxQueue;
    if (!fits && (this.queueTimeoutMs === 0 || items.length > this.maxQueue)) return Promise.reject(this.overloaded(items.length));
    return new Promise<O[]>((resolve, reject) => {
      const req: Request<I, O> = { items, results: new Array<O>(items.length), remaining: items.length, enqueuedAt: performance.now(), settled: false, resolve, reject };
      if (fits || this.draining) return this.enqueue(req);
      const entry = {
        req,
        timer: setTimeout(() => {
          this.admitting = this.admitting.filter((e) => e !== entry);
          req.settled = true;
          reject(this.overloaded(items.length));
        }, this.queueTimeoutMs),
      };
      this.admitting.push(entry);
    });
  }

  private enqueue(req: Request<I, O>): void {
    const lengthOf = this.opts.lengthOf;
    this.queue.add(req, req.items.map((it) => (lengthOf ? lengthOf(it) : 0)));
    this.opts.onQueue?.(this.queued);
    this.schedule();
  }

  /** Lets requests waiting for room into the queue, oldest first, while they fit (all of them when draining). */
  private admit(): void {
    while (this.admitting.length > 0 && (this.draining || this.queued + this.admitting[0]!.req.items.length <= this.maxQueue)) {
      const { req, timer } = this.admitting.shift()!;
      clearTimeout(timer);
      this.enqueue(req);
    }
  }

  /** From now on send batches without waiting; resolves once the queue is empty and nothing runs. */
  drain(): Promise<void> {
    this.draining = true;
    this.admit();
    this.schedule();
    if (!this.running && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Re-evaluate whether the waiting batch should leave (after a straggler gave up, say). */
  poke(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.queued === 0) {
      if (!this.running && this.queued === 0) this.notifyIdle();
      return;
    }
    const wait = (this.queue.headSince ?? 0) + this.maxWaitMs - performance.now();
    if (this.queued >= this.maxBatch || this.draining || wait <= 0 || this.opts.stragglers?.() === 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      void this.dispatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, Math.max(0, Math.ceil(wait)));
    }
  }

  private async dispatch(): Promise<void> {
    const taken = this.queue.take(this.maxBatch);
    if (!taken) return;
    this.running = true;
    this.opts.onQueue?.(this.queued);
    this.admit(); // the batch taken made room
    try {
      await this.runSlots(taken.slots, true);
    } finally {
      this.queue.finished(taken.anchor);
      this.running = false;
      this.schedule();
    }
  }

  private async runSlots(batch: Slot<I, O>[], isolate: boolean): Promise<void> {
    const live = batch.filter((s) => !s.req.settled);
    if (live.length === 0) return;
    const t0 = performance.now();
    let out: O[];
    try {
      out = await this.run(live.map((s) => s.req.items[s.index]!));
      if (out.length !== live.length) throw new Error(`batch runner returned ${out.length} results for ${live.length} inputs`);
    } catch (e) {
      this.opts.onBatch?.(live.length, (performance.now() - t0) / 1000);
      const reqs = [...new Set(live.map((s) => s.req))];
      if (isolate && reqs.length > 1) {
        for (const r of reqs) await this.runSlots(live.filter((s) => s.req === r), false);
      } else {
        for (const r of reqs) this.fail(r, e);
      }
      return;
    }
    this.opts.onBatch?.(live.length, (performance.now() - t0) / 1000);
    live.forEach((s, k) => {
      s.req.results[s.index] = out[k]!;
      if (--s.req.remaining === 0 && !s.req.settled) {
        s.req.settled = true;
        s.req.resolve(s.req.results);
      }
    });
  }

  private fail(r: Request<I, O>, e: unknown): void {
    if (r.settled) return;
    r.settled = true;
    this.queue.remove(r); // its texts still waiting would be scored for nobody
    this.opts.onQueue?.(this.queued);
    this.admit();
    r.reject(e);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
