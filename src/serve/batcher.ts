// Dynamic micro-batching: texts from concurrent requests share one onnxruntime run.
//
// A batch leaves when it is full (maxBatch texts), when its oldest text has waited maxWaitMs,
// when nothing else could join it (no other request is being received: waiting would only add
// latency — a lone client never waits), or at once while draining. One batch runs at a time;
// texts arriving meanwhile queue up and leave together when it ends, so under load batches
// fill by themselves (maxWaitMs 0: never wait, batch only what queued during a run).
// A request larger than maxBatch spans several batches. If a mixed batch fails, each request
// in it is retried alone, so one poisonous input fails only its own request.
import { HttpError } from './errors.js';

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
  /** Texts allowed to wait at once; beyond it submit() refuses with 503 (default 16 × maxBatch, at least 1024). */
  maxQueue?: number;
  /** Observes every run: its size and duration (seconds). */
  onBatch?: (size: number, seconds: number) => void;
  /** Observes the queue length after every change. */
  onQueue?: (texts: number) => void;
  /** Requests being received that may still join a batch; at 0 a waiting batch leaves at once. */
  stragglers?: () => number;
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

export class MicroBatcher<I, O> {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly maxQueue: number;
  private queue: Slot<I, O>[] = [];
  private head = 0;
  private running = false;
  private draining = false;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions,
  ) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, found ${opts.maxBatch}`);
    if (!(opts.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be ≥ 0, found ${opts.maxWaitMs}`);
    this.maxBatch = opts.maxBatch;
    this.maxWaitMs = opts.maxWaitMs;
    this.maxQueue = opts.maxQueue ?? Math.max(1024, 16 * opts.maxBatch);
  }

  /** Texts waiting for a batch. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  submit(items: I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.queued + items.length > this.maxQueue) {
      return Promise.reject(new HttpError(503, 'E_OVERLOADED', `the server is overloaded: ${this.queued} texts are waiting (limit ${this.maxQueue}); retry later`));
    }
    return new Promise<O[]>((resolve, reject) => {
      const req: Request<I, O> = { items, results: new Array<O>(items.length), remaining: items.length, enqueuedAt: performance.now(), settled: false, resolve, reject };
      for (let i = 0; i < items.length; i++) this.queue.push({ req, index: i });
      this.opts.onQueue?.(this.queued);
      this.schedule();
    });
  }

  /** From now on send batches without waiting; resolves once the queue is empty and nothing runs. */
  drain(): Promise<void> {
    this.draining = true;
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
    const oldest = this.queue[this.head]!.req.enqueuedAt;
    const wait = oldest + this.maxWaitMs - performance.now();
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

  private take(): Slot<I, O>[] {
    const end = Math.min(this.queue.length, this.head + this.maxBatch);
    const batch = this.queue.slice(this.head, end);
    this.head = end;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.opts.onQueue?.(this.queued);
    return batch;
  }

  private async dispatch(): Promise<void> {
    this.running = true;
    const batch = this.take();
    try {
      await this.runSlots(batch, true);
    } finally {
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
    r.reject(e);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
