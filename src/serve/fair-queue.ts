// The micro-batcher's waiting room: which texts go into the next onnxruntime run.
//
// Two goals. Length grouping: a batch is padded to its longest text, so a batch holds only
// texts of similar length (within a factor 2, plus 16 tokens of slack): a short text never pays
// for an 800-word neighbour. Fairness between requests: requests take turns anchoring batches
// (round robin), a request whose batch is running rejoins the line behind the requests that
// arrived meanwhile, and a batch is shared out one text per request in turn. So one request of
// 256 long texts gets one batch in every turn, and a short request arriving while it runs is in
// the very next batch instead of waiting for all of its texts.
//
// Before (FIFO):  [L L L L] [L L L L] … [L L L L] [s]      (s waits for every batch of L)
// After:          [L L L L] [s] [L L L L] …                (s waits for the batch running)

/** One waiting text: its index within its request and its length in tokens. */
export interface Waiting {
  index: number;
  length: number;
}

interface Member<R> {
  req: R;
  /** Texts not yet taken, shortest first. */
  pending: Waiting[];
  /** When it joined the line (arrival, or the end of its last batch), ms (performance.now()). */
  since: number;
}

/** Texts `a` and `b` tokens long may share a batch: the padding at most doubles a text's work, plus 16 tokens. */
export function similarLength(a: number, b: number): boolean {
  return Math.max(a, b) <= 2 * Math.min(a, b) + 16;
}

export class FairQueue<R> {
  /** Requests waiting for their turn, in turn order. */
  private ring: Member<R>[] = [];
  /** Requests that anchor a batch in progress: back in line (at the end) once it ran. */
  private readonly anchors = new Map<R, Member<R>>();
  private readonly members = new Map<R, Member<R>>();
  private count = 0;

  /** Texts waiting (not yet taken into a batch). */
  get size(): number {
    return this.count;
  }

  /** When the request next in line joined it (ms, performance.now()), or null when none waits. */
  get headSince(): number | null {
    return this.ring[0]?.since ?? null;
  }

  /** Queues a request's texts, given their lengths in tokens; it takes its turn behind the others. */
  add(req: R, lengths: number[]): void {
    if (lengths.length === 0) return;
    const pending = lengths.map((length, index) => ({ index, length })).sort((a, b) => a.length - b.length);
    const m: Member<R> = { req, pending, since: performance.now() };
    this.members.set(req, m);
    this.ring.push(m);
    this.count += lengths.length;
  }

  /**
   * The next batch of at most maxBatch texts: the next request in line picks the length (its
   * shortest waiting text), and every waiting request with texts of a similar length shares the
   * batch, one text each in turn order. Null when nothing waits. Call `finished(anchor)` after it ran.
   */
  take(maxBatch: number): { anchor: R; slots: { req: R; index: number; length: number }[] } | null {
    const anchor = this.ring[0];
    if (!anchor) return null;
    const L = anchor.pending[0]!.length;
    // Each member's similar-length texts form one run of its sorted list: [from, to).
    const ranges: { m: Member<R>; from: number; to: number; next: number }[] = [];
    for (const m of this.ring) {
      let from = 0;
      while (from < m.pending.length && !similarLength(L, m.pending[from]!.length) && m.pending[from]!.length < L) from++;
      let to = from;
      while (to < m.pending.length && similarLength(L, m.pending[to]!.length)) to++;
      if (to > from) ranges.push({ m, from, to, next: from });
    }
    const slots: { req: R; index: number; length: number }[] = [];
    let live = ranges;
    while (slots.length < maxBatch && live.length > 0) {
      for (const r of live) {
        if (slots.length >= maxBatch) break;
        const w = r.m.pending[r.next++]!;
        slots.push({ req: r.m.req, index: w.index, length: w.length });
      }
      live = live.filter((r) => r.next < r.to);
    }
    for (const r of ranges) r.m.pending.splice(r.from, r.next - r.from);
    this.count -= slots.length;
    this.ring.shift();
    this.anchors.set(anchor.req, anchor);
    this.ring = this.ring.filter((m) => m.pending.length > 0 || this.forget(m));
    return { anchor: anchor.req, slots };
  }

  /** The batch anchored by `anchor` has run: if texts of it still wait, it rejoins the line at the end. */
  finished(anchor: R): void {
    const m = this.anchors.get(anchor);
    if (!m) return;
    this.anchors.delete(anchor);
    if (m.pending.length > 0 && this.members.get(anchor) === m) {
      m.since = performance.now();
      this.ring.push(m);
    } else {
      this.forget(m);
    }
  }

  /** Drops a request's waiting texts (it failed or was answered otherwise). */
  remove(req: R): void {
    const m = this.members.get(req);
    if (!m) return;
    this.count -= m.pending.length;
    m.pending = [];
    this.ring = this.ring.filter((x) => x !== m);
    this.forget(m);
  }

  private forget(m: Member<R>): false {
    if (!this.anchors.has(m.req)) this.members.delete(m.req);
    return false;
  }
}
