// Dropout masks drawn in TypeScript from a seeded generator, so a training step is a pure
// function of its inputs and a resumed run repeats exactly.
import { Rng } from '../data/rng.js';

/**
 * Inverted dropout: each entry 0 with probability p, else 1/(1−p), from `size` draws of `rng`
 * (`rng.nextFloat() < p` per entry, in order: the stream every run and checkpoint relies on).
 * `into`, when given, is filled instead of a new array (its first `size` entries; a view of them
 * is returned): a training loop reuses one buffer rather than allocating ~10^5 floats a step.
 * @throws RangeError when `into` is shorter than `size`.
 */
export function dropoutMask(rng: Rng, size: number, p: number, into?: Float32Array): Float32Array {
  if (into && into.length < size) throw new RangeError(`dropoutMask: a buffer of ${into.length} floats cannot hold a mask of ${size}`);
  const mask = into ? into.subarray(0, size) : new Float32Array(size);
  if (p <= 0) return mask.fill(1);
  return rng.fillBernoulli(mask, p, 0, 1 / (1 - p));
}

/** The generator for one global step: depends only on (seed, step), never on history. */
export function stepRng(seed: number, step: number): Rng {
  // Mix seed and step into one 32-bit value (splitmix-style constants).
  let h = (seed ^ Math.imul(step + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0);
}
