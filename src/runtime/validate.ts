// What a model file must satisfy before onnxruntime sees it, so that a corrupt or
// damaged file fails at load time with a typed error naming the problem, rather than
// later (a Reshape failing on the first request, NaN probabilities in production).
// Runtime-agnostic: the Node and browser loaders can both call it.
import { DataLocation, decodeModel, type ModelProto, type NodeProto, type TensorProto, toNumber } from '../onnx/proto.js';
import { ONNX_TYPE } from '../dtypes.js';
import { checkModel } from '../onnx/checker.js';
import { METADATA_KEYS, readClassifierMetadata } from '../models/classifier-metadata.js';
import { readTextInputContract } from '../models/text-input.js';
import { readMetadata } from '../onnx/metadata.js';
import { verifyClassifierGraph, type GraphVerification } from '../models/verify-graph.js';
import { verifyDigest, type DigestStatus } from '../onnx/digest.js';
import { paramSpecs } from '../models/init.js';
import type { ModelConfig } from '../models/config.js';
import { Vocabulary } from '../data/vocab.js';
import { ModelLoadError, ModelWeightsError } from './errors.js';
import type { ModelInfo } from './predictor.js';

/** Where a tensor's first non-finite value sits, and how many there are. */
export interface NonFinite {
  name: string;
  dims: number[];
  nan: number;
  inf: number;
  first: number;
}

const { FLOAT, INT8, FLOAT16, DOUBLE } = ONNX_TYPE;

/** float16 bit patterns whose exponent is all ones (NaN or ±Infinity) read as such; the rest as 0 (only finiteness matters here). */
function halfSpecials(raw: Uint8Array): number[] {
  const bits = new Uint16Array(new Uint8Array(raw).buffer);
  return Array.from(bits, (h) => ((h & 0x7c00) !== 0x7c00 ? 0 : h & 0x3ff ? NaN : h & 0x8000 ? -Infinity : Infinity));
}

/** The float values of an initializer, or null for other types and external data. */
function floatValues(t: TensorProto): Float32Array | Float64Array | number[] | null {
  if (t.dataLocation === DataLocation.EXTERNAL) return null;
  const raw = t.rawData;
  if (t.dataType === FLOAT) {
    if (raw && raw.length > 0) {
      if (raw.length % 4 !== 0) return null; // the checker reports the size mismatch
      return raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : new Float32Array(new Uint8Array(raw).buffer);
    }
    return t.floatData ?? [];
  }
  if (t.dataType === DOUBLE) {
    if (raw && raw.length > 0) {
      if (raw.length % 8 !== 0) return null;
      return raw.byteOffset % 8 === 0 ? new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8) : new Float64Array(new Uint8Array(raw).buffer);
    }
    return t.doubleData ?? [];
  }
  if (t.dataType === FLOAT16 && raw && raw.length > 0 && raw.length % 2 === 0) return halfSpecials(raw);
  return null;
}

/** Every float initializer (subgraphs included) holding NaN or ±Infinity. */
export function nonFiniteInitializers(model: ModelProto): NonFinite[] {
  const out: NonFinite[] = [];
  const visit = (inits: TensorProto[] | null | undefined, nodes: NodeProto[] | null | undefined): void => {
    for (const t of inits ?? []) {
      const v = floatValues(t);
      if (!v) continue;
      let nan = 0;
      let inf = 0;
      let first = -1;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (x - x !== 0) {
          // x - x is NaN for NaN and ±Infinity alike: one comparison in the hot loop.
          if (Number.isNaN(x)) nan++;
          else inf++;
          if (first < 0) first = i;
        }
      }
      if (first >= 0) out.push({ name: t.name ?? '', dims: (t.dims ?? []).map((d) => toNumber(d)), nan, inf, first });
    }
    for (const n of nodes ?? []) {
      for (const a of n.attribute ?? []) {
        if (a.t) visit([a.t], []);
        for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(g.initializer, g.node);
      }
    }
  };
  visit(model.graph?.initializer, model.graph?.node);
  return out;
}

export function describeNonFinite(f: NonFinite): string {
  const what = [f.nan ? `${f.nan} NaN` : '', f.inf ? `${f.inf} infinite` : ''].filter(Boolean).join(' and ');
  return `weight '${f.name}' [${f.dims}] holds ${what} value(s) (first at flat index ${f.first})`;
}

/**
 * The classifier's parameters as the config says they must be: every one present, float32,
 * the right shape. Throws ModelWeightsError (E_MODEL_WEIGHTS) naming the first that is not.
 */
export function checkClassifierWeights(model: ModelProto, config: ModelConfig): void {
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  // A weight is float32 under its own name, or stored smaller by `export --dtype` (see
  // src/onnx/quantize.ts) as `<name>.fp16` (float16) or `<name>.int8` (int8), same shape.
  const stored = (name: string): { t: TensorProto; type: number } | undefined => {
    for (const [suffix, type] of [['', FLOAT], ['.fp16', FLOAT16], ['.int8', INT8]] as const) {
      const t = inits.get(name + suffix);
      if (t) return { t, type };
    }
    return undefined;
  };
  const specs = paramSpecs(config);
  const where = `the config (${config.kind}, ${config.layers} layer(s), vocabSize ${config.vocabSize}, embedDim ${config.embedDim}, hidden ${config.hidden}, ${config.classes} classes)`;
  for (const s of specs) {
    const w = stored(s.name);
    if (!w) throw new ModelWeightsError(`weight '${s.name}' is missing: ${where} needs float32 [${s.dims}]`);
    const dims = (w.t.dims ?? []).map((d) => toNumber(d));
    if (w.t.dataType !== w.type || dims.join() !== s.dims.join()) {
      const type = w.t.dataType === FLOAT ? 'float32' : `data type ${w.t.dataType}`;
      throw new ModelWeightsError(`weight '${w.t.name}' is ${type} [${dims}]; ${where} needs float32 [${s.dims}]`);
    }
  }
}

/** What vetting established beyond the info: the graph's structure and the digest's verdict. */
export interface ModelIntegrity {
  graph: GraphVerification;
  /** 'absent' for models written without a digest (imported, older): their content is unchecked. */
  digest: DigestStatus;
}

/**
 * Decode and vet a classifier file: protobuf, no external data (E_EXTERNAL_DATA), metadata,
 * weights (shapes: E_MODEL_WEIGHTS; finiteness), structure (E_ONNX_CHECK via ModelLoadError),
 * the graph against its config (E_MODEL_GRAPH), the stored digest (E_MODEL_DIGEST). Every
 * failure is a typed error whose first line says what was expected and what was found.
 */
export function vetClassifierModel(bytes: Uint8Array): { model: ModelProto; info: ModelInfo; integrity: ModelIntegrity } {
  const model = decodeModel(bytes);
  const meta = readClassifierMetadata(model);
  let vocab: Vocabulary | null = null;
  if (meta.vocab) {
    try {
      vocab = Vocabulary.fromJSON(meta.vocab);
    } catch (e) {
      throw new ModelLoadError(`the model's vocabulary (metadata '${METADATA_KEYS.vocab}') is unusable: ${(e as Error).message}`);
    }
  }
  // The weights first: for a classifier, "weight X is missing" says more than "input X is undefined".
  checkClassifierWeights(model, meta.config);
  const problems = checkModel(model);
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    throw new ModelLoadError(`the model is structurally broken: ${problems[0]}${more}`);
  }
  // NaN is never meaningful; ±Infinity can be (a masking constant), except in a trained weight.
  const params = new Set(paramSpecs(meta.config).map((s) => s.name));
  const bad = nonFiniteInitializers(model).filter((f) => f.nan > 0 || params.has(f.name.replace(/\.fp16$/, '')));
  if (bad.length > 0) {
    const more = bad.length > 1 ? `; ${bad.length - 1} more weight tensor(s) too` : '';
    throw new ModelWeightsError(
      `the model's weights are not finite: ${describeNonFinite(bad[0]!)}${more}. Its predictions would be NaN; retrain, or re-export from a checkpoint taken before training diverged`,
    );
  }
  // After the specific checks (a NaN names its tensor), the general ones.
  const graph = verifyClassifierGraph(model, meta.config);
  const digest = verifyDigest(model);
  const textInput = readTextInputContract(readMetadata(model));
  return { model, info: { config: meta.config, labels: meta.labels, vocab, tokenizer: meta.tokenizer, textInput, ...(meta.untrained !== null ? { untrained: meta.untrained } : {}) }, integrity: { graph, digest } };
}
