// The reverse-mode driver: one pass over the builder IR that writes the backward nodes
// into the forward's own graph. Rules (rules/*.ts) are only the math; everything else
// lives here: which nodes to visit, summing fan-in, undoing broadcasting, the contracts.
//
// Contract
//   pre:  loss and every `wrt` are float values of `graph`; every node on a path from a
//         `wrt` to the loss has a rule (else one MissingGradientError listing them all,
//         thrown before anything is built); every `wrt` reaches the loss (unless
//         allowUnreached).
//   post: every `wrt` has a gradient of its own dtype and shape; the graph with the
//         gradients as extra outputs passes assertValidModel; a failure while building
//         leaves graph.nodes as they were.
//
// Only top-level nodes are visited: a Scan is an opaque node (registered not
// differentiable); values a Scan body captures from the outer graph count as its inputs.
// Integer and bool values never carry a gradient.
import type { Graph, Node, Value } from '../graph/ir.js';
import { DEFAULT_OPSET, graphToProto, irVersionFor, valueInfo } from '../graph/emit.js';
import { fmt } from '../graph/shape.js';
import * as op from '../graph/ops/index.js';
import { assertValidModel } from '../onnx/checker.js';
import { ruleFor } from './registry.js';
import { MissingGradientError } from './rule.js';
import { CodedError } from '../errors.js';

export interface GradientsOptions {
  /** A `wrt` that does not reach the loss gets explicit zeros instead of an error. */
  allowUnreached?: boolean;
  /** Opset the graph will be emitted at (default 17); rules and the final check use it. */
  opset?: number;
  /** dLoss/dLoss, the cotangent the backward pass starts from (JAX/PyTorch `grad_outputs`):
   *  required for a loss with more than one element, of the loss's shape (default: 1 for a scalar). */
  gradOutput?: Value;
  /** Run the structural checker on the result (default true; it serialises the graph once). */
  check?: boolean;
  /** Name scope for the backward nodes (default 'grad'). */
  scope?: string;
  /**
   * Let rules build leaner graphs whose results are the same bits (default true; GradContext.fuse):
   * the LSTM rule's cell-state Scan body loses its Identity, and its backward Scan the padding
   * select when no Y_h gradient flows. false builds the graph as before: the reference the fused
   * graph is tested against, bit for bit.
   */
  fuse?: boolean;
}

export class GradientError extends CodedError {
  constructor(message: string) {
    super('E_GRADIENT', 'GradientError', message);
  }
}

const isFloat = (v: Value): boolean => v.dtype === 'float32' || v.dtype === 'float64';

/** Outer values a node's subgraphs read without naming them as inputs. */
function captured(node: Node, out: Value[] = []): Value[] {
  for (const a of Object.values(node.attrs)) {
    if (a.type !== 'graph') continue;
    const body = a.value;
    const visit = (g: Graph): void => {
      for (const n of g.nodes) {
        for (const v of n.inputs) if (v && !body.isAncestorOf(v.graph)) out.push(v);
        for (const b of Object.values(n.attrs)) if (b.type === 'graph') visit(b.value);
      }
      for (const v of g.outputs) if (!body.isAncestorOf(v.graph)) out.push(v);
    };
    visit(body);
  }
  return out;
}

function dependencies(node: Node): Value[] {
  const deps = node.inputs.filter((v): v is Value => v !== null);
  return Object.values(node.attrs).some((a) => a.type === 'graph') ? captured(node, deps) : deps;
}

/**
 * Reduce a rule's gradient `g` (possibly of the broadcast output shape) to the shape of
 * input `x`: sum over leading axes `x` lacks and over axes where `x` has a static 1.
 * Limitation: a symbolic or unknown dim of `x` is assumed not to be broadcast (to equal
 * the output's dim at run time); an input of unknown rank is assumed to be unbroadcast.
 */
function unbroadcast(g: Value, x: Value, node: Node): Value {
  if (!g.shape || !x.shape) return g;
  const lead = g.shape.length - x.shape.length;
  if (lead < 0) throw new GradientError(`gradient rule for ${node.opType} (node '${node.name}') returned ${fmt(g.shape)} for input '${x.name}' ${fmt(x.shape)}`);
  const axes = [...Array(lead).keys()];
  x.shape.forEach((d, i) => {
    if (d === 1 && g.shape![lead + i] !== 1) axes.push(lead + i);
  });
  if (axes.length === 0) return g;
  if (axes.length === lead) return op.reduceSum(g, axes, { keepdims: false });
  const r = op.reduceSum(g, axes, { keepdims: true });
  return lead > 0 ? op.squeeze(r, [...Array(lead).keys()]) : r;
}

function sameStaticShape(a: Value, b: Value): boolean {
  if (!a.shape || !b.shape) return true;
  if (a.shape.length !== b.shape.length) return false;
  return a.shape.every((d, i) => typeof d !== 'number' || typeof b.shape![i] !== 'number' || d === b.shape![i]);
}

/** dLoss/dValue for each `wrt`, built into `graph` after its forward nodes. */
export function gradients(graph: Graph, loss: Value, wrt: Value[], opts: GradientsOptions = {}): Map<Value, Value> {
  const opset = opts.opset ?? DEFAULT_OPSET;
  // --- preconditions
  for (const v of [loss, ...wrt]) {
    if (v.graph !== graph) throw new GradientError(`'${v.name}' belongs to graph '${v.graph.name}', not to '${graph.name}'`);
    if (!isFloat(v)) throw new GradientError(`cannot differentiate ${v === loss ? 'the loss' : 'with respect to'} '${v.name}': it is ${v.dtype}, not float32/float64`);
  }
  const lossStatic = loss.shape?.every((d) => d === 1) ?? false;
  if (!opts.gradOutput && !lossStatic) {
    throw new GradientError(`the loss '${loss.name}' ${fmt(loss.shape)} is not a scalar: reduce it first or pass opts.gradOutput (dLoss/dLoss of its shape)`);
  }
  const forward = graph.nodes.slice();
  const deps = new Map<Node, Value[]>(forward.map((n) => [n, dependencies(n)]));
  const fromWrt = new Set<Value>(wrt);
  for (const n of forward) {
    if (deps.get(n)!.some((v) => fromWrt.has(v))) for (const o of n.outputs) if (isFloat(o)) fromWrt.add(o);
  }
  const toLoss = new Set<Value>([loss]);
  const path: Node[] = []; // reverse topological order
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i]!;
    if (!n.outputs.some((o) => toLoss.has(o))) continue;
    const ds = deps.get(n)!;
    for (const v of ds) if (isFloat(v)) toLoss.add(v);
    if (ds.some((v) => fromWrt.has(v))) path.push(n);
  }
  const missing: MissingGradientError[] = [];
  for (const n of path) {
    try {
      ruleFor(n);
    } catch (e) {
      if (!(e instanceof MissingGradientError)) throw e;
      missing.push(e);
    }
  }
  if (missing.length > 0) {
    const err = missing[0]!;
    if (missing.length > 1) {
      const ops = [...new Set(missing.map((m) => m.opType))].join(', ');
      err.message = `${missing.length} nodes on the path to the loss have no gradient (ops: ${ops}):\n  ${missing.map((m) => m.message).join('\n  ')}`;
    }
    throw err;
  }
  const unreached = wrt.filter((v) => !toLoss.has(v));
  if (unreached.length > 0 && !opts.allowUnreached) {
    throw new GradientError(`${unreached.map((v) => `'${v.name}'`).join(', ')} do${unreached.length === 1 ? 'es' : ''} not reach the loss '${loss.name}' (pass allowUnreached to get zeros)`);
  }

  // --- the backward pass
  const start = graph.nodes.length;
  const contribs = new Map<Value, Value[]>();
  const add = (v: Value, g: Value): void => {
    const list = contribs.get(v);
    if (list) list.push(g);
    else contribs.set(v, [g]);
  };
  const total = (v: Value): Value | null => {
    const list = contribs.get(v);
    if (!list || list.length === 0) return null;
    if (list.length > 1) list.splice(0, list.length, list.length === 2 ? op.add(list[0]!, list[1]!) : op.sum([...list]));
    return list[0]!;
  };
  const result = new Map<Value, Value>();
  const fuse = opts.fuse ?? true;
  try {
    graph.scope(opts.scope ?? 'grad', () => {
      add(loss, opts.gradOutput ?? graph.vector([1], loss.dtype as 'float32', loss.shape as number[]));
      for (const node of path) {
        const gradOutputs = node.outputs.map(total);
        if (gradOutputs.every((g) => g === null)) continue;
        const needsInputGrad = node.inputs.map((v) => v !== null && fromWrt.has(v) && toLoss.has(v));
        if (!needsInputGrad.some(Boolean)) continue;
        const grads = graph.scope(node.name, () => ruleFor(node)({ node, graph, gradOutputs, needsInputGrad, opset, fuse }));
        grads.forEach((g, i) => {
          const x = node.inputs[i];
          if (!g || !x || !needsInputGrad[i]) return;
          if (g.dtype !== x.dtype) throw new GradientError(`gradient rule for ${node.opType} (node '${node.name}') returned ${g.dtype} for input '${x.name}' (${x.dtype})`);
          const r = graph.scope(node.name, () => unbroadcast(g, x, node));
          if (!sameStaticShape(r, x)) throw new GradientError(`gradient rule for ${node.opType} (node '${node.name}') returned ${fmt(g.shape)} for input '${x.name}' ${fmt(x.shape)}`);
          add(x, r);
        });
      }
      const lost: Value[] = [];
      for (const v of wrt) {
        const g = total(v);
        if (g) result.set(v, g);
        else if (opts.allowUnreached) result.set(v, op.zerosShapedLike(v));
        else lost.push(v);
      }
      if (lost.length > 0) throw new GradientError(`no gradient reached ${lost.map((v) => `'${v.name}'`).join(', ')} (a rule returned none for it)`);
    });
    pruneUnused(graph, start, [...result.values()]);
    // --- postcondition
    if (opts.check ?? true) {
      const proto = graphToProto(graph, { opset });
      proto.output = [...(proto.output ?? []), ...[...result.values()].filter((v) => !graph.outputs.includes(v)).map((v) => valueInfo(v))];
      // Gradient graphs hold zeros shaped like the parameters: no static-size bound.
      assertValidModel({ irVersion: irVersionFor(opset), opsetImport: [{ domain: '', version: opset }], graph: proto }, { maxStaticTensorBytes: Infinity });
    }
  } catch (e) {
    graph.nodes.length = start;
    throw e;
  }
  return result;
}

/** Drop backward nodes (index ≥ start) that no gradient uses: work a rule did for nothing. */
function pruneUnused(graph: Graph, start: number, roots: Value[]): void {
  const built = graph.nodes.slice(start);
  const producer = new Map<Value, Node>();
  for (const n of built) for (const o of n.outputs) producer.set(o, n);
  const live = new Set<Node>();
  const stack = [...roots];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!);
    if (!n || live.has(n)) continue;
    live.add(n);
    stack.push(...dependencies(n));
  }
  if (live.size === built.length) return;
  graph.nodes.length = start;
  graph.nodes.push(...built.filter((n) => live.has(n)));
}
