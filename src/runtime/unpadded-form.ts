// The classifier graph without its padding mask, for runs in which no sequence is padded.
//
// The masked max-pool (src/nn/pooling.ts) sets the steps past each sequence's length to the
// lowest float before ReduceMax. In a run where every length equals the padded length T
// (a single sentence always; equal lengths otherwise) that mask is all true and the Where a
// copy: dropping it and the 8 nodes that compute the mask gives the same outputs bit for bit,
// and at batch 1 the model runs 1.09–1.22× faster on one thread (scripts/bench/single-sentence.ts,
// 1 layer; ~1.04× at 4 layers): per-node dispatch is a large share of a one-sentence run.
//
// Only the exact structure the project's builder writes is rewritten, checked node by node
// (operators, which inputs feed which, the constants 0 and 1, and that the lengths are the
// graph's own `lengths` input); anything else leaves the model as it is (null).
import { decodeModel, encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { tensorFromProto } from '../onnx/tensor.js';
import { IO_NAMES } from '../models/classifier-io.js';
import type { SessionLike, TensorCtor } from './predictor.js';

/**
 * Models larger than this get no unpadded form: the twin session holds a second copy of every
 * weight (mostly the embedding table), and the wider models that make files this large spend a
 * single-sentence run in the LSTM's arithmetic, not in the per-node dispatch the form saves. A 16-layer
 * model of embed 100, hidden 50 and a 16k vocabulary is 11 MB.
 */
export const UNPADDED_MAX_MODEL_BYTES = 32 * 2 ** 20;

/**
 * `model` (an .onnx file's bytes) rewritten without its pooling mask: every Where whose condition
 * is `Range(0, Shape(x)[0], 1) < lengths` over its own input x (time-major [T, B, D]) is replaced by
 * x, and the nodes and initializers left without a consumer are dropped. Only valid for runs where every
 * lengths[b] equals T. Returns null when the graph has no such mask (nothing to gain) or the
 * file is larger than UNPADDED_MAX_MODEL_BYTES. Throws
 * OnnxFormatError (E_ONNX_FORMAT) only for bytes that are not a model (the caller vetted them).
 */
export function unpaddedForm(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length > UNPADDED_MAX_MODEL_BYTES) return null;
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph?.node) return null;
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node) for (const out of n.output ?? []) producer.set(out, n);
  const constants = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) if (t.name) constants.set(t.name, t);
  const replaced = new Map<string, string>();
  for (const n of graph.node) {
    if (n.opType !== 'Where' || n.input?.length !== 3) continue;
    if (isPaddingMask(n.input[0]!, n.input[1]!, producer, constants)) replaced.set(n.output![0]!, n.input[1]!);
  }
  // A Where that is itself a graph output is left alone (its name is the contract).
  for (const out of graph.output ?? []) if (out.name) replaced.delete(out.name);
  if (replaced.size === 0) return null;
  for (const n of graph.node) n.input = (n.input ?? []).map((i) => replaced.get(i) ?? i);
  graph.node = withoutDeadNodes(graph.node, new Set((graph.output ?? []).map((o) => o.name!)));
  // The mask's constants (0, 1, the lowest float) go with its nodes: onnxruntime warns about every
  // initializer no node reads ("Removing initializer …"), which `--verbose` shows the user.
  const read = new Set(graph.node.flatMap((n) => [...(n.input ?? []), ...subgraphInputs(n)]));
  for (const out of graph.output ?? []) if (out.name) read.add(out.name);
  const unread = new Set((graph.initializer ?? []).map((t) => t.name ?? '').filter((name) => !read.has(name)));
  if (graph.initializer) graph.initializer = graph.initializer.filter((t) => !unread.has(t.name ?? ''));
  // An older exporter also lists initializers as graph inputs: one left without its initializer would become required.
  if (graph.input) graph.input = graph.input.filter((i) => !unread.has(i.name ?? ''));
  return encodeModel(model as ModelProto);
}

/**
 * Whether `cond` is Unsqueeze(Less(Unsqueeze(Range(0, Gather(Shape(x), 0), 1)), Unsqueeze(Cast(lengths))))
 * exactly as maskedMaxPool writes it: true at (t, b) iff t < lengths[b], for t over x's first axis.
 */
function isPaddingMask(cond: string, x: string, producer: Map<string, NodeProto>, constants: Map<string, TensorProto>): boolean {
  const node = (name: string | undefined, op: string): NodeProto | null => {
    const n = name === undefined ? undefined : producer.get(name);
    return n?.opType === op ? n : null;
  };
  const scalarIs = (name: string | undefined, value: number): boolean => {
    const t = name === undefined ? undefined : constants.get(name);
    if (!t || (t.dims ?? []).length > 1) return false;
    const v = tensorFromProto(t);
    return v.data.length === 1 && Number(v.data[0]) === value;
  };
  const outer = node(cond, 'Unsqueeze');
  const less = node(outer?.input?.[0], 'Less');
  const steps = node(node(less?.input?.[0], 'Unsqueeze')?.input?.[0], 'Range');
  const cast = node(node(less?.input?.[1], 'Unsqueeze')?.input?.[0], 'Cast');
  const count = node(steps?.input?.[1], 'Gather');
  const shape = node(count?.input?.[0], 'Shape');
  if (!steps || !cast || !count || !shape) return false;
  const gatherAxis = count.attribute?.find((a) => a.name === 'axis');
  return (
    cast.input?.[0] === IO_NAMES.lengths &&
    shape.input?.[0] === x &&
    (shape.attribute ?? []).length === 0 && // no start/end: the whole shape
    (gatherAxis === undefined || Number(gatherAxis.i ?? 0) === 0) &&
    scalarIs(count.input?.[1], 0) &&
    scalarIs(steps.input?.[0], 0) &&
    scalarIs(steps.input?.[2], 1)
  );
}

/** Names a node's subgraphs (Scan, If, Loop bodies) read from the outer scope, or may: every input of their nodes. */
function subgraphInputs(n: NodeProto): string[] {
  const names: string[] = [];
  for (const a of n.attribute ?? []) {
    for (const g of [a.g, ...(a.graphs ?? [])]) {
      for (const inner of g?.node ?? []) names.push(...(inner.input ?? []), ...subgraphInputs(inner));
    }
  }
  return names;
}

/**
 * The nodes some name in `outputs` still needs, directly or through a subgraph, in their original
 * order (a node no output needs is never run by anyone, but onnxruntime would run it).
 */
export function withoutDeadNodes(nodes: NodeProto[], outputs: Set<string>): NodeProto[] {
  const needed = new Set(outputs);
  const kept: NodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if ((n.output ?? []).some((o) => needed.has(o))) {
      kept.push(n);
      for (const x of [...(n.input ?? []), ...subgraphInputs(n)]) needed.add(x);
    }
  }
  return kept.reverse();
}

/**
 * The loaders' twin (Node CPU, browser WASM): a session of unpaddedForm's model, opened by `create`
 * with the loader's own options, for the small runs with no padding. Null when the model has no
 * mask to drop or is too large, when the rewrite throws (an initializer it cannot read, say) or
 * `create` fails — the model then loads with its masked sessions only — and when the twin does not
 * answer the probe exactly as `reference` (answersAlike): then it is released and `onRefused`
 * called. Never throws.
 */
export async function openUnpaddedTwin(
  bytes: Uint8Array,
  reference: SessionLike,
  create: (form: Uint8Array) => Promise<SessionLike>,
  probe: { Tensor: TensorCtor; vocabSize: number; onRefused?: () => void },
): Promise<SessionLike | null> {
  let form: Uint8Array | null;
  try {
    form = unpaddedForm(bytes);
  } catch {
    return null;
  }
  if (!form) return null;
  const twin = await create(form).catch(() => null);
  if (!twin) return null;
  if (await answersAlike(reference, twin, probe.Tensor, probe.vocabSize)) return twin;
  probe.onRefused?.();
  await twin.release?.().catch(() => undefined);
  return null;
}

/**
 * Whether `twin` (a session of unpaddedForm's model) answers an unpadded probe — three sequences
 * of three ids in [0, vocabSize) — exactly as `reference` (the model as loaded): every output,
 * value for value. False also when either run fails. The loaders use the twin only then: a
 * speed-up is never worth a different answer.
 */
export async function answersAlike(reference: SessionLike, twin: SessionLike, Tensor: TensorCtor, vocabSize: number): Promise<boolean> {
  const ids = BigInt64Array.from({ length: 9 }, (_, i) => BigInt((i * 7 + 1) % Math.max(1, vocabSize)));
  const feeds = { [IO_NAMES.ids]: new Tensor('int64', ids, [3, 3]), [IO_NAMES.lengths]: new Tensor('int32', Int32Array.of(3, 3, 3), [3]) };
  try {
    const [a, b] = [await reference.run(feeds), await twin.run(feeds)];
    return reference.outputNames.every((name) => sameBytes(a[name]?.data, b[name]?.data));
  } catch {
    return false;
  }
}

function sameBytes(a: unknown, b: unknown): boolean {
  if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}
