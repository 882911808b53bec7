// Which execution providers onnxruntime-node can use here.
import * as ort from 'onnxruntime-node';

export function availableNodeBackends(): string[] {
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends;
  if (!list) return ['cpu'];
  // 'bundled: false' means the provider's shared library was not installed with the package.
  return list()
    .filter((b) => b.bundled)
    .map((b) => b.name);
}
