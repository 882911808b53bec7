// Run a builder Graph in onnxruntime-node: emit with toModel, feed named Tensors, get
// named Tensors back. Sessions are cached per graph (and opset), keyed also on the node
// and output counts so a graph grown after a run gets a fresh session.
import * as ort from 'onnxruntime-node';
import { toModel, type Graph, type ModelOptions } from '../../src/graph/index.js';
import { encodeModel } from '../../src/onnx/proto.js';
import type { DType, Tensor } from '../../src/onnx/tensor.js';

export type Feeds = Record<string, Tensor>;

const sessions = new WeakMap<Graph, Map<string, Promise<ort.InferenceSession>>>();

export function sessionFor(g: Graph, opts: ModelOptions = {}): Promise<ort.InferenceSession> {
  const key = `${opts.opset ?? ''}|${opts.paramsAsInputs ? 1 : 0}|${g.nodes.length}|${g.outputs.length}`;
  let perGraph = sessions.get(g);
  if (!perGraph) sessions.set(g, (perGraph = new Map()));
  let s = perGraph.get(key);
  if (!s) {
    s = ort.InferenceSession.create(encodeModel(toModel(g, opts)), { graphOptimizationLevel: 'all' });
    perGraph.set(key, s);
  }
  return s;
}

export function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data as never, t.dims);
}

export function fromOrt(t: ort.Tensor): Tensor {
  return { dtype: t.type as DType, dims: [...t.dims], data: t.data as Tensor['data'] };
}

/** Run `g` and return every graph output (or just `outputs`) by name. */
export async function runGraph(g: Graph, feeds: Feeds, opts: ModelOptions & { outputs?: string[] } = {}): Promise<Record<string, Tensor>> {
  const { outputs, ...modelOpts } = opts;
  const session = await sessionFor(g, modelOpts);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
  const result = outputs ? await session.run(ortFeeds, outputs) : await session.run(ortFeeds);
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(result)) out[name] = fromOrt(t);
  return out;
}

/** Float64 view of a numeric tensor's values. */
export function f64(t: Tensor | undefined): Float64Array {
  if (!t) throw new Error('missing output');
  if (t.data instanceof Float64Array) return t.data;
  return Float64Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}
