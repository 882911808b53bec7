// What a converter sees of one ONNX node: its inputs as builder values, its attributes
// decoded, constant inputs read as numbers, and a way to fail naming the node.
import { attr, type Attr, type Graph, type Value } from '../graph/index.js';
import { constInts } from '../graph/shape.js';
import { AttributeType, toNumber, type AttributeProto, type NodeProto } from '../onnx/proto.js';
import { TENSOR_DTYPES, tensorFromProto, type DType, type Tensor } from '../onnx/tensor.js';
import { CodedError } from '../errors.js';
import { elementTypeNamed, elementTypeOfOnnx } from '../dtypes.js';

export const IMPORT_CODE = 'E_ONNX_IMPORT';

/** A graph the importer cannot rebuild (unsupported op, attribute, opset, dtype), code E_ONNX_IMPORT. */
export class ImportError extends CodedError {
  constructor(message: string) {
    super(IMPORT_CODE, 'ImportError', message);
  }
}

/**
 * The builder dtype of ONNX element type `elem` (TensorProto.DataType); throws ImportError
 * (E_ONNX_IMPORT) naming `what` for the types the builder does not know (float16, uint8, …).
 */
export function dtypeOfElem(elem: number, what: string): DType {
  const t = elementTypeOfOnnx(elem);
  if (!t || !(TENSOR_DTYPES as readonly string[]).includes(t.name)) {
    const supported = TENSOR_DTYPES.map((d) => elementTypeNamed(d)!.onnxName).join(', ');
    throw new ImportError(`${what}: element type ${t?.onnxName ?? elem} is not supported (${supported} are)`);
  }
  return t.name as DType;
}

/** An ONNX attribute as the builder IR's Attr (sub-graphs are refused: If/Loop/Scan are not imported). */
export function irAttr(a: AttributeProto, where: string): Attr {
  switch (a.type) {
    case AttributeType.INT: return attr.int(toNumber(a.i));
    case AttributeType.FLOAT: return attr.float(a.f ?? 0);
    case AttributeType.STRING: return attr.string(new TextDecoder().decode(a.s ?? new Uint8Array()));
    case AttributeType.INTS: return attr.ints((a.ints ?? []).map((v) => toNumber(v)));
    case AttributeType.FLOATS: return attr.floats([...(a.floats ?? [])]);
    case AttributeType.STRINGS: return attr.strings((a.strings ?? []).map((s) => new TextDecoder().decode(s)));
    case AttributeType.TENSOR: return attr.tensor(tensorFromProto(a.t ?? {}));
    default:
      throw new ImportError(`${where}: attribute '${a.name}' of type ${AttributeType[a.type ?? 0] ?? a.type} is not supported`);
  }
}

export class Ctx {
  readonly attrs: Record<string, Attr> = {};
  constructor(
    readonly g: Graph,
    readonly node: NodeProto,
    readonly label: string,
    readonly ins: (Value | null)[],
    readonly opset: number,
  ) {
    for (const a of node.attribute ?? []) this.attrs[a.name ?? ''] = irAttr(a, label);
  }

  get opType(): string {
    return this.node.opType ?? '';
  }

  /** Number of outputs the node declares (named or ''). */
  get outputCount(): number {
    return (this.node.output ?? []).length;
  }

  fail(message: string): never {
    throw new ImportError(`${this.label}: ${message}`);
  }

  /** Required input i. */
  input(i: number): Value {
    const v = this.ins[i];
    if (!v) this.fail(`input ${i} is required`);
    return v!;
  }

  opt(i: number): Value | null {
    return this.ins[i] ?? null;
  }

  int(name: string, fallback: number): number {
    const a = this.attrs[name];
    return a && a.type === 'int' ? a.value : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.attrs[name];
    return a && a.type === 'float' ? a.value : fallback;
  }

  string(name: string, fallback: string): string {
    const a = this.attrs[name];
    return a && a.type === 'string' ? a.value : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.attrs[name];
    return a && a.type === 'ints' ? a.value : undefined;
  }

  tensor(name: string): Tensor | undefined {
    const a = this.attrs[name];
    return a && a.type === 'tensor' ? a.value : undefined;
  }

  /** Integer contents of input i when it is a constant (initializer or folded Constant). */
  constInts(i: number): number[] | null {
    return constInts(this.ins[i]);
  }

  /** Like constInts, but a missing or non-constant input is an error saying what it is for. */
  requireInts(i: number, what: string): number[] {
    const v = this.constInts(i);
    if (!v) this.fail(`${what} (input ${i}) must be a constant; a computed ${what} is not supported`);
    return v!;
  }

  /** Refuse attributes whose non-default values the import does not implement. */
  refuseAttrs(names: string[]): void {
    for (const n of names) if (this.attrs[n]) this.fail(`attribute '${n}' is not supported`);
  }
}
