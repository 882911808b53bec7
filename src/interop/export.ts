/**
 * Whole-model interchange with PyTorch: a twin state_dict → a self-contained classifier .onnx
 * (import-torch), and a classifier .onnx → twin state_dict keys (export-torch).
 */
import { attr, DEFAULT_OPSET, Graph, op, toModel, type Value } from '../graph/index.js';
import { ML_DOMAIN, MS_DOMAIN } from './string-graph.js';
import { tokenizerGraph } from './tokenizer-graph.js';
import { TEXT_INPUT_KEY, type TextInputContract } from '../models/text-input.js';
import { assertValidModel } from '../onnx/checker.js';
import { readMetadata } from '../onnx/metadata.js';
import { WEIGHTS_DTYPE_KEY } from '../onnx/quantize.js';
import { stampDigest, verifyDigest } from '../onnx/digest.js';
import { classifierModel } from '../models/classifier.js';
import { IO_NAMES } from '../models/classifier-io.js';
import { METADATA_KEYS, readClassifierMetadata } from '../models/classifier-metadata.js';
import type { ModelConfig } from '../models/config.js';
import { paramSpecs } from '../models/init.js';
import type { ModelProto } from '../onnx/proto.js';
import { tensorFromProto, tensorOf, type Tensor } from '../onnx/tensor.js';
import { DEFAULT_MAX_TOKENS } from '../runtime/predictor.js';
import { InteropError } from '../formats/errors.js';
import { ONNX_TYPE } from '../dtypes.js';
import { importOnnx, modelOpset } from '../onnx-import/importer.js';
import { pruneUnusedInitializers } from '../train/finetune/training.js';
import { configForWeights, paramsToTorch, torchToParams, type TorchMapOptions } from './torch-map.js';
import type { NamedTensor } from '../formats/types.js';

export interface TorchImportOptions extends TorchMapOptions {
  /** Config fields (a config file's contents); the rest is inferred from the weights. */
  config?: Partial<ModelConfig>;
  /** Tokens in id order; stored in the model so it scores raw text. */
  vocab?: string[];
  opset?: number;
}

export interface TorchImport {
  model: ModelProto;
  config: ModelConfig;
  params: Map<string, Tensor>;
}

/** A twin state_dict (from a .pt or .safetensors) → the inference model with weights, config and vocabulary inside. */
export function torchToClassifierModel(tensors: Map<string, NamedTensor>, opts: TorchImportOptions = {}): TorchImport {
  const config = configForWeights(tensors, opts.config ?? {}, opts);
  const params = torchToParams(config, tensors, opts);
  const model = classifierModel(config, { params, opset: opts.opset ?? DEFAULT_OPSET, ...(opts.vocab ? { vocab: opts.vocab } : {}) });
  return { model, config, params };
}

/** The classifier's parameters, read from the model's initializers by name. */
export function classifierParams(model: ModelProto, config: ModelConfig): Map<string, Tensor> {
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const out = new Map<string, Tensor>();
  const missing: string[] = [];
  for (const s of paramSpecs(config)) {
    const proto = inits.get(s.name);
    if (!proto) {
      missing.push(s.name);
      continue;
    }
    const t = tensorFromProto(proto);
    if (t.dtype !== 'float32' || t.dims.join() !== s.dims.join()) {
      throw new InteropError('E_EXPORT', `initializer '${s.name}' is ${t.dtype} [${t.dims.join(', ')}], the config needs float32 [${s.dims.join(', ')}]`);
    }
    out.set(s.name, t);
  }
  if (missing.length > 0) {
    throw new InteropError('E_EXPORT', `the model lacks initializers for ${missing.length} parameter(s) of its config: ${missing.join(', ')}`);
  }
  return out;
}

export interface TorchExport {
  /** Twin state_dict keys, PyTorch layout, F32. */
  tensors: Map<string, NamedTensor>;
  config: ModelConfig;
  /** For the safetensors `__metadata__`: format 'pt', the config and labels (and vocabulary) as JSON. */
  metadata: Record<string, string>;
}

/** A highway-onnx classifier model → weights under the twin's state_dict keys. */
export function classifierToTorch(model: ModelProto): TorchExport {
  const meta = readClassifierMetadata(model);
  const tensors = paramsToTorch(meta.config, classifierParams(model, meta.config));
  verifyDigest(model); // after the specific checks: damaged weights are not carried into PyTorch (E_MODEL_DIGEST)
  const metadata: Record<string, string> = {
    format: 'pt',
    [METADATA_KEYS.config]: JSON.stringify(meta.config),
    [METADATA_KEYS.labels]: JSON.stringify(meta.labels),
  };
  if (meta.vocab) metadata[METADATA_KEYS.vocab] = JSON.stringify(meta.vocab);
  return { tensors, config: meta.config, metadata };
}

export interface RawTextOptions {
  /** Tokens in id order (default: the model's own vocabulary). */
  vocab?: string[];
  /**
   * Locale of the lower-casing StringNormalizer (`pretokenized` graphs only). onnxruntime builds
   * it with the C++ runtime: 'C.UTF-8' exists on Linux (containers included).
   */
  locale?: string;
  /**
   * The caller states that texts reach the model already cut by the toolkit's tokenizer
   * (`tokenize(text).join(' ')`): the graph only lower-cases and splits on spaces.
   */
  pretokenized?: boolean;
  /**
   * The caller states that texts reach the model already through the tokenizer's rule 0
   * (`normalizeUnicode`, then `applySocialRules` for a `--tokenizer social` model): NFKC,
   * invisible characters and emoji have no ONNX string op. The model records this contract
   * (metadata `highway_onnx.input`: `"prepare": "unicode"`), and loadModel (Node and web) and
   * `serve` apply rule 0 before feeding; the graph does rules 1–7. Without it (and without
   * `pretokenized`) rawTextModel refuses with E_EXPORT_RULES naming rule 0.
   */
  unicodeByCaller?: boolean;
  /**
   * With `unicodeByCaller`: each text is scored on its first maxTokens tokens, as the Predictor
   * truncates an ids model's input (default DEFAULT_MAX_TOKENS, the Predictor's default maxLength).
   * Fixed in the graph and recorded in the contract.
   */
  maxTokens?: number;
}

/**
 * The tokenizer's rules the raw-text graph cannot express: rule 0 (Unicode normalisation and the
 * social placeholders). ONNX's string ops (Tokenizer, RegexFullMatch, StringConcat, LabelEncoder)
 * cut and rewrite with RE2 expressions, which have no NFKC, no Extended_Pictographic property
 * and no arithmetic (the ratings); rules 1–7 are in the graph (src/interop/tokenizer-graph.ts).
 */
export function inexpressibleTokenizerRules(tokenizer: { social?: boolean }): string[] {
  return [
    'Unicode NFKC normalisation (rule 0)',
    'dropping invisible format characters (rule 0)',
    'setting emoji apart from words (rule 0)',
    ...(tokenizer.social ? ['social-media placeholders <url>, <user>, hashtag words, <number>, <rating-…> (rule 0; the model was trained with --tokenizer social)'] : []),
  ];
}

export const RAW_TEXT_INPUT = IO_NAMES.text;
/** Extra outputs of a graph-tokenizer model: its token ids (int64 [B, T]) and lengths (int32 [B]). */
export const TOKEN_IDS_OUTPUT = 'token_ids';
export const TOKEN_LENGTHS_OUTPUT = 'token_lengths';

/**
 * The classifier with tokenization and vocabulary lookup inside the graph: input `text`
 * (string [batch]), the source's outputs plus `token_ids` (int64 [batch, time]) and
 * `token_lengths` (int32 [batch]). Any onnxruntime with the com.microsoft Tokenizer kernel (node,
 * web, Python, C#, Java, C++) scores plain strings with it:
 *
 *   unicodeByCaller: text (through rule 0 by the caller) → the tokenizer's rules 1–7
 *     (tokenizerGraph: com.microsoft Tokenizer, RegexFullMatch, StringConcat, LabelEncoder)
 *     → ids; token for token what tokenize() + Vocabulary.encode give (export-text-agreement test);
 *   pretokenized: text (= tokenize(text).join(' ')) → StringNormalizer (lower-case) → StringSplit → ids.
 *
 * lengths = max(token count, 1): an empty text is one <unk>, as padBatch makes it. The model
 * records its contract (metadata `highway_onnx.input`, TextInputContract). Opset: max(20, the
 * model's). Throws E_EXPORT_RULES (neither option: rule 0 has no ONNX op), E_EXPORT (no or
 * mismatched vocabulary; weights stored as fp16/int8: export-text first, export --dtype after),
 * E_MODEL_DIGEST (the source was altered).
 */
export function rawTextModel(model: ModelProto, opts: RawTextOptions = {}): ModelProto {
  verifyDigest(model); // the new file gets a fresh digest: check the old one first (E_MODEL_DIGEST)
  const meta = readClassifierMetadata(model);
  if (readMetadata(model)[TEXT_INPUT_KEY] !== undefined || model.graph?.input?.some((i) => i.name === RAW_TEXT_INPUT && i.type?.tensorType?.elemType === ONNX_TYPE.STRING)) {
    throw new InteropError('E_EXPORT', `the model already takes raw text (input '${RAW_TEXT_INPUT}'): export-text needs the ids model it was made from`);
  }
  // The graph is rebuilt from float32 weights: an fp16/int8 export (export --dtype) failed deep in
  // the import ("unsupported tensor element type 10", "DequantizeLinear outside the supported set").
  const stored = readMetadata(model)[WEIGHTS_DTYPE_KEY];
  if (stored !== undefined && stored !== 'fp32') {
    throw new InteropError('E_EXPORT', `export-text needs the float32 model, found one whose weights are stored as ${stored} (export --dtype): run export-text on the float32 model, then export --dtype on the raw-text model it writes`);
  }
  const vocab = opts.vocab ?? meta.vocab;
  if (!vocab) throw new InteropError('E_EXPORT', 'a raw-text model needs the vocabulary: the model carries none (pass one)');
  if (vocab.length !== meta.config.vocabSize) throw new InteropError('E_EXPORT', `the vocabulary has ${vocab.length} tokens, the model's embedding ${meta.config.vocabSize} rows`);
  if (!opts.pretokenized && !opts.unicodeByCaller) {
    throw new InteropError(
      'E_EXPORT_RULES',
      `the raw-text graph does the tokenizer's rules 1–7, but these have no ONNX string op: ${inexpressibleTokenizerRules(meta.tokenizer).join('; ')}. Export with --unicode-by-caller (unicodeByCaller: true) to state that texts arrive through rule 0 (applyRule0(text, tokenizer options); loadModel, predict, eval and serve do it), or use the ids model with the tokenizer`,
    );
  }
  const unk = vocab.indexOf('<unk>') >= 0 ? vocab.indexOf('<unk>') : 1;
  const opset = Math.max(20, modelOpset(model));
  const g = new Graph({ name: 'highway_onnx_text_classifier', docString: `${model.graph?.docString ?? ''}\nInput: text, string [batch] (tokenized inside the graph).` });
  const text = g.input(RAW_TEXT_INPUT, 'string', ['batch']);
  const pretokenizedFront = (): { ids: Value; lengths: Value } => {
    const [lower] = g.addNode('StringNormalizer', [text], { case_change_action: attr.string('LOWER'), locale: attr.string(opts.locale ?? 'C.UTF-8') }, [{ dtype: 'string', shape: ['batch'] }]);
    const [tokens, counts] = g.addNode('StringSplit', [lower!], {}, [{ dtype: 'string', shape: ['batch', 'words'] }, { dtype: 'int64', shape: ['batch'] }]);
    // '' (StringSplit's padding) → <unk>: padded steps are masked by the lengths anyway, and an
    // empty text's single step must be <unk>.
    const keys = [...vocab, ...(vocab.includes('') ? [] : [''])];
    const values = [...vocab.keys(), ...(vocab.includes('') ? [] : [unk])];
    const [ids0] = g.addNode('LabelEncoder', [tokens!], {
      keys_strings: attr.strings(keys), values_int64s: attr.ints(values), default_int64: attr.int(unk),
    }, [{ dtype: 'int64', shape: ['batch', 'words'] }], { domain: ML_DOMAIN });
    // At least one step even when every text is empty: append an <unk> column, keep max(T, 1).
    const shape = op.shapeOf(ids0!);
    const batchCol = op.concat([op.slice(shape, [0], [1], [0]), g.vector([1])], 0);
    const widened = op.concat([ids0!, op.constantOfShape(batchCol, tensorOf('int64', [unk], [1]))], 1);
    const steps = op.max(op.slice(shape, [1], [2], [0]), g.vector([1]));
    const [ids] = g.addNode('Slice', [widened, g.vector([0]), steps, g.vector([1])], {}, [{ dtype: 'int64', shape: ['batch', 'time'] }]);
    const lengths = op.cast(op.max(counts!, g.scalar(1, 'int64')), 'int32');
    return { ids: ids!, lengths };
  };
  const graphTokenizer = !opts.pretokenized;
  const maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!(Number.isSafeInteger(maxTokens) && maxTokens >= 1)) throw new InteropError('E_EXPORT', `maxTokens must be a positive integer, found ${opts.maxTokens}`);
  const front = g.scope('tokenize', () => (graphTokenizer ? tokenizerGraph(text, vocab, unk, g.scalar(maxTokens, 'int64')) : pretokenizedFront()));
  if (graphTokenizer) {
    // The graph's own token ids and lengths, for callers (and tests) that check its tokenization.
    g.output(op.identity(front.ids), TOKEN_IDS_OUTPUT);
    g.output(op.identity(front.lengths), TOKEN_LENGTHS_OUTPUT);
  }
  importOnnx(model, { graph: g, bind: { ids: front.ids, lengths: front.lengths } });
  const contract: TextInputContract = graphTokenizer
    ? { text: RAW_TEXT_INPUT, tokenizer: 'graph', prepare: 'unicode', maxTokens }
    : { text: RAW_TEXT_INPUT, tokenizer: 'pretokenized', prepare: 'none' };
  const metadata = { ...readMetadata(model), [TEXT_INPUT_KEY]: JSON.stringify(contract) };
  const out = pruneUnusedInitializers(toModel(g, { opset, metadata, docString: g.docString }));
  out.opsetImport = [...(out.opsetImport ?? []), { domain: ML_DOMAIN, version: 2 }, ...(graphTokenizer ? [{ domain: MS_DOMAIN, version: 1 }] : [])];
  assertValidModel(out);
  // A new graph and vocabulary lookup: the source's digest no longer applies.
  return stampDigest(out);
}
