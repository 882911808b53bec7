// MicroBatcher on its own (unit tier: in-process, no sockets, no onnxruntime). The batch runner
// is a stand-in whose runs the test finishes by hand, and the clock is vitest's fake one
// (setTimeout and performance.now), so "waited 49 ms, not 50" is exact and takes no real time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MicroBatcher, type BatcherOptions } from './batcher.js';
import { HttpError } from './errors.js';

/** One call of the batch runner, finished by the test. */
interface Run {
  items: string[];
  finish: (out?: string[]) => void;
  fail: (e: unknown) => void;
}

/**
 * A batch runner whose calls wait for the test: `runs` lists every call in order. With `auto`,
 * each call answers at once (items upper-cased) and fails when a batch holds an item in `poison`.
 */
class StandIn {
  readonly runs: Run[] = [];
  constructor(
    private readonly auto = false,
    private readonly poison = new Set<string>(),
  ) {}

  readonly run = (items: string[]): Promise<string[]> =>
    new Promise<string[]>((resolve, reject) => {
      const r: Run = { items, finish: (out) => resolve(out ?? items.map((s) => s.toUpperCase())), fail: reject };
      this.runs.push(r);
      if (!this.auto) return;
      const bad = items.find((s) => this.poison.has(s));
      if (bad) r.fail(new Error(`cannot score '${bad}'`));
      else r.finish();
    });

  /** Finishes the one run in progress (the batcher runs one batch at a time). */
  finishCurrent(out?: string[]): void {
    this.runs.at(-1)!.finish(out);
  }
}

/** A promise's outcome, readable synchronously once the microtasks ran. */
function track<T>(p: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  p.then(
    (v) => Object.assign(t, { state: 'resolved', value: v }),
    (e: unknown) => Object.assign(t, { state: 'rejected', error: e }),
  );
  return t;
}

/** Lets every pending promise callback run (setImmediate is not faked). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A batcher whose stragglers count the test sets (default 1: someone may still join, so batches wait). */
function make(model: StandIn, opts: Partial<BatcherOptions<string>> = {}, stragglers = { n: 1 }) {
  const batches: number[] = [];
  const b = new MicroBatcher<string, string>(model.run, { maxBatch: 4, maxWaitMs: 50, stragglers: () => stragglers.n, onBatch: (size) => batches.push(size), ...opts });
  return { b, batches, stragglers };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MicroBatcher: when a batch leaves', () => {
  it('leaves as soon as it holds maxBatch texts, without waiting for maxWaitMs', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxWaitMs: 10_000 });
    const a = track(b.submit(['a0', 'a1', 'a2']));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(model.runs).toHaveLength(0); // 3 of 4, a straggler may still come
    const c = track(b.submit(['c0']));
    await settle();
    expect(model.runs.map((r) => r.items.length)).toEqual([4]);
    expect(b.queued).toBe(0);
    model.finishCurrent();
    await settle();
    expect(a).toEqual({ state: 'resolved', value: ['A0', 'A1', 'A2'] });
    expect(c).toEqual({ state: 'resolved', value: ['C0'] });
  });

  it('a request larger than maxBatch spans several batches of maxBatch texts, its results in its order', async () => {
    const model = new StandIn(true);
    const { b, batches } = make(model, { maxBatch: 4 }, { n: 0 });
    const out = await b.submit(Array.from({ length: 10 }, (_, i) => `t${i}`));
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => `T${i}`));
    expect(batches).toEqual([4, 4, 2]);
  });

  it('leaves when its oldest text has waited maxWaitMs (not a millisecond before)', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxWaitMs: 50 });
    const a = track(b.submit(['a']));
    await vi.advanceTimersByTimeAsync(30);
    track(b.submit(['b'])); // joins, but the wait counts from the oldest text
    await vi.advanceTimersByTimeAsync(19);
    expect(model.runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(model.runs.map((r) => r.items)).toEqual([['a', 'b']]);
    model.finishCurrent();
    await settle();
    expect(a.value).toEqual(['A']);
  });

  it('maxWaitMs 0 never waits: a lone text leaves at once', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxWaitMs: 0 });
    track(b.submit(['a']));
    await settle();
    expect(model.runs.map((r) => r.items)).toEqual([['a']]);
  });

  it('a lone client never waits: with no request being received (stragglers 0) the batch leaves at once', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxWaitMs: 10_000 }, { n: 0 });
    track(b.submit(['a']));
    await settle();
    expect(model.runs.map((r) => r.items)).toEqual([['a']]);
  });

  it('poke(): once the last straggler gave up, the waiting batch leaves without waiting out maxWaitMs', async () => {
    const model = new StandIn();
    const { b, stragglers } = make(model, { maxWaitMs: 10_000 });
    track(b.submit(['a']));
    await vi.advanceTimersByTimeAsync(100);
    expect(model.runs).toHaveLength(0);
    stragglers.n = 0; // the client the batch waited for hung up
    b.poke();
    await settle();
    expect(model.runs.map((r) => r.items)).toEqual([['a']]);
  });

  it('one batch runs at a time: texts arriving meanwhile leave together when it ends, without a new wait', async () => {
    const model = new StandIn();
    const { b, batches } = make(model, { maxWaitMs: 0 });
    const first = track(b.submit(['a']));
    await settle();
    const later = ['b', 'c', 'd'].map((s) => track(b.submit([s])));
    await settle();
    expect(model.runs).toHaveLength(1);
    expect(b.queued).toBe(3);
    model.finishCurrent();
    await settle();
    expect(model.runs.map((r) => r.items)).toEqual([['a'], ['b', 'c', 'd']]);
    model.finishCurrent();
    await settle();
    expect([first, ...later].map((t) => t.value)).toEqual([['A'], ['B'], ['C'], ['D']]);
    expect(batches).toEqual([1, 3]);
  });
});

describe('MicroBatcher: fairness', () => {
  it('a small request is not starved behind a large one: requests take turns within each batch', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxBatch: 4, maxWaitMs: 0 });
    const big = track(b.submit(Array.from({ length: 12 }, (_, i) => `big${i}`)));
    const small = track(b.submit(['s0', 's1']));
    await settle();
    // The first batch left at once with big's texts (maxWaitMs 0); small queued meanwhile.
    expect(model.runs[0]!.items).toEqual(['big0', 'big1', 'big2', 'big3']);
    model.finishCurrent();
    await settle();
    // Next batch: small's two texts take turns with big's, so small is done after one more batch.
    expect(model.runs[1]!.items.filter((s) => s.startsWith('s')).sort()).toEqual(['s0', 's1']);
    expect(model.runs[1]!.items).toHaveLength(4);
    model.finishCurrent();
    await settle();
    expect(small).toEqual({ state: 'resolved', value: ['S0', 'S1'] });
    expect(big.state).toBe('pending');
    for (let i = 0; i < 3 && big.state === 'pending'; i++) {
      model.finishCurrent();
      await settle();
    }
    expect(big.value).toEqual(Array.from({ length: 12 }, (_, i) => `BIG${i}`));
  });

  it('texts of similar length share a batch; a much longer text waits for its own (lengthOf)', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxBatch: 8, maxWaitMs: 0, lengthOf: (s) => s.length });
    track(b.submit(['x']));
    await settle();
    track(b.submit(['short', 'tiny']));
    track(b.submit(['l'.repeat(400)]));
    track(b.submit(['brief']));
    model.finishCurrent();
    await settle();
    expect(model.runs[1]!.items.sort()).toEqual(['brief', 'short', 'tiny']);
    model.finishCurrent();
    await settle();
    expect(model.runs[2]!.items).toEqual(['l'.repeat(400)]);
  });
});

describe('MicroBatcher: errors stay with their request', () => {
  it('a mixed batch that fails is retried one request at a time: only the poisonous request fails, with the runner\'s error', async () => {
    const model = new StandIn(true, new Set(['poison']));
    const { b, batches, stragglers } = make(model, { maxBatch: 8, maxWaitMs: 10_000 });
    const good1 = b.submit(['g0', 'g1']);
    const bad = b.submit(['x', 'poison']);
    const good2 = b.submit(['h0']);
    stragglers.n = 0;
    b.poke();
    await expect(good1).resolves.toEqual(['G0', 'G1']);
    await expect(good2).resolves.toEqual(['H0']);
    await expect(bad).rejects.toThrow("cannot score 'poison'");
    expect(batches).toEqual([5, 2, 2, 1]); // the mixed batch, then each request alone
  });

  it('a runner that returns the wrong number of results fails the batch with a message saying so', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxWaitMs: 0 });
    const a = track(b.submit(['a', 'b']));
    await settle();
    model.finishCurrent(['only one']);
    await settle();
    expect(a.state).toBe('rejected');
    expect((a.error as Error).message).toBe('batch runner returned 1 results for 2 inputs');
  });

  it('a request that fails in its first batch has its remaining texts dropped, not scored for nobody; the next request runs', async () => {
    const model = new StandIn(true, new Set(['p0']));
    const { b } = make(model, { maxBatch: 2, maxWaitMs: 0 });
    const bad = b.submit(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    await expect(bad).rejects.toThrow("cannot score 'p0'");
    expect(b.queued).toBe(0);
    expect(model.runs.map((r) => r.items)).toEqual([['p0', 'p1']]);
    await expect(b.submit(['ok'])).resolves.toEqual(['OK']);
  });
});

describe('MicroBatcher: overload and giving up', () => {
  it('a request that finds the queue full waits for room, then is refused with 503 E_OVERLOADED after queueTimeoutMs, never scored', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxBatch: 2, maxQueue: 2, maxWaitMs: 0, queueTimeoutMs: 100 });
    track(b.submit(['a0', 'a1'])); // runs
    await settle();
    track(b.submit(['b0', 'b1'])); // fills the queue behind the running batch
    const c = track(b.submit(['c0']));
    await settle();
    expect([b.queued, b.waitingForRoom]).toEqual([2, 1]);
    await vi.advanceTimersByTimeAsync(99);
    expect(c.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(c.state).toBe('rejected');
    const e = c.error as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect([e.status, e.code, e.headers['retry-after']]).toEqual([503, 'E_OVERLOADED', '1']);
    expect(e.message).toMatch(/^the server is overloaded: 2 texts are waiting and 1 more would exceed the limit of 2 \(--max-queue\)/);
    expect(b.waitingForRoom).toBe(0);
    model.finishCurrent();
    await settle();
    model.finishCurrent();
    await settle();
    expect(model.runs.flatMap((r) => r.items)).toEqual(['a0', 'a1', 'b0', 'b1']);
  });

  it('requests waiting for room are let in oldest first as batches leave', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxBatch: 1, maxQueue: 1, maxWaitMs: 0, queueTimeoutMs: 10_000 });
    const all = ['a', 'b', 'c', 'd'].map((s) => track(b.submit([s])));
    await settle();
    expect([b.queued, b.waitingForRoom]).toEqual([1, 2]);
    for (let i = 0; i < 4; i++) {
      model.finishCurrent();
      await settle();
    }
    expect(model.runs.map((r) => r.items[0])).toEqual(['a', 'b', 'c', 'd']);
    expect(all.map((t) => t.value)).toEqual([['A'], ['B'], ['C'], ['D']]);
  });

  it('queueTimeoutMs 0, or a request larger than maxQueue, is refused at once', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxBatch: 2, maxQueue: 2, maxWaitMs: 10_000, queueTimeoutMs: 0 });
    await expect(b.submit(['a', 'b', 'c'])).rejects.toMatchObject({ status: 503, code: 'E_OVERLOADED' });
    track(b.submit(['a']));
    track(b.submit(['b'])); // full batch: runs
    track(b.submit(['c', 'd'])); // fills the queue
    await settle();
    await expect(b.submit(['e'])).rejects.toMatchObject({ status: 503, code: 'E_OVERLOADED' });
  });
});

describe('MicroBatcher: shutdown drains', () => {
  it('drain() sends waiting batches without waiting and resolves once every request is answered', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxBatch: 3, maxWaitMs: 10_000 });
    const reqs = [['a0', 'a1', 'a2', 'a3'], ['b0']].map((items) => track(b.submit(items)));
    await settle();
    // a0..a2 form a full batch at once; a3 and b0 (2 of 3) would wait up to 10 s for the next.
    expect(model.runs).toHaveLength(1);
    const drained = track(b.drain());
    model.finishCurrent();
    await settle();
    expect(model.runs).toHaveLength(2); // left without waiting out maxWaitMs
    expect(drained.state).toBe('pending');
    model.finishCurrent();
    await settle();
    expect(drained.state).toBe('resolved');
    expect(reqs.map((t) => t.value)).toEqual([['A0', 'A1', 'A2', 'A3'], ['B0']]);
  });

  it('drain() lets in every request waiting for room, past maxQueue, so none is refused at shutdown', async () => {
    const model = new StandIn(true);
    const { b } = make(model, { maxBatch: 1, maxQueue: 1, maxWaitMs: 10_000, queueTimeoutMs: 10_000 });
    const all = ['a', 'b', 'c', 'd'].map((s) => b.submit([s])); // a runs, b queues, c and d wait for room
    expect([b.queued, b.waitingForRoom]).toEqual([1, 2]);
    const drained = b.drain();
    expect([b.queued, b.waitingForRoom]).toEqual([3, 0]);
    await drained;
    await expect(Promise.all(all)).resolves.toEqual([['A'], ['B'], ['C'], ['D']]);
  });

  it('drain() on an idle batcher resolves at once; a request submitted while draining is sent at once', async () => {
    const model = new StandIn();
    const { b } = make(model, { maxWaitMs: 10_000 });
    await expect(b.drain()).resolves.toBeUndefined();
    const a = track(b.submit(['a']));
    await settle();
    expect(model.runs.map((r) => r.items)).toEqual([['a']]);
    model.finishCurrent();
    await settle();
    expect(a.value).toEqual(['A']);
  });
});

describe('MicroBatcher: arguments', () => {
  it('refuses a maxBatch that is not a positive integer and a negative or NaN maxWaitMs', () => {
    const run = async (x: string[]) => x;
    expect(() => new MicroBatcher(run, { maxBatch: 0, maxWaitMs: 0 })).toThrow(new RangeError('maxBatch must be a positive integer, found 0'));
    expect(() => new MicroBatcher(run, { maxBatch: 1.5, maxWaitMs: 0 })).toThrow(/found 1.5/);
    expect(() => new MicroBatcher(run, { maxBatch: 1, maxWaitMs: -1 })).toThrow(new RangeError('maxWaitMs must be ≥ 0, found -1'));
    expect(() => new MicroBatcher(run, { maxBatch: 1, maxWaitMs: NaN })).toThrow(RangeError);
  });

  it('an empty request is answered with no results and runs nothing', async () => {
    const model = new StandIn();
    const { b } = make(model);
    await expect(b.submit([])).resolves.toEqual([]);
    expect(model.runs).toHaveLength(0);
  });
});
