// metadata_props: the model's config, vocabulary and labels travel inside the .onnx file.
import type { ModelProto } from './proto.js';

export function readMetadata(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) out[p.key] = p.value ?? '';
  return out;
}

export function writeMetadata(model: ModelProto, entries: Record<string, string>): void {
  const kept = (model.metadataProps ?? []).filter((p) => !(p.key && p.key in entries));
  model.metadataProps = [...kept, ...Object.entries(entries).map(([key, value]) => ({ key, value }))];
}

/**
 * Metadata values are JSON (config, labels, vocabulary): at most this deep. Deeper JSON is
 * refused before it is parsed: code that walks it (an error message describing a value)
 * recurses once per level, and a 10^6-deep value overflows the stack.
 */
export const MAX_METADATA_JSON_DEPTH = 16;

/** The deepest nesting of arrays/objects in JSON text, counted outside strings; linear, no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
