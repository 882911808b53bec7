/**
 * Sentence length bounds for training. A batch is padded to its longest sentence and the
 * training graph keeps every time step for the backward pass, so one stray 1 MB line (a
 * file without line breaks, a pasted document) would ask onnxruntime for gigabytes. Longer
 * sentences are cut to their first `maxLen` tokens, with a warning naming where they are.
 * Pure code: runs in Node and browsers.
 */

/**
 * Default cap on tokens per sentence in training and its dev/test evaluation: far above
 * sentence-level data (SST's longest is 56 tokens), far below what exhausts memory.
 */
export const DEFAULT_MAX_TOKENS = 512;

/** Where a split's examples came from: its file and each example's 1-based line. */
export interface SplitOrigin {
  file: string;
  lines: number[];
}

/**
 * Cuts every id sequence longer than `maxLen` to its first `maxLen` ids, in place.
 * Returns a one-line warning (how many, the longest three as `file:line (N tokens)` or
 * `split example #i`, and how to change the cap), or null when nothing was cut.
 */
export function truncateLong(ids: number[][], maxLen: number, split: string, origin?: SplitOrigin): string | null {
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new RangeError(`truncateLong: maxLen must be a positive integer, got ${maxLen}`);
  const long: { i: number; n: number }[] = [];
  ids.forEach((seq, i) => {
    if (seq.length > maxLen) {
      long.push({ i, n: seq.length });
      ids[i] = seq.slice(0, maxLen);
    }
  });
  if (long.length === 0) return null;
  long.sort((a, b) => b.n - a.n || a.i - b.i);
  const where = ({ i, n }: { i: number; n: number }): string => {
    const line = origin?.lines[i];
    return `${line !== undefined ? `${origin!.file}:${line}` : `${split} example #${i + 1}`} (${n} tokens)`;
  };
  const shown = long.slice(0, 3).map(where).join(', ');
  return `warning: ${long.length} ${split} sentence(s) longer than ${maxLen} tokens cut to their first ${maxLen}: ${shown}${long.length > 3 ? ', …' : ''}; set the cap with --max-len N`;
}
