// The builder IR in one module (as onnx ir-py's core): values with dtype and (symbolic) shape,
// nodes, attributes, and the graph under construction (inputs, parameters, constants, nodes,
// outputs, scoped names).
import { makeTensor, tensorOf, type DType, type Tensor } from '../onnx/tensor.js';
import { GraphBuildError } from './errors.js';

/** A dimension: a number, a symbol shared across values ('B', 'T'), or '?' (unknown). */
export type Dim = number | string;
/** null: rank unknown. */
export type Shape = Dim[] | null;

export type Attr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph };

export const attr = {
  int: (value: number): Attr => ({ type: 'int', value }),
  float: (value: number): Attr => ({ type: 'float', value }),
  string: (value: string): Attr => ({ type: 'string', value }),
  ints: (value: number[]): Attr => ({ type: 'ints', value }),
  floats: (value: number[]): Attr => ({ type: 'floats', value }),
  strings: (value: string[]): Attr => ({ type: 'strings', value }),
  tensor: (value: Tensor): Attr => ({ type: 'tensor', value }),
  graph: (value: Graph): Attr => ({ type: 'graph', value }),
};

export type ValueKind = 'input' | 'initializer' | 'node';

export class Value {
  /** Set for initializers: lets shape inference read constant shapes/axes. */
  constValue: Tensor | undefined;
  constructor(
    readonly graph: Graph,
    public name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly producer: Node | null,
    readonly kind: ValueKind,
    /** The name was chosen by the user (or a scope), not generated. */
    public named = false,
  ) {}

  get rank(): number | null {
    return this.shape === null ? null : this.shape.length;
  }

  /** Static dims, or a thrown error naming the value when a dim is symbolic. */
  staticShape(): number[] {
    if (this.shape === null || this.shape.some((d) => typeof d !== 'number')) {
      throw new Error(`value '${this.name}' has no static shape: [${this.shape?.join(', ') ?? '?'}]`);
    }
    return this.shape as number[];
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape === null ? '…' : this.shape.join(', ')}]`;
  }
}

export class Node {
  readonly outputs: Value[] = [];
  /** Where the node was built (debug mode): traces an onnxruntime error back to code. */
  stack: string | undefined;
  constructor(
    readonly graph: Graph,
    readonly opType: string,
    readonly name: string,
    readonly inputs: (Value | null)[],
    readonly attrs: Record<string, Attr>,
    readonly domain = '',
  ) {}

  attrInt(name: string, fallback: number): number {
    const a = this.attrs[name];
    return a && a.type === 'int' ? a.value : fallback;
  }
  attrInts(name: string): number[] | undefined {
    const a = this.attrs[name];
    return a && a.type === 'ints' ? a.value : undefined;
  }
  attrFloat(name: string, fallback: number): number {
    const a = this.attrs[name];
    return a && a.type === 'float' ? a.value : fallback;
  }
  attrString(name: string, fallback: string): string {
    const a = this.attrs[name];
    return a && a.type === 'string' ? a.value : fallback;
  }
}

export interface GraphOptions {
  name?: string;
  docString?: string;
  /** Keep each node's creation stack and write it into the node's doc_string. */
  debug?: boolean;
}

/** Names are unique across a graph and all its subgraphs (ONNX forbids shadowing). */
class NameAllocator {
  private readonly used = new Set<string>();
  take(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
  reserve(name: string): boolean {
    if (this.used.has(name)) return false;
    this.used.add(name);
    return true;
  }
  release(name: string): void {
    this.used.delete(name);
  }
}

export interface OutputSpec {
  dtype: DType;
  shape: Shape;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  /** Initializers in creation order: parameters and constants. */
  readonly initializers = new Map<Value, Tensor>();
  /** Trainable parameters (a subset of initializers, or inputs when bound later). */
  readonly params = new Set<Value>();
  readonly name: string;
  docString: string;
  readonly debug: boolean;
  private readonly scopes: string[] = [];
  private readonly names: NameAllocator;
  private readonly scalarCache = new Map<string, Value>();

  constructor(opts: GraphOptions = {}, readonly parent: Graph | null = null) {
    this.name = opts.name ?? 'main';
    this.docString = opts.docString ?? '';
    this.debug = opts.debug ?? (parent?.debug ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.HIGHWAY_ONNX_DEBUG === '1');
    this.names = parent ? parent.names : new NameAllocator();
    if (parent) this.scopes.push(...parent.scopes);
  }

  /** Run `fn` with `name` pushed on the scope: names built inside read `outer.name.x`. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  scopedName(base: string): string {
    return [...this.scopes, base].join('.');
  }

  /** A fresh unique name under the current scope. */
  uniqueName(base: string): string {
    return this.names.take(this.scopedName(base));
  }

  isAncestorOf(other: Graph): boolean {
    for (let g: Graph | null = other; g; g = g.parent) if (g === this) return true;
    return false;
  }

  /** A graph input called exactly `name` (or, with `unique`, a fresh name based on it). */
  input(name: string, dtype: DType, shape: Shape, opts: { unique?: boolean } = {}): Value {
    const v = new Value(this, opts.unique ? this.uniqueName(name) : this.exactName(name), dtype, shape, null, 'input', true);
    this.inputs.push(v);
    return v;
  }

  /** A trainable parameter: an initializer holding its initial value. */
  param(name: string, tensor: Tensor): Value {
    const v = this.initializer(this.uniqueName(name), tensor);
    v.named = true;
    this.params.add(v);
    return v;
  }

  /** A constant initializer (never trained). */
  constant(tensor: Tensor, name = 'const'): Value {
    return this.initializer(this.uniqueName(name), tensor);
  }

  /** A cached scalar or small vector constant of the given dtype. */
  scalar(value: number, dtype: Exclude<DType, 'string' | 'bool'> = 'float32'): Value {
    return this.vector([value], dtype, []);
  }

  vector(values: number[], dtype: Exclude<DType, 'string' | 'bool'> = 'int64', dims: number[] = [values.length]): Value {
    const key = `${dtype}:${dims.join('x')}:${values.join(',')}`;
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const v = this.initializer(this.names.take(`const.${dtype}.${values.length === 1 ? values[0] : 'v'}`.replace(/[^\w.-]/g, '_')), tensorOf(dtype, values, dims));
    this.scalarCache.set(key, v);
    return v;
  }

  private initializer(name: string, tensor: Tensor): Value {
    makeTensor(tensor.dtype, tensor.dims, tensor.data); // validates size
    const v = new Value(this, name, tensor.dtype, [...tensor.dims], null, 'initializer');
    v.constValue = tensor;
    this.initializers.set(v, tensor);
    return v;
  }

  /** Replace a parameter's stored value (e.g. after training or import). */
  setInitializer(v: Value, tensor: Tensor): void {
    if (!this.initializers.has(v)) throw new GraphBuildError(`'${v.name}' is not an initializer of graph '${this.name}'`);
    const shape = v.shape as number[];
    if (tensor.dtype !== v.dtype || tensor.dims.join() !== shape.join()) {
      throw new GraphBuildError(
        `initializer '${v.name}' expects ${v.dtype}[${shape}], got ${tensor.dtype}[${tensor.dims}]`,
      );
    }
    this.initializers.set(v, tensor);
    v.constValue = tensor;
  }

  /** Mark `v` as a graph output called `name` (renaming it when the name is free, else via Identity). */
  output(v: Value, name?: string): Value {
    let out = v;
    if (name !== undefined && v.name !== name) {
      if (v.kind === 'node' && !v.named && v.graph === this && !this.outputs.includes(v) && this.names.reserve(name)) {
        this.names.release(v.name);
        v.name = name;
        v.named = true;
      } else {
        out = this.addNode('Identity', [v], {}, [{ dtype: v.dtype, shape: v.shape }], { outputNames: [name] })[0]!;
      }
    } else if (v.graph !== this || this.outputs.includes(v) || v.kind !== 'node') {
      out = this.addNode('Identity', [v], {}, [{ dtype: v.dtype, shape: v.shape }])[0]!;
    }
    this.outputs.push(out);
    return out;
  }

  /** Add a node. Every input must live in this graph or an enclosing one. */
  addNode(
    opType: string,
    inputs: (Value | null)[],
    attrs: Record<string, Attr>,
    outputs: OutputSpec[],
    opts: { domain?: string; name?: string; outputNames?: string[] } = {},
  ): Value[] {
    for (const i of inputs) {
      if (i && !i.graph.isAncestorOf(this)) {
        throw new GraphBuildError(`${opType}: input '${i.name}' belongs to graph '${i.graph.name}', not to '${this.name}' or an enclosing graph`);
      }
    }
    const nodeName = this.uniqueName(opts.name ?? opType);
    const node = new Node(this, opType, nodeName, inputs, attrs, opts.domain ?? '');
    if (this.debug) node.stack = new Error().stack?.split('\n').slice(2).join('\n');
    outputs.forEach((spec, i) => {
      const wanted = opts.outputNames?.[i];
      const name = wanted !== undefined ? this.exactName(wanted) : this.names.take(outputs.length === 1 ? `${nodeName}.out` : `${nodeName}.out${i}`);
      node.outputs.push(new Value(this, name, spec.dtype, spec.shape, node, 'node', wanted !== undefined));
    });
    this.nodes.push(node);
    return node.outputs;
  }

  private exactName(name: string): string {
    if (!this.names.reserve(name)) throw new GraphBuildError(`the name '${name}' is already used in this graph`);
    return name;
  }
}

/** The graph a node with these inputs belongs to: the innermost one among them. */
export function graphOf(...values: (Value | null | undefined)[]): Graph {
  let best: Graph | null = null;
  for (const v of values) {
    if (!v) continue;
    if (!best || best.isAncestorOf(v.graph)) best = v.graph;
    else if (!v.graph.isAncestorOf(best)) {
      throw new GraphBuildError(`values '${v.name}' and others come from unrelated graphs`);
    }
  }
  if (!best) throw new GraphBuildError('an op needs at least one input value');
  return best;
}
