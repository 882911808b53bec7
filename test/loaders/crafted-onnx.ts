// Crafted .onnx files that ask for unbounded time or memory, built in the test (small, fast).
// The deeply nested one is written straight to the protobuf wire, because protobufjs's own
// encoder recurses and cannot produce it.
import protobuf from 'protobufjs';
import onnxProto from 'onnx-proto';
import { decodeModel, encodeModel, type ModelProto, type NodeProto } from '../../src/onnx/proto.js';
import { stampDigest } from '../../src/onnx/digest.js';

const onnx = onnxProto.onnx;

const LEN = 2;
const VARINT = 0;
const tag = (field: number, wire: number): number => (field << 3) | wire;

/** A length-delimited field holding `bytes`. */
function field(w: protobuf.Writer, n: number, bytes: Uint8Array): void {
  w.uint32(tag(n, LEN)).bytes(bytes);
}

/**
 * The bytes of a NodeProto: an `If` (reading `input`, writing `output`) whose then_branch
 * holds an `If` … `depth` levels deep, the innermost branch an Identity of `input`.
 * Written with forks, iteratively: protobufjs's encoder recurses and cannot produce it.
 */
export function nestedIfNode(depth: number, input: string, output: string): Uint8Array {
  const w = protobuf.Writer.create();
  for (let k = 0; k < depth; k++) {
    if (k > 0) w.uint32(tag(1, LEN)).fork(); // node (the outermost one is the message itself)
    w.uint32(tag(1, LEN)).string(input).uint32(tag(2, LEN)).string(k === 0 ? output : 'y').uint32(tag(4, LEN)).string('If');
    if (k === 0) w.uint32(tag(3, LEN)).string('nest');
    w.uint32(tag(5, LEN)).fork(); // attribute
    w.uint32(tag(1, LEN)).string('then_branch').uint32(tag(20, VARINT)).uint32(5);
    w.uint32(tag(6, LEN)).fork(); // g
  }
  w.uint32(tag(1, LEN)).fork().uint32(tag(1, LEN)).string(input).uint32(tag(2, LEN)).string('y').uint32(tag(4, LEN)).string('Identity').ldelim();
  w.uint32(tag(12, LEN)).fork().uint32(tag(1, LEN)).string('y').ldelim(); // output y
  for (let k = depth - 1; k >= 0; k--) {
    w.ldelim(); // g
    w.ldelim(); // attribute
    if (k > 0) {
      w.ldelim(); // node
      w.uint32(tag(12, LEN)).fork().uint32(tag(1, LEN)).string('y').ldelim(); // its graph's output y
    }
  }
  return w.finish();
}

/** A model holding only a graph input `c` and nestedIfNode(depth, 'c', 'y'). */
export function nestedIfModel(depth: number): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(tag(1, VARINT)).uint32(8); // ir_version
  w.uint32(tag(8, LEN)).fork().uint32(tag(2, VARINT)).uint32(17).ldelim(); // opset_import { version: 17 }
  const g = protobuf.Writer.create();
  field(g, 1, nestedIfNode(depth, 'c', 'y'));
  g.uint32(tag(11, LEN)).fork().uint32(tag(1, LEN)).string('c').ldelim();
  g.uint32(tag(12, LEN)).fork().uint32(tag(1, LEN)).string('y').ldelim();
  field(w, 7, g.finish());
  return w.finish();
}

/**
 * `base` (a serialized model) with the node `nodeBytes` appended to its main graph: repeated
 * fields concatenate on the wire, so the graph's bytes plus one more `node` field is the graph
 * with one more node.
 */
export function withNodeBytes(base: Uint8Array, nodeBytes: Uint8Array): Uint8Array {
  const m = decodeModel(base);
  const graph = onnx.GraphProto.encode(m.graph!).finish();
  const withNode = protobuf.Writer.create();
  field(withNode, 1, nodeBytes);
  const w = protobuf.Writer.create();
  field(w, 7, concat(graph, withNode.finish()));
  return concat(encodeModel({ ...m, graph: null } as ModelProto), w.finish());
}

/**
 * `names` graph inputs visible to `subgraphs` If nodes, each with a one-node branch: a
 * checker that copies the enclosing scope into every subgraph does names × subgraphs work.
 */
export function wideScopesModel(names: number, subgraphs: number): Uint8Array {
  const node = (i: number): NodeProto => ({
    opType: 'If', input: ['n0'], output: [`y${i}`],
    attribute: [{ name: 'then_branch', type: 5, g: { name: 'b', node: [{ opType: 'Identity', input: ['n1'], output: ['z'] }], output: [{ name: 'z' }] } }],
  });
  const model: ModelProto = {
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'wide',
      input: Array.from({ length: names }, (_, i) => ({ name: `n${i}` })),
      node: Array.from({ length: subgraphs }, (_, i) => node(i)),
      output: [{ name: `y${subgraphs - 1}` }],
    },
  };
  return encodeModel(model);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** int64 little-endian bytes of `values` (a raw_data payload). */
export function int64Raw(values: number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
}

/**
 * `base` with a constant-producing node added: `op` reads the int64 initializer
 * `bound.shape` (= `shape`) and writes `bound.out`, which nothing reads (onnxruntime still
 * allocates it: constant folding runs before pruning).
 */
export function withConstantOp(base: Uint8Array, op: 'ConstantOfShape' | 'Expand' | 'Tile', shape: number[]): Uint8Array {
  const m = decodeModel(base);
  const g = m.graph!;
  g.initializer!.push({ name: 'bound.shape', dataType: 7, dims: [shape.length], rawData: int64Raw(shape) });
  const inputs = op === 'ConstantOfShape' ? ['bound.shape'] : ['bound.one', 'bound.shape'];
  if (op !== 'ConstantOfShape') {
    g.initializer!.push({ name: 'bound.one', dataType: 1, dims: shape.map(() => 1), rawData: new Uint8Array(4) });
  }
  g.node!.push({ opType: op, name: 'bound', input: inputs, output: ['bound.out'] });
  // Re-stamped: the point is the bound, not the digest (which would refuse the edit first).
  return encodeModel(stampDigest(m));
}
