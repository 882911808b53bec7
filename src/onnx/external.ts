// A highway-onnx model is self-contained: every tensor's bytes live inside the .onnx file.
// ONNX lets a tensor point at another file instead (data_location = EXTERNAL, a `location`
// key); onnxruntime, handed the model as bytes, resolves such a name against the process's
// working directory, so a crafted model could read any file there and leak it through its
// outputs. We never hand onnxruntime such a model: it is refused when decoded.
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto } from './proto-types.generated.js';
import { printable } from '../printable.js';
import { ExternalDataError } from './errors.js';

/** A tensor that does not hold its own data, and where in the model it sits. */
export interface ExternalTensor {
  /** The tensor's name ('' when it has none). */
  name: string;
  /** Where it was found: 'initializer', 'sparse initializer', "attribute 'value' of node 'c1' (Constant)", …, with the subgraph path. */
  where: string;
  /** The `location` entry of its external_data, as written in the file (may be absent). */
  location: string | null;
  /** The tensor itself (so a loader that may resolve external data can fill in its bytes). */
  tensor: TensorProto;
}

const EXTERNAL = 1;

/** True when the tensor's data is (or claims to be) somewhere other than in this message. */
function isExternal(t: TensorProto): boolean {
  // Any data_location other than DEFAULT (0) is refused: onnxruntime treats unknown values as
  // errors today, but a future one could give them a meaning.
  return (t.dataLocation ?? 0) !== 0 || (t.externalData?.length ?? 0) > 0;
}

function locationOf(t: TensorProto): string | null {
  const entry = (t.externalData ?? []).find((e) => e.key === 'location');
  return entry ? (entry.value ?? '') : null;
}

/**
 * Every tensor in the model that keeps its data outside the file: initializers, sparse
 * initializers, tensor attributes (Constant's `value`, `tensors`, sparse tensors), in the main
 * graph, in subgraphs at any depth (If/Loop/Scan bodies), in functions and in training info.
 * Iterative, so a deeply nested model cannot overflow the stack here.
 */
export function externalTensors(model: ModelProto): ExternalTensor[] {
  const found: ExternalTensor[] = [];
  const check = (t: TensorProto | null | undefined, where: string): void => {
    if (t && isExternal(t)) found.push({ name: t.name ?? '', where, location: locationOf(t), tensor: t });
  };
  const graphs: { g: GraphProto; path: string }[] = [];
  const nodeLists: { nodes: NodeProto[]; path: string }[] = [];
  if (model.graph) graphs.push({ g: model.graph, path: '' });
  for (const f of model.functions ?? []) nodeLists.push({ nodes: f.node ?? [], path: `function '${f.name ?? ''}': ` });
  for (const [i, ti] of (model.trainingInfo ?? []).entries()) {
    if (ti.initialization) graphs.push({ g: ti.initialization, path: `training_info ${i} initialization: ` });
    if (ti.algorithm) graphs.push({ g: ti.algorithm, path: `training_info ${i} algorithm: ` });
  }
  const attribute = (a: AttributeProto, where: string): void => {
    check(a.t, where);
    for (const t of a.tensors ?? []) check(t, where);
    for (const s of [...(a.sparseTensor ? [a.sparseTensor] : []), ...(a.sparseTensors ?? [])]) {
      check(s.values, `${where} (sparse values)`);
      check(s.indices, `${where} (sparse indices)`);
    }
    for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) graphs.push({ g, path: `${where} > ` });
  };
  while (graphs.length > 0 || nodeLists.length > 0) {
    const item = graphs.pop();
    if (item) {
      for (const t of item.g.initializer ?? []) check(t, `${item.path}initializer`);
      for (const s of item.g.sparseInitializer ?? []) {
        check(s.values, `${item.path}sparse initializer`);
        check(s.indices, `${item.path}sparse initializer indices`);
      }
      nodeLists.push({ nodes: item.g.node ?? [], path: item.path });
      continue;
    }
    const list = nodeLists.pop()!;
    for (const n of list.nodes) {
      for (const a of n.attribute ?? []) attribute(a, `${list.path}attribute '${a.name ?? ''}' of node '${n.name ?? ''}' (${n.opType ?? '?'})`);
    }
  }
  return found;
}

/**
 * Throws ExternalDataError (E_EXTERNAL_DATA) when any tensor of the model keeps its data in
 * another file. The message names the tensors and the locations the file asks for, and says
 * nothing about the file system: no file is looked at.
 */
export function assertSelfContained(model: ModelProto): void {
  const ext = externalTensors(model);
  if (ext.length === 0) return;
  const first = ext[0]!;
  const loc = first.location === null ? 'no location' : `location "${printable(first.location.slice(0, 200))}"`;
  const more = ext.length > 1 ? ` (and ${ext.length - 1} more tensor(s))` : '';
  throw new ExternalDataError(
    `the model is not self-contained: ${first.where} '${printable(first.name.slice(0, 200))}' keeps its data in an external file (${loc})${more}; ` +
      "a highway-onnx model holds every tensor inside the .onnx file, and external data is read only on request " +
      "(Node: --external-data model-folder on predict, eval, inspect, serve and import-onnx; loadModel(path, { externalData: 'model-folder' }))",
  );
}
