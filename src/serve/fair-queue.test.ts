// The batcher's waiting room on random workloads: every text is taken exactly once, batches hold
// texts of a length similar to the one their anchor chose, and requests take turns (round robin).
import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { FairQueue, similarLength } from './fair-queue.js';

describe('FairQueue', () => {
  it('random workloads: each text taken once, batches ≤ max and of similar lengths, nothing left', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 50; trial++) {
      const q = new FairQueue<number>();
      const lengths: number[][] = [];
      const taken = new Set<string>();
      const maxBatch = 1 + rng.nextInt(16);
      let added = 0;
      for (let step = 0; step < 40; step++) {
        if (rng.nextInt(2) === 0) {
          const n = 1 + rng.nextInt(20);
          const ls = Array.from({ length: n }, () => (rng.nextInt(4) === 0 ? 200 + rng.nextInt(600) : rng.nextInt(40)));
          q.add(lengths.length, ls);
          lengths.push(ls);
          added += n;
        } else {
          const b = q.take(maxBatch);
          if (!b) continue;
          expect(b.slots.length).toBeGreaterThan(0);
          expect(b.slots.length).toBeLessThanOrEqual(maxBatch);
          const anchorLength = Math.min(...b.slots.filter((s) => s.req === b.anchor).map((s) => s.length));
          for (const s of b.slots) {
            expect(s.length).toBe(lengths[s.req]![s.index]);
            expect(similarLength(anchorLength, s.length)).toBe(true);
            const key = `${s.req}:${s.index}`;
            expect(taken.has(key)).toBe(false);
            taken.add(key);
          }
          q.finished(b.anchor);
        }
      }
      for (let b = q.take(maxBatch); b; b = q.take(maxBatch)) {
        for (const s of b.slots) taken.add(`${s.req}:${s.index}`);
        q.finished(b.anchor);
      }
      expect(taken.size).toBe(added);
      expect(q.size).toBe(0);
    }
  });

  it('requests take turns: two long requests share each batch, and a third anchors the next batch after the running one', () => {
    const q = new FairQueue<string>();
    q.add('a', [10, 10, 10, 10, 10, 10]);
    q.add('b', [12, 12, 12, 12, 12, 12]);
    const first = q.take(4)!;
    expect(first.slots.map((s) => s.req)).toEqual(['a', 'b', 'a', 'b']);
    q.add('c', [500]); // arrives while the first batch runs
    q.finished(first.anchor); // 'a' rejoins the line behind 'c'
    const second = q.take(4)!; // anchored by 'b': c's 500-token text is not similar
    expect(second.anchor).toBe('b');
    expect(second.slots.map((s) => s.req)).toEqual(['b', 'a', 'b', 'a']);
    q.finished(second.anchor);
    const third = q.take(4)!;
    expect([third.anchor, third.slots.map((s) => s.length)]).toEqual(['c', [500]]);
  });

  it('remove drops a request\'s waiting texts', () => {
    const q = new FairQueue<string>();
    q.add('a', [1, 2, 3]);
    q.add('b', [1]);
    q.remove('a');
    expect(q.size).toBe(1);
    expect(q.take(8)!.slots.map((s) => s.req)).toEqual(['b']);
  });
});
