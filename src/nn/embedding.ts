// Embedding lookup: a Gather along the vocabulary axis.
import { op, type Value } from '../graph/index.js';
import type { ParamSpec } from './params.js';

/** The embedding's one parameter: `weight` [vocabSize, embedDim], N(0, 0.1²) with row 0 (padding) zero. */
export function embeddingParamSpecs(vocabSize: number, embedDim: number): ParamSpec[] {
  return [{ name: 'weight', dims: [vocabSize, embedDim], init: { kind: 'embedding', std: 0.1 }, layout: 'plain' }];
}

/** ids int64 [T, B] (any shape), weight [V, E] → [T, B, E]. Row 0 is padding by convention (init keeps it zero). */
export function embedding(ids: Value, weight: Value): Value {
  return op.gather(weight, ids, 0);
}
