// Dropout masks drawn in TypeScript from a seeded generator, so a training step is a pure
// function of its inputs and a resumed run repeats exactly.
import { Rng } from '../data/rng.js';

/** Inverted dropout: each entry 0 with probability p, else 1/(1−p). */
export function dropoutMask(rng: Rng, size: number, p: number): Float32Array {
  const mask = new Float32Array(size);
  if (p <= 0) return mask.fill(1);
  const keep = 1 / (1 - p);
  for (let i = 0; i < size; i++) mask[i] = rng.nextFloat() < p ? 0 : keep;
  return mask;
}

/** The generator for one global step: depends only on (seed, step), never on history. */
export function stepRng(seed: number, step: number): Rng {
  // Mix seed and step into one 32-bit value (splitmix-style constants).
  let h = (seed ^ Math.imul(step + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0);
}
