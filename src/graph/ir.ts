// The builder IR: values with dtype and (symbolic) shape, nodes, attributes.
import type { DType, Tensor } from '../onnx/tensor.js';
import type { Graph } from './graph.js';

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
