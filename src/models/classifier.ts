// The sentiment classifier: ids → Embedding → dropout → N × (Highway) BiLSTM → tanh →
// max over valid steps → tanh → dropout → Linear → logits, probs (+ transform gates).
import type { TokenizerOptions } from '../data/tokenizer.js';
import { Graph, GraphBuildError, op, toModel, DEFAULT_OPSET, type Value } from '../graph/index.js';
import { readMetadata } from '../onnx/metadata.js';
import { stampDigest } from '../onnx/digest.js';
import { jsonDepth } from '../formats/json-depth.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import { bilstm, bilstmParams, embedding, highwayBilstm, highwayBilstmParams, linear, maskedMaxPool, paramsIn } from '../nn/index.js';
import { ConfigError, resolveConfig, type ModelConfig } from './config.js';
import { initParams, layerCarry, paramSpecs } from './init.js';
import { CodedError } from '../errors.js';

export const METADATA_KEYS = {
  config: 'highway_onnx.config',
  labels: 'highway_onnx.labels',
  vocab: 'highway_onnx.vocab',
  format: 'highway_onnx.format',
  /** The switchable tokenizer rules the vocabulary was built with (JSON TokenizerOptions; absent = defaults). */
  tokenizer: 'highway_onnx.tokenizer',
  /**
   * Present on a model whose weights were never trained (build-graph's random initialisation): a
   * short note saying where the weights come from. Loaders, `predict`, `serve` and `inspect` say so.
   */
  untrained: 'highway_onnx.untrained',
} as const;
export const METADATA_FORMAT = '1';

/** Names of the graph's inputs and outputs. */
export const IO_NAMES = {
  ids: 'ids',
  lengths: 'lengths',
  dropoutEmbedding: 'dropout.embedding',
  dropoutOutput: 'dropout.output',
  logits: 'logits',
  probs: 'probs',
  gates: 'gates',
} as const;

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
      const out = highwayBilstm(x, lengths, highwayBilstmParams(layer, carry), { carry, hidden: H });
      gates.push(out.gate);
      return out.y;
    });
  }
  const features = g.scope('pool', () => {
    const f = op.tanh(maskedMaxPool(op.tanh(x), lengths)); // [B, 2H]
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
  const built = buildClassifier(cfg, { ...(opts.params ? { params: opts.params } : {}) });
  const metadata: Record<string, string> = {
    [METADATA_KEYS.format]: METADATA_FORMAT,
    [METADATA_KEYS.config]: JSON.stringify(cfg),
    [METADATA_KEYS.labels]: JSON.stringify(cfg.labels),
  };
  if (opts.vocab) metadata[METADATA_KEYS.vocab] = JSON.stringify(opts.vocab);
  if (opts.tokenizer?.social) metadata[METADATA_KEYS.tokenizer] = JSON.stringify({ social: true });
  if (opts.untrained !== undefined) metadata[METADATA_KEYS.untrained] = opts.untrained;
  return stampDigest(toModel(built.graph, { opset: opts.opset ?? DEFAULT_OPSET, metadata, docString: built.graph.docString }));
}

export class ModelMetadataError extends CodedError {
  constructor(message: string) {
    super('E_MODEL_METADATA', 'ModelMetadataError', message);
  }
}

export interface ClassifierMetadata {
  config: ModelConfig;
  labels: string[];
  vocab: string[] | null;
  /** Tokenizer rules recorded with the vocabulary ({} when the key is absent: the defaults). */
  tokenizer: TokenizerOptions;
  /** Where untrained weights come from (METADATA_KEYS.untrained); null for a trained model. */
  untrained: string | null;
}

/**
 * Metadata values are JSON (config, labels, vocabulary): at most this deep. Deeper JSON is
 * refused before it is parsed: code that walks it (an error message describing a value)
 * recurses once per level, and a 10^6-deep value overflows the stack.
 */
export const MAX_METADATA_JSON_DEPTH = 16;

/** Config, labels and vocabulary written by classifierModel; errors name the key at fault. */
export function readClassifierMetadata(model: ModelProto): ClassifierMetadata {
  const md = readMetadata(model);
  const format = md[METADATA_KEYS.format];
  if (format === undefined) {
    throw new ModelMetadataError(`not a highway-onnx classifier: metadata key '${METADATA_KEYS.format}' is missing`);
  }
  if (format !== METADATA_FORMAT) {
    throw new ModelMetadataError(`'${METADATA_KEYS.format}' is '${format}'; this version reads format '${METADATA_FORMAT}'`);
  }
  const json = (key: string): unknown => {
    const raw = md[key];
    if (raw === undefined) throw new ModelMetadataError(`metadata key '${key}' is missing`);
    const depth = jsonDepth(raw);
    if (depth > MAX_METADATA_JSON_DEPTH) {
      throw new ModelMetadataError(`metadata key '${key}' nests JSON ${depth} deep, over the limit of ${MAX_METADATA_JSON_DEPTH}`);
    }
    try {
      return JSON.parse(raw);
    } catch (e) {
      throw new ModelMetadataError(`metadata key '${key}' is not valid JSON: ${(e as Error).message}`);
    }
  };
  const rawConfig = json(METADATA_KEYS.config);
  if (typeof rawConfig !== 'object' || rawConfig === null || Array.isArray(rawConfig)) {
    throw new ModelMetadataError(`metadata key '${METADATA_KEYS.config}' must hold a JSON object`);
  }
  let config: ModelConfig;
  try {
    config = resolveConfig(rawConfig as Partial<ModelConfig>);
  } catch (e) {
    throw new ModelMetadataError(`metadata key '${METADATA_KEYS.config}': ${(e as Error).message}`);
  }
  const labels = stringArray(json(METADATA_KEYS.labels), METADATA_KEYS.labels);
  if (labels.length !== config.classes) {
    throw new ModelMetadataError(`metadata key '${METADATA_KEYS.labels}' holds ${labels.length} labels, the config has ${config.classes} classes`);
  }
  let vocab: string[] | null = null;
  if (md[METADATA_KEYS.vocab] !== undefined) {
    vocab = stringArray(json(METADATA_KEYS.vocab), METADATA_KEYS.vocab);
    if (vocab.length !== config.vocabSize) {
      throw new ModelMetadataError(`metadata key '${METADATA_KEYS.vocab}' holds ${vocab.length} tokens, the config says vocabSize ${config.vocabSize}`);
    }
  }
  let tokenizer: TokenizerOptions = {};
  if (md[METADATA_KEYS.tokenizer] !== undefined) {
    const t = json(METADATA_KEYS.tokenizer) as { social?: unknown };
    if (typeof t !== 'object' || t === null || Array.isArray(t) || (t.social !== undefined && typeof t.social !== 'boolean')) {
      throw new ModelMetadataError(`metadata key '${METADATA_KEYS.tokenizer}' must hold a JSON object like {"social": true}, found ${md[METADATA_KEYS.tokenizer]}`);
    }
    tokenizer = t.social ? { social: true } : {};
  }
  // The labels key is authoritative; keep the config consistent with it.
  const untrained = md[METADATA_KEYS.untrained] ?? null;
  return { config: { ...config, labels }, labels, vocab, tokenizer, untrained };
}

function stringArray(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw new ModelMetadataError(`metadata key '${key}' must hold a JSON array of strings`);
  }
  return v as string[];
}
