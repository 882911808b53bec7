// Graph -> ModelProto. Opset differences are handled here, so the IR stays opset-neutral.
import { tensorOf, tensorToProto, dtypeToElemType } from '../onnx/tensor.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../onnx/proto.js';
import { AttributeType } from '../onnx/proto.js';
import { GraphBuildError } from './errors.js';
import type { Attr, Graph, Value } from './ir.js';

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 13;
const MAX_OPSET = 21;

export interface ModelOptions {
  /** ai.onnx opset version, 13–21 (default 17 → IR version 8). */
  opset?: number;
  docString?: string;
  metadata?: Record<string, string>;
  /** Emit parameters as graph inputs instead of initializers (a training-step graph). */
  paramsAsInputs?: boolean;
  producerName?: string;
  producerVersion?: string;
}

export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** Reductions whose axes move from attribute to input at this opset. */
const AXES_AS_INPUT_FROM: Record<string, number> = {
  ReduceSum: 13,
  ReduceMean: 18,
  ReduceMax: 18,
  ReduceMin: 18,
  ReduceSumSquare: 18,
  ReduceProd: 18,
  ReduceL2: 18,
  ReduceLogSumExp: 18,
};

export function valueInfo(v: Value, name = v.name): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: dtypeToElemType(v.dtype),
        ...(v.shape ? { shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === '?' ? {} : { dimParam: d })) } } : {}),
      },
    },
  };
}

function attrToProto(name: string, a: Attr, opset: number): AttributeProto {
  switch (a.type) {
    case 'int': return { name, type: AttributeType.INT, i: a.value };
    case 'float': return { name, type: AttributeType.FLOAT, f: a.value };
    case 'string': return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
    case 'ints': return { name, type: AttributeType.INTS, ints: a.value };
    case 'floats': return { name, type: AttributeType.FLOATS, floats: a.value };
    case 'strings': return { name, type: AttributeType.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor': return { name, type: AttributeType.TENSOR, t: tensorToProto(a.value) };
    case 'graph': return { name, type: AttributeType.GRAPH, g: graphToProto(a.value, { opset }) };
  }
}

export function graphToProto(g: Graph, opts: { opset: number; paramsAsInputs?: boolean }): GraphProto {
  const extraInits: TensorProto[] = [];
  const nodes: NodeProto[] = g.nodes.map((n) => {
    const inputs = n.inputs.map((v) => v?.name ?? '');
    const attrs = { ...n.attrs };
    const from = AXES_AS_INPUT_FROM[n.opType];
    if (from !== undefined && opts.opset >= from && attrs.axes) {
      const axes = attrs.axes.value as number[];
      delete attrs.axes;
      const name = `${n.name}.axes`;
      extraInits.push(tensorToProto(tensorOf('int64', axes), name));
      inputs.push(name);
    }
    const proto: NodeProto = {
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      input: inputs,
      output: n.outputs.map((v) => v.name),
      attribute: Object.entries(attrs).map(([k, a]) => attrToProto(k, a, opts.opset)),
    };
    if (n.stack) proto.docString = `built at:\n${n.stack}`;
    return proto;
  });
  const asInputs = opts.paramsAsInputs ? [...g.initializers.keys()].filter((v) => g.params.has(v)) : [];
  const initializers = [...g.initializers.entries()]
    .filter(([v]) => !asInputs.includes(v))
    .map(([v, t]) => tensorToProto(t, v.name));
  return {
    name: g.name,
    docString: g.docString,
    input: [...g.inputs, ...asInputs].map((v) => valueInfo(v)),
    output: g.outputs.map((v) => valueInfo(v)),
    initializer: [...initializers, ...extraInits],
    node: nodes,
  };
}

export function toModel(g: Graph, opts: ModelOptions = {}): ModelProto {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new GraphBuildError(`opset ${opset} is not supported: choose ${MIN_OPSET}–${MAX_OPSET} (default ${DEFAULT_OPSET})`);
  }
  if (g.outputs.length === 0) throw new GraphBuildError(`graph '${g.name}' has no outputs`);
  const model: ModelProto = {
    irVersion: irVersionFor(opset),
    producerName: opts.producerName ?? 'highway-onnx',
    producerVersion: opts.producerVersion ?? '0.1.0',
    docString: opts.docString ?? g.docString,
    opsetImport: [{ domain: '', version: opset }],
    graph: graphToProto(g, { opset, paramsAsInputs: opts.paramsAsInputs ?? false }),
  };
  if (opts.metadata) model.metadataProps = Object.entries(opts.metadata).map(([key, value]) => ({ key, value }));
  return model;
}
