// Embedding lookup: a Gather along the vocabulary axis.
import { op, type Value } from '../graph/index.js';

/** ids int64 [T, B] (any shape), weight [V, E] → [T, B, E]. Row 0 is padding by convention (init keeps it zero). */
export function embedding(ids: Value, weight: Value): Value {
  return op.gather(weight, ids, 0);
}
