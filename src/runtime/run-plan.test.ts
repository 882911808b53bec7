// planRuns against brute force over every way to cut the sorted order, and its invariants.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_COST, planRuns, type RunCost } from './run-plan.js';
import { Rng } from '../data/rng.js';

const costOf = (runs: number[][], lengths: number[], c: RunCost = DEFAULT_RUN_COST): number =>
  runs.reduce((s, r) => s + c.perRun + Math.max(...r.map((i) => lengths[i]!)) * (c.perStep + r.length * c.perToken), 0);

/** The least cost over all cuts of the length-sorted order into runs of at most maxBatch (2^(n−1) cuts). */
function bruteForce(lengths: number[], maxBatch: number, c: RunCost): number {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  let best = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 1 << (order.length - 1); mask++) {
    const runs: number[][] = [[order[0]!]];
    for (let k = 1; k < order.length; k++) {
      if (mask & (1 << (k - 1))) runs.push([]);
      runs[runs.length - 1]!.push(order[k]!);
    }
    if (runs.every((r) => r.length <= maxBatch)) best = Math.min(best, costOf(runs, lengths, c));
  }
  return best;
}

function checkPartition(runs: number[][], lengths: number[], maxBatch: number): void {
  expect(runs.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
  for (const r of runs) expect(r.length).toBeLessThanOrEqual(maxBatch);
  const longest = runs.map((r) => Math.max(...r.map((i) => lengths[i]!)));
  expect([...longest].sort((a, b) => a - b)).toEqual(longest); // shortest runs first
}

describe('planRuns', () => {
  it('gives no run for no input and one run for one', () => {
    expect(planRuns([], 64)).toEqual([]);
    expect(planRuns([7], 64)).toEqual([[0]]);
  });

  it('finds the least-cost cut (brute force over every cut, random lengths and costs)', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 60; trial++) {
      const n = 2 + rng.nextInt(8);
      const lengths = Array.from({ length: n }, () => 1 + rng.nextInt(60));
      const maxBatch = 1 + rng.nextInt(n + 1);
      const cost = { perRun: rng.nextInt(50), perStep: rng.nextInt(4), perToken: 1 };
      const runs = planRuns(lengths, maxBatch, cost);
      checkPartition(runs, lengths, maxBatch);
      expect(costOf(runs, lengths, cost)).toBeCloseTo(bruteForce(lengths, maxBatch, cost), 9);
    }
  });

  it('keeps equal lengths in one run (input order) and splits far-apart lengths', () => {
    expect(planRuns([5, 5, 5, 5], 64)).toEqual([[0, 1, 2, 3]]);
    expect(planRuns([5, 5, 5, 5], 3).map((r) => r.length).sort()).toEqual([1, 3]);
    const lengths = [...Array(16).fill(2), ...Array(16).fill(50)];
    const runs = planRuns(lengths, 64);
    expect(runs).toHaveLength(2);
    expect(runs[0]!.every((i) => lengths[i] === 2)).toBe(true);
  });

  it('pads an SST-like batch of 32 far less than one run does, in a few runs', () => {
    const rng = new Rng(9);
    const lengths = Array.from({ length: 32 }, () => 2 + rng.nextInt(45));
    const runs = planRuns(lengths, 64);
    checkPartition(runs, lengths, 64);
    const padded = runs.reduce((s, r) => s + r.length * Math.max(...r.map((i) => lengths[i]!)), 0);
    const valid = lengths.reduce((a, b) => a + b, 0);
    expect(padded).toBeLessThan(0.75 * 32 * Math.max(...lengths));
    expect(padded / valid).toBeLessThan(1.3);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.length).toBeLessThan(10);
  });
});
