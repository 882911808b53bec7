// The embedding table an imported model looks token ids up in, so a vocabulary that would
// index past it is refused at import (as import-torch does) rather than crashing onnxruntime's
// Gather at the first fine-tuning step.
import type { Value } from '../../graph/index.js';
import { ImportError } from '../../onnx-import/context.js';
import type { ImportedModel } from '../../onnx-import/importer.js';

/** The table ids index: its initializer name and row count (axis 0 = token id). */
export interface EmbeddingTable {
  table: string;
  rows: number;
}

/** Ops that move ids around without changing them (exporters transpose, cast or reshape them first). */
const CARRY_IDS = new Set(['Cast', 'Transpose', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Flatten']);

/** The first Gather on axis 0 of a rank-2 initializer indexed by the ids input (or a view of it); null when none is found. */
export function findEmbedding(imp: ImportedModel, idsInput: string): EmbeddingTable | null {
  const ids = imp.inputs.get(idsInput);
  if (!ids) return null;
  const reached = new Set<Value>([ids]);
  const tables = new Map<Value, string>([...imp.params, ...imp.constants].map(([name, v]) => [v, name]));
  for (const n of imp.graph.nodes) {
    const x = n.inputs[0];
    if (CARRY_IDS.has(n.opType) && x && reached.has(x)) {
      for (const o of n.outputs) reached.add(o);
      continue;
    }
    const [data, idx] = n.inputs;
    if (n.opType !== 'Gather' || !data || !idx || !reached.has(idx) || n.attrInt('axis', 0) !== 0) continue;
    const name = tables.get(data);
    const rows = data.shape?.[0];
    if (name !== undefined && data.rank === 2 && typeof rows === 'number') return { table: name, rows };
  }
  return null;
}

/** Throws ImportError (E_ONNX_IMPORT) when the vocabulary has more tokens than the table has rows. */
export function checkVocabulary(vocab: readonly string[], emb: EmbeddingTable | null): void {
  if (emb && vocab.length > emb.rows) {
    throw new ImportError(`the vocabulary has ${vocab.length} tokens but the embedding table '${emb.table}' has ${emb.rows} rows: ids ${emb.rows}…${vocab.length - 1} would fall outside it (pass the vocabulary the model was trained with)`);
  }
}
