/**
 * What a raw-text model (export-text) expects of whoever feeds it: recorded in the model's
 * metadata so that loadModel (Node and web) and `serve` hold up their side of the contract.
 */
import { ModelMetadataError } from './classifier.js';

/** Metadata key of the TextInputContract (JSON). */
export const TEXT_INPUT_KEY = 'highway_onnx.input';

/** A raw-text model's input contract. */
export interface TextInputContract {
  /** Name of the string input ([batch]). */
  text: string;
  /**
   * 'graph': the tokenizer's rules 1–7 run inside the graph; 'pretokenized': the graph only
   * lower-cases and splits on spaces, texts must arrive as `tokenize(text).join(' ')`.
   */
  tokenizer: 'graph' | 'pretokenized';
  /** 'unicode': the caller applies rule 0 (`applyRule0`: normalizeUnicode, social rules when recorded) first. */
  prepare: 'unicode' | 'none';
  /** Graph tokenizer only: each text is scored on its first maxTokens tokens (fixed at export). */
  maxTokens?: number;
}

/**
 * The contract recorded under TEXT_INPUT_KEY, or null when the key is absent (an ids model).
 * Throws ModelMetadataError (E_MODEL_METADATA) when the value is not such a contract; a value
 * written before contracts had fields (a free-text description) reads as 'pretokenized'.
 */
export function readTextInputContract(metadata: Record<string, string>): TextInputContract | null {
  const raw = metadata[TEXT_INPUT_KEY];
  if (raw === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new ModelMetadataError(`metadata key '${TEXT_INPUT_KEY}' is not valid JSON: ${(e as Error).message}`);
  }
  const o = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
  if (typeof o.text !== 'string') {
    throw new ModelMetadataError(`metadata key '${TEXT_INPUT_KEY}' must hold {"text", "tokenizer", "prepare"}, found ${raw.slice(0, 200)}`);
  }
  const tokenizer = o.tokenizer === 'graph' ? 'graph' : 'pretokenized';
  if (o.prepare !== undefined && o.prepare !== 'unicode' && o.prepare !== 'none') {
    throw new ModelMetadataError(`metadata key '${TEXT_INPUT_KEY}': "prepare" must be "unicode" or "none", found ${JSON.stringify(o.prepare)}`);
  }
  if (tokenizer === 'graph' && o.prepare !== 'unicode') {
    throw new ModelMetadataError(`metadata key '${TEXT_INPUT_KEY}': a graph tokenizer needs "prepare": "unicode" (rule 0 is the caller's), found ${JSON.stringify(o.prepare)}`);
  }
  if (o.maxTokens !== undefined && !(Number.isSafeInteger(o.maxTokens) && (o.maxTokens as number) >= 1)) {
    throw new ModelMetadataError(`metadata key '${TEXT_INPUT_KEY}': "maxTokens" must be a positive integer, found ${JSON.stringify(o.maxTokens)}`);
  }
  return { text: o.text, tokenizer, prepare: o.prepare === 'unicode' ? 'unicode' : 'none', ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens as number } : {}) };
}
