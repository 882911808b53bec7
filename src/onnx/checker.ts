// Structural checks on a ModelProto: the properties onnxruntime relies on and that a
// bug in graph construction would break. (Operator schemas are onnxruntime's job.)
import { toNumber, type GraphProto, type ModelProto } from './proto.js';
import { OnnxCheckError } from './errors.js';
import { sizeOf } from './tensor.js';

const ELEM_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2 };
/** complex64/complex128 keep two float_data/double_data entries per element. */
const COMPLEX = new Set([14, 15]);

export function checkModel(model: ModelProto): string[] {
  const problems: string[] = [];
  const domains = new Set((model.opsetImport ?? []).map((o) => o.domain ?? ''));
  if ((model.opsetImport ?? []).length === 0) problems.push('model has no opset_import');
  if (!model.irVersion) problems.push('model has no ir_version');
  if (!model.graph) problems.push('model has no graph');
  else checkGraph(model.graph, new Set(), domains, problems, 'graph');
  return problems;
}

export function assertValidModel(model: ModelProto): void {
  const problems = checkModel(model);
  if (problems.length > 0) throw new OnnxCheckError(problems);
}

function checkGraph(g: GraphProto, outer: Set<string>, domains: Set<string>, problems: string[], where: string): void {
  const defined = new Set<string>(outer);
  const seen = new Set<string>();
  const define = (name: string, what: string): void => {
    if (!name) return;
    if (seen.has(name) || outer.has(name)) problems.push(`${where}: '${name}' is defined more than once (${what})`);
    seen.add(name);
    defined.add(name);
  };
  for (const t of g.initializer ?? []) {
    define(t.name ?? '', 'initializer');
    const dims = (t.dims ?? []).map((d) => toNumber(d));
    const n = sizeOf(dims);
    const width = ELEM_BYTES[t.dataType ?? 0];
    const count = t.rawData?.length
      ? t.rawData.length / (width ?? 1)
      : ((t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0) + (t.int64Data?.length ?? 0) +
          (t.doubleData?.length ?? 0) + (t.stringData?.length ?? 0) + (t.uint64Data?.length ?? 0)) /
        (COMPLEX.has(t.dataType ?? 0) ? 2 : 1);
    if (t.dataLocation !== 1 && count !== n) {
      problems.push(`${where}: initializer '${t.name}' has shape [${dims}] (${n} values) but holds ${count}`);
    }
  }
  for (const t of g.sparseInitializer ?? []) define(t.values?.name ?? '', 'sparse initializer');
  const initNames = new Set([
    ...(g.initializer ?? []).map((t) => t.name ?? ''),
    ...(g.sparseInitializer ?? []).map((t) => t.values?.name ?? ''),
  ]);
  for (const i of g.input ?? []) {
    // An input may share its name with an initializer (the initializer is its default).
    if (!initNames.has(i.name ?? '')) define(i.name ?? '', 'graph input');
  }
  const nodeNames = new Set<string>();
  (g.node ?? []).forEach((n, idx) => {
    const label = `${where}: node ${idx} '${n.name ?? ''}' (${n.opType})`;
    if (n.name) {
      if (nodeNames.has(n.name)) problems.push(`${label}: node name is not unique`);
      nodeNames.add(n.name);
    }
    if (!domains.has(n.domain ?? '')) problems.push(`${label}: domain '${n.domain ?? ''}' has no opset_import`);
    for (const input of n.input ?? []) {
      if (input !== '' && !defined.has(input)) {
        problems.push(`${label}: input '${input}' is not defined before use (missing or out of topological order)`);
      }
    }
    for (const a of n.attribute ?? []) {
      const subs = [...(a.g ? [a.g] : []), ...(a.graphs ?? [])];
      for (const sub of subs) checkGraph(sub, new Set(defined), domains, problems, `${label}.${a.name}`);
    }
    for (const output of n.output ?? []) define(output, `output of ${n.opType}`);
  });
  for (const o of g.output ?? []) {
    if (!defined.has(o.name ?? '')) problems.push(`${where}: graph output '${o.name}' is never produced`);
  }
}
