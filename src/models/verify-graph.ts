// Does the graph inside a classifier file compute what its metadata says? The metadata (config,
// labels, vocabulary) is only a claim: a file can carry the right names and metadata around a
// graph that is something else entirely. These checks hold for every graph highway-onnx writes
// (trained, imported from PyTorch, fine-tuned, raw-text) whatever builder version wrote it:
// they look at what the config fixes, not at node names or the exact op sequence.
import { toNumber, type AttributeProto, type ModelProto, type NodeProto } from '../onnx/proto.js';
import { CodedError } from '../errors.js';
import { ONNX_TYPE, elementTypeOfOnnx } from '../dtypes.js';
import type { ModelConfig } from './config.js';
import { paramSpecs } from './init.js';
import { IO_NAMES } from './classifier-io.js';

/** The graph does not have the structure its config describes (E_MODEL_GRAPH). */
export class ModelGraphError extends CodedError {
  constructor(message: string) {
    super('E_MODEL_GRAPH', 'ModelGraphError', message);
  }
}

const { FLOAT, INT8, FLOAT16 } = ONNX_TYPE;

function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}

const text = (a: AttributeProto | undefined): string | null => (a?.s ? new TextDecoder().decode(a.s) : null);

/** What the verification established, for `inspect`. */
export interface GraphVerification {
  /** LSTM nodes found, one per layer. */
  lstms: number;
  /** Parameters checked (names, float32, shapes, each used by the graph). */
  parameters: number;
}

/**
 * Check the main graph against the config:
 * - every parameter the config implies is an initializer: float32, the config's shape;
 * - each parameter is used by a node; the embedding table by a Gather;
 * - exactly `layers` LSTM nodes, the l-th taking `layer<l>.bilstm.W/R/B` as its W, R, B, with
 *   direction 'bidirectional', hidden_size = config.hidden, and a sequence_lens input;
 * - a highway model's gates and carry weights feed the graph; `probs` is a graph output made by a
 *   Softmax of `logits`, also a graph output.
 * Throws ModelGraphError (E_MODEL_GRAPH) naming the first difference.
 */
export function verifyClassifierGraph(model: ModelProto, config: ModelConfig): GraphVerification {
  const g = model.graph ?? {};
  const where = `its config (${config.kind}, ${config.layers} layer(s), hidden ${config.hidden})`;
  const fail = (what: string): never => {
    throw new ModelGraphError(`the graph does not match ${where}: ${what}`);
  };
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const nodes = g.node ?? [];
  const consumers = new Map<string, NodeProto[]>();
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) {
    for (const i of n.input ?? []) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
    for (const o of n.output ?? []) if (o) producer.set(o, n);
  }
  const specs = paramSpecs(config);
  for (const s of specs) {
    // A parameter is a float32 initializer, or one stored smaller by `export --dtype`
    // (onnx/quantize.ts) and widened by one node into the parameter's name:
    // `<name>.fp16` (float16) → Cast(to=FLOAT), or `<name>.int8` (int8) → DequantizeLinear.
    const widen = producer.get(s.name);
    const storedName = !widen ? s.name
      : widen.opType === 'Cast' && attr(widen, 'to')?.i !== undefined && toNumber(attr(widen, 'to')!.i!) === FLOAT && widen.input?.[0] === `${s.name}.fp16` ? `${s.name}.fp16`
      : widen.opType === 'DequantizeLinear' && widen.input?.[0] === `${s.name}.int8` ? `${s.name}.int8`
      : null;
    if (storedName === null) fail(`parameter '${s.name}' is computed by a ${widen!.opType} node, expected an initializer (or its fp16/int8 form)`);
    const t = inits.get(storedName!);
    if (!t) fail(`it has no parameter '${s.name}' (float32 [${s.dims}])`);
    const dims = (t!.dims ?? []).map((d) => toNumber(d));
    const type = storedName!.endsWith('.fp16') ? FLOAT16 : storedName!.endsWith('.int8') ? INT8 : FLOAT;
    if (t!.dataType !== type || dims.join() !== s.dims.join()) fail(`parameter '${storedName}' is data type ${t!.dataType} [${dims}], the config needs ${elementTypeOfOnnx(type)!.name} [${s.dims}]`);
    if (!consumers.has(s.name)) fail(`parameter '${s.name}' is not used by any node`);
  }
  if (!consumers.get('embedding.weight')!.some((n) => n.opType === 'Gather' && n.input?.[0] === 'embedding.weight')) {
    fail("no Gather node looks tokens up in 'embedding.weight'");
  }
  const lstms = nodes.filter((n) => n.opType === 'LSTM' && (n.domain ?? '') === '');
  if (lstms.length !== config.layers) fail(`it has ${lstms.length} LSTM node(s), the config has ${config.layers} BiLSTM layer(s)`);
  for (let l = 1; l <= config.layers; l++) {
    const p = `layer${l}.bilstm`;
    const node = lstms.find((n) => n.input?.[1] === `${p}.W`);
    if (!node) fail(`no LSTM node takes '${p}.W' as its weights (layer ${l})`);
    // ONNX LSTM inputs: X, W, R, B, sequence_lens, initial_h, initial_c, P.
    const [, , r, b, seqLens] = node!.input ?? [];
    if (r !== `${p}.R` || b !== `${p}.B`) fail(`layer ${l}'s LSTM takes R '${r ?? ''}' and B '${b ?? ''}', expected '${p}.R' and '${p}.B'`);
    const direction = text(attr(node!, 'direction')) ?? 'forward';
    if (direction !== 'bidirectional') fail(`layer ${l}'s LSTM runs '${direction}', expected 'bidirectional'`);
    const hidden = attr(node!, 'hidden_size');
    if (!hidden || toNumber(hidden.i) !== config.hidden) fail(`layer ${l}'s LSTM has hidden_size ${hidden ? toNumber(hidden.i) : 'unset'}, the config says ${config.hidden}`);
    if (!seqLens) fail(`layer ${l}'s LSTM has no sequence_lens input: padded steps would be read`);
  }
  const outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const { logits, probs } = IO_NAMES;
  for (const name of [logits, probs]) if (!outputs.has(name)) fail(`it has no '${name}' output`);
  const softmax = producer.get(probs);
  if (softmax?.opType !== 'Softmax' || softmax.input?.[0] !== logits) fail(`'${probs}' is made by ${softmax ? `a ${softmax.opType} node` : 'no node'}, expected Softmax of '${logits}'`);
  return { lstms: lstms.length, parameters: specs.length };
}
