// Embedding lookup: a Gather along the vocabulary axis.
import { op, type Value } from '../graph/index.js';
import { GraphBuildError } from '../graph/errors.js';
import type { ParamSpec } from './params.js';

/** The embedding's one parameter: `weight` [vocabSize, embedDim], N(0, 0.1²) with row 0 (padding) zero. */
export function embeddingParamSpecs(vocabSize: number, embedDim: number): ParamSpec[] {
  return [{ name: 'weight', dims: [vocabSize, embedDim], init: { kind: 'embedding', std: 0.1 }, layout: 'plain' }];
}

/** ids int64 [T, B] (any shape), weight [V, E] → [T, B, E]. Row 0 is padding by convention (init keeps it zero). */
export function embedding(ids: Value, weight: Value): Value {
  return op.gather(weight, ids, 0);
}

/**
 * The embedding gradient [V, E] with the padding row zeroed: the pad row never moves, as with
 * PyTorch's Embedding(padding_idx), whose gradient of that row is zero (weight decay, applied
 * to the parameter itself, still acts on it there too). Needs a static V; throws
 * GraphBuildError (E_GRAPH_BUILD) otherwise.
 */
export function fixPadRow(grad: Value, padId = 0): Value {
  const rows = grad.shape?.[0];
  if (typeof rows !== 'number' || grad.rank !== 2) throw new GraphBuildError(`fixPadRow: the embedding gradient needs a static [V, E] shape, found ${grad.toString()}`);
  const keep = new Float32Array(rows).fill(1);
  keep[padId] = 0;
  const mask = grad.graph.constant({ dtype: 'float32', dims: [rows, 1], data: keep }, 'pad_row_mask');
  return op.mul(grad, mask);
}
