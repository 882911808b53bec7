// The sentiment classifier: ids → Embedding → dropout → N × (Highway) BiLSTM → tanh →
// max over valid steps → tanh → dropout → Linear → logits, probs (+ transform gates).
import type { TokenizerOptions } from '../data/tokenizer.js';
import { Graph, GraphBuildError, op, toModel, DEFAULT_OPSET, type Value } from '../graph/index.js';
import { stampDigest } from '../onnx/digest.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import { bilstm, bilstmParams, embedding, highwayBilstm, highwayBilstmParams, linear, maskedMaxPool, paramsIn } from '../nn/index.js';
import { ConfigError, resolveConfig, type ModelConfig } from './config.js';
import { initParams, layerCarry, paramSpecs } from './init.js';
import { classifierMetadata } from './classifier-metadata.js';
import { IO_NAMES } from './classifier-io.js';

export { IO_NAMES } from './classifier-io.js';

// The file's metadata format moved to classifier-metadata.ts; re-exported for existing importers.
export { METADATA_FORMAT, METADATA_KEYS, MAX_METADATA_JSON_DEPTH, ModelMetadataError, readClassifierMetadata, type ClassifierMetadata } from './classifier-metadata.js';

export interface ClassifierGraph {
  graph: Graph;
  config: ModelConfig;
  /** int64 [batch, time], 0 = padding, 1 = unknown. */
  ids: Value;
  /** int32 [batch]. */
  lengths: Value;
  /** [batch, classes]. */
  logits: Value;
  /** Softmax of logits. */
  probs: Value;
  /** [batch, layers, time]: per layer, the transform gate averaged over its 2·hidden units (highway + gatesOutput only). */
  gates: Value | null;
  /** Parameter values by name ('embedding.weight', 'layer1.bilstm.W', …). */
  params: Map<string, Value>;
  /** Training graphs: inputs 'dropout.embedding' [time, batch, embedDim] and 'dropout.output' [batch, 2·hidden]. */
  dropoutMasks: { embedding: Value; output: Value } | null;
  /** The embedding lookup: `ids` int64 [time, batch] and the rows it gathers, `rows` [time, batch, embedDim] (before dropout). */
  lookup: { ids: Value; rows: Value };
}

export interface BuildClassifierOptions {
  /** Initial parameter values; default initParams(config). Names and shapes must match paramSpecs(config). */
  params?: Map<string, Tensor>;
  /** Add the dropout-mask inputs (values 0 or 1/(1−p), drawn by the trainer). */
  training?: boolean;
  /** Register logits, probs (and gates) as graph outputs; default: when not training. */
  outputs?: boolean;
  /**
   * The inference form (default false; classifierModel's default true): the same function and
   * parameters in fewer, larger nodes — layer 1's gate and projection carry in one MatMul, the
   * highway combination as C + T·(H − C), and the tanh before the max-pool applied after it
   * (tanh is increasing, so max·tanh = tanh·max, on [B, 2H] instead of [T, B, 2H]). Training and
   * evaluation graphs keep the plain form.
   */
  fused?: boolean;
}

export function buildClassifier(config: ModelConfig, opts: BuildClassifierOptions = {}): ClassifierGraph {
  const cfg = resolveConfig(config);
  const training = opts.training ?? false;
  const tensors = opts.params ?? initParams(cfg);
  checkParams(cfg, tensors);
  const { embedDim: E, hidden: H } = cfg;
  const g = new Graph({ name: 'highway_onnx_classifier', docString: describeConfig(cfg) });

  const ids = g.input(IO_NAMES.ids, 'int64', ['batch', 'time']);
  const lengths = g.input(IO_NAMES.lengths, 'int32', ['batch']);
  const dropoutMasks = training
    ? {
        embedding: g.input(IO_NAMES.dropoutEmbedding, 'float32', ['time', 'batch', E]),
        output: g.input(IO_NAMES.dropoutOutput, 'float32', ['batch', 2 * H]),
      }
    : null;

  const params = new Map<string, Value>();
  for (const spec of paramSpecs(cfg)) params.set(spec.name, g.param(spec.name, tensors.get(spec.name)!));
  const P = (name: string): Value => params.get(name)!;

  let lookup: { ids: Value; rows: Value } | undefined;
  let x = g.scope('embedding', () => {
    const timeMajor = op.transpose(ids, [1, 0]);
    const e = embedding(timeMajor, P('embedding.weight')); // [T, B, E]
    lookup = { ids: timeMajor, rows: e };
    return dropoutMasks ? op.mul(e, dropoutMasks.embedding) : e;
  });
  const gates: Value[] = [];
  for (let l = 1; l <= cfg.layers; l++) {
    const p = `layer${l}`;
    const layer = paramsIn(p, params);
    x = g.scope(p, () => {
      if (cfg.kind === 'plain') return bilstm(x, lengths, bilstmParams((n) => layer(`bilstm.${n}`)), H);
      const carry = layerCarry(cfg, l);
      const out = highwayBilstm(x, lengths, highwayBilstmParams(layer, carry), { carry, hidden: H, fused: opts.fused ?? false });
      gates.push(out.gate);
      return out.y;
    });
  }
  const features = g.scope('pool', () => {
    const pooled = opts.fused ? op.tanh(maskedMaxPool(x, lengths)) : maskedMaxPool(op.tanh(x), lengths);
    const f = op.tanh(pooled); // [B, 2H]
    return dropoutMasks ? op.mul(f, dropoutMasks.output) : f;
  });
  const logits = g.scope('output', () => linear(features, P('output.weight'), P('output.bias'), { name: IO_NAMES.logits }));
  const probs = op.softmax(logits, -1, { name: IO_NAMES.probs });
  let gateMeans: Value | null = null;
  if (cfg.kind === 'highway' && cfg.gatesOutput) {
    gateMeans = g.scope('gates', () => {
      const perLayer = gates.map((t) => op.reduceMean(t, [2], { keepdims: true })); // [T, B, 1] each
      const stacked = perLayer.length === 1 ? perLayer[0]! : op.concat(perLayer, 2); // [T, B, L]
      return op.transpose(stacked, [1, 2, 0], { name: IO_NAMES.gates }); // [B, L, T]
    });
  }
  if (opts.outputs ?? !training) {
    g.output(logits, IO_NAMES.logits);
    g.output(probs, IO_NAMES.probs);
    if (gateMeans) g.output(gateMeans, IO_NAMES.gates);
  }
  return { graph: g, config: cfg, ids, lengths, logits, probs, gates: gateMeans, params, dropoutMasks, lookup: lookup! };
}

function checkParams(cfg: ModelConfig, tensors: Map<string, Tensor>): void {
  const specs = paramSpecs(cfg);
  const expected = new Set(specs.map((s) => s.name));
  const problems: string[] = [];
  for (const s of specs) {
    const t = tensors.get(s.name);
    if (!t) problems.push(`missing '${s.name}' (float32 [${s.dims}])`);
    else if (t.dtype !== 'float32' || t.dims.join() !== s.dims.join()) {
      problems.push(`'${s.name}' should be float32 [${s.dims}], found ${t.dtype} [${t.dims}]`);
    }
  }
  for (const name of tensors.keys()) if (!expected.has(name)) problems.push(`unexpected parameter '${name}'`);
  if (problems.length > 0) {
    throw new GraphBuildError(`parameters do not fit the ${cfg.kind} classifier config (layers ${cfg.layers}, hidden ${cfg.hidden}):\n  ${problems.join('\n  ')}`);
  }
}

/** One paragraph for the graph's doc_string (shown by Netron). */
export function describeConfig(cfg: ModelConfig): string {
  const block =
    cfg.kind === 'highway'
      ? `Highway BiLSTM classifier: ${cfg.layers} highway BiLSTM layer(s), carry '${cfg.carry}' (layer 1), transform-gate bias ${cfg.gateBias}`
      : `Plain BiLSTM classifier (baseline): ${cfg.layers} stacked BiLSTM layer(s), no gate`;
  return [
    `${block}; hidden ${cfg.hidden} per direction (layer width ${2 * cfg.hidden}), embedding ${cfg.vocabSize}×${cfg.embedDim}, ${cfg.classes} classes [${cfg.labels.join(', ')}], dropout ${cfg.dropout} in training.`,
    `Inputs: ids int64 [batch, time] (0 = padding, 1 = unknown), lengths int32 [batch].`,
    `Outputs: logits and probs [batch, ${cfg.classes}]${cfg.kind === 'highway' && cfg.gatesOutput ? ', gates [batch, layers, time] (mean transform-gate activation per layer and token)' : ''}.`,
  ].join('\n');
}

export interface ClassifierModelOptions {
  params?: Map<string, Tensor>;
  /** Tokens in id order (length = config.vocabSize). */
  vocab?: string[];
  /** Default 17. */
  opset?: number;
  /** Switchable tokenizer rules the vocabulary was built with; recorded so inference cuts text the same way. */
  tokenizer?: TokenizerOptions;
  /** Marks the weights as untrained, with a note on where they come from (METADATA_KEYS.untrained). */
  untrained?: string;
  /** The inference form (BuildClassifierOptions.fused; default true); false writes the plain graph training differentiates. */
  fused?: boolean;
}

/** The self-contained inference model: weights, config, labels and vocabulary inside, and their digest (DIGEST_KEY). */
export function classifierModel(config: ModelConfig, opts: ClassifierModelOptions = {}): ModelProto {
  const cfg = resolveConfig(config);
  if (opts.vocab !== undefined) {
    if (!Array.isArray(opts.vocab) || opts.vocab.some((t) => typeof t !== 'string')) throw new ConfigError('vocab must be an array of strings');
    if (opts.vocab.length !== cfg.vocabSize) {
      throw new ConfigError(`vocab has ${opts.vocab.length} tokens but config.vocabSize is ${cfg.vocabSize}`);
    }
  }
  const built = buildClassifier(cfg, { ...(opts.params ? { params: opts.params } : {}), fused: opts.fused ?? true });
  const metadata = classifierMetadata(cfg, opts);
  return stampDigest(toModel(built.graph, { opset: opts.opset ?? DEFAULT_OPSET, metadata, docString: built.graph.docString }));
}
