// The classifier file's I/O contract: the names of the inputs and outputs buildClassifier gives
// the graph, read by everything that feeds or reads it (Predictor, trainer, verifier, probes).
// Kept apart from the builder so that readers need not load it.

/** Names of the classifier graph's inputs and outputs. */
export const IO_NAMES = {
  /** int64 [batch, time]: token ids, 0 = padding, 1 = unknown. */
  ids: 'ids',
  /** int32 [batch]: valid steps per row (the LSTM's sequence_lens). */
  lengths: 'lengths',
  /** Training graphs only: float32 [time, batch, embedDim], 0 or 1/(1−p). */
  dropoutEmbedding: 'dropout.embedding',
  /** Training graphs only: float32 [batch, 2·hidden], 0 or 1/(1−p). */
  dropoutOutput: 'dropout.output',
  /** float32 [batch, classes]. */
  logits: 'logits',
  /** float32 [batch, classes]: Softmax of logits. */
  probs: 'probs',
  /** float32 [batch, layers, time]: mean transform-gate activation per layer and step (highway, gatesOutput). */
  gates: 'gates',
  /** string [batch]: the raw-text model's only input (interop/export.ts), in place of ids and lengths. */
  text: 'text',
} as const;
