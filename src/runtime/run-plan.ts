// How the Predictor cuts the inputs of one predict() call into onnxruntime runs. A run is padded
// to its longest sequence, and every padded step costs as much LSTM work as a real one; a run
// also has a fixed cost (binding, ~30 kernel launches, results). Sorting by length and cutting
// where the padding saved outweighs one more run's fixed cost does both: a batch of 32 SST
// sentences (lengths 2–56 in file order, about twice as many padded tokens as real ones) runs
// as a few runs of similar lengths. PyTorch's pack_padded_sequence skips the padding too.

/**
 * The estimated cost of one run of B sequences padded to T steps: perRun + T·(perStep + B·perToken),
 * in any unit (only ratios matter). Fitted with scripts/bench/run-cost.ts on the 2-core bench
 * machine (onnxruntime-node 1.30, SST-sized Highway BiLSTM, one intra-op thread): a run's fixed
 * cost is about 20 padded tokens' worth and a step's about one token's, at 1 and at 4 layers.
 */
export interface RunCost {
  perRun: number;
  perStep: number;
  perToken: number;
}

export const DEFAULT_RUN_COST: RunCost = { perRun: 20, perStep: 1, perToken: 1 };

/** The planner looks this many sequences back for a run's start: runs of similar lengths longer than that gain nothing measurable. */
const WINDOW = 256;

/**
 * Cut sequences of the given lengths (≥ 1, as padded: after truncation, an empty one as 1) into
 * runs of at most `maxBatch`, minimising the summed RunCost: indices sorted by length (stable,
 * so equal lengths keep input order), then an exact split of that order by dynamic programming
 * over run ends (O(n · min(maxBatch, 256))). Returns the runs as index lists into `lengths`,
 * shortest first; every index appears once. One sequence is one run.
 */
export function planRuns(lengths: readonly number[], maxBatch: number, cost: RunCost = DEFAULT_RUN_COST): number[][] {
  const n = lengths.length;
  if (n <= 1) return n === 0 ? [] : [[0]];
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const span = Math.min(maxBatch, WINDOW);
  // best[i]: least cost of running order[0..i); from[i]: where the last of those runs starts.
  const best = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  const from = new Int32Array(n + 1);
  best[0] = 0;
  for (let i = 1; i <= n; i++) {
    const T = lengths[order[i - 1]!]!; // the run's longest, since the order is ascending
    for (let j = Math.max(0, i - span); j < i; j++) {
      const c = best[j]! + cost.perRun + T * (cost.perStep + (i - j) * cost.perToken);
      if (c < best[i]!) {
        best[i] = c;
        from[i] = j;
      }
    }
  }
  const runs: number[][] = [];
  for (let i = n; i > 0; i = from[i]!) runs.push(order.slice(from[i]!, i));
  return runs.reverse();
}
