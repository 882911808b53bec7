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
