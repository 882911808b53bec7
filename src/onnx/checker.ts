// Structural checks on a ModelProto: the properties onnxruntime relies on and that a
// bug in graph construction would break. (Operator schemas are onnxruntime's job.)
//
// Bounded for any input: one pass over the nodes with a single table of defined names
// (a subgraph adds its names and removes them on the way out, instead of copying the
// enclosing scope, which was quadratic in names × subgraphs), subgraphs nested at most
// MAX_SUBGRAPH_DEPTH deep (deeper nesting is a problem, not a stack overflow), and at
// most MAX_PROBLEMS problems collected.
import { DataLocation, toNumber, type GraphProto, type ModelProto, type TensorProto } from './proto.js';
import { OnnxCheckError } from './errors.js';
import { sizeOf } from './tensor.js';
import { ELEM_BYTES, MAX_STATIC_TENSOR_BYTES, checkStaticSizes } from './bounds.js';
import { ONNX_TYPE } from '../dtypes.js';

/** complex64/complex128 keep two float_data/double_data entries per element. */
const COMPLEX = new Set<number>([ONNX_TYPE.COMPLEX64, ONNX_TYPE.COMPLEX128]);

/** Subgraphs (If/Loop/Scan bodies) nested deeper than this are refused: real models nest a few levels. */
export const MAX_SUBGRAPH_DEPTH = 64;
/** The checker stops after this many problems (a crafted file could otherwise list millions). */
export const MAX_PROBLEMS = 100;

/** What checkModel enforces beyond structure. */
export interface CheckOptions {
  /**
   * Refuse node outputs and sparse tensors whose size the file fixes above this many bytes
   * (default MAX_STATIC_TENSOR_BYTES). Graphs this library derives from parameter shapes
   * (training steps, gradient graphs) pass Infinity: their zero tensors are as large as the
   * parameters (an embedding's gradient starts as zeros of [vocabulary, dim]).
   */
  maxStaticTensorBytes?: number;
}

/** Thrown inside the walk when the problem list is full; never leaves checkModel. */
class ProblemsFull {}

class Problems {
  readonly list: string[] = [];
  push(p: string): void {
    if (this.list.length >= MAX_PROBLEMS) throw new ProblemsFull();
    this.list.push(p);
  }
}

/**
 * Every structural problem of `model` (at most MAX_PROBLEMS, the last saying the check
 * stopped), each naming the graph path, node index, name and op: undefined or twice-defined
 * names, out-of-order nodes, missing opset imports, tensors whose data does not match their
 * shape, subgraphs nested over MAX_SUBGRAPH_DEPTH, and outputs whose size the file fixes
 * over MAX_STATIC_TENSOR_BYTES (see bounds.ts). Time and memory are linear in the file size.
 */
export function checkModel(model: ModelProto, opts: CheckOptions = {}): string[] {
  const problems = new Problems();
  const limit = opts.maxStaticTensorBytes ?? MAX_STATIC_TENSOR_BYTES;
  try {
    const domains = new Set((model.opsetImport ?? []).map((o) => o.domain ?? ''));
    if ((model.opsetImport ?? []).length === 0) problems.push('model has no opset_import');
    if (!model.irVersion) problems.push('model has no ir_version');
    if (!model.graph) problems.push('model has no graph');
    else checkGraph(model.graph, 0, { defined: new Set(), domains, problems, limit }, 'graph');
  } catch (e) {
    if (!(e instanceof ProblemsFull)) throw e;
    problems.list.push(`(check stopped after ${MAX_PROBLEMS} problems)`);
  }
  return problems.list;
}

/** Throws OnnxCheckError (code E_ONNX_CHECK) listing every problem checkModel finds. */
export function assertValidModel(model: ModelProto, opts: CheckOptions = {}): void {
  const problems = checkModel(model, opts);
  if (problems.length > 0) throw new OnnxCheckError(problems);
}

interface Walk {
  /** Names visible at this point: the enclosing graphs' (up to the node holding this subgraph) and this graph's. */
  defined: Set<string>;
  domains: Set<string>;
  problems: Problems;
  /** CheckOptions.maxStaticTensorBytes, resolved. */
  limit: number;
}

/** The number of values a tensor holds, when it holds them in the file. */
function heldCount(t: TensorProto): number {
  const width = ELEM_BYTES[t.dataType ?? 0];
  return t.rawData?.length
    ? t.rawData.length / (width ?? 1)
    : ((t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0) + (t.int64Data?.length ?? 0) +
        (t.doubleData?.length ?? 0) + (t.stringData?.length ?? 0) + (t.uint64Data?.length ?? 0)) /
      (COMPLEX.has(t.dataType ?? 0) ? 2 : 1);
}

function checkTensorData(t: TensorProto, what: string, problems: Problems): void {
  const dims = (t.dims ?? []).map((d) => toNumber(d));
  const n = sizeOf(dims);
  const count = heldCount(t);
  if (t.dataLocation !== DataLocation.EXTERNAL && count !== n) problems.push(`${what} has shape [${dims}] (${n} values) but holds ${count}`);
}

function checkGraph(g: GraphProto, depth: number, w: Walk, where: string): void {
  const { defined, domains, problems } = w;
  if (depth > MAX_SUBGRAPH_DEPTH) {
    // The path names every level: keep its start (which top-level node) and its end.
    const path = where.length > 200 ? `${where.slice(0, where.indexOf('.', where.indexOf(')')) + 1 || 120)}…${where.slice(-40)}` : where;
    problems.push(`${path}: subgraphs are nested more than ${MAX_SUBGRAPH_DEPTH} deep`);
    return;
  }
  // Names this graph adds to `defined`, removed when it is done (its scope closes).
  const local: string[] = [];
  const define = (name: string, what: string): void => {
    if (!name) return;
    if (defined.has(name)) {
      problems.push(`${where}: '${name}' is defined more than once (${what})`);
      return;
    }
    defined.add(name);
    local.push(name);
  };
  for (const t of g.initializer ?? []) {
    define(t.name ?? '', 'initializer');
    checkTensorData(t, `${where}: initializer '${t.name}'`, problems);
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
  if (Number.isFinite(w.limit)) checkStaticSizes(g, where, (p) => problems.push(p), w.limit);
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
      if (n.opType === 'Constant' && a.t) checkTensorData(a.t, `${label}: value`, problems);
      const subs = [...(a.g ? [a.g] : []), ...(a.graphs ?? [])];
      for (const sub of subs) checkGraph(sub, depth + 1, w, `${label}.${a.name}`);
    }
    for (const output of n.output ?? []) define(output, `output of ${n.opType}`);
  });
  for (const o of g.output ?? []) {
    if (!defined.has(o.name ?? '')) problems.push(`${where}: graph output '${o.name}' is never produced`);
  }
  for (const name of local) defined.delete(name);
}
